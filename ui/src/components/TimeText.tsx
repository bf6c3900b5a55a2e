import { Text } from "@chakra-ui/react";

import { absoluteTime, isOverdue, relativeTime } from "../utils/time";

/** A time shown relative ("3 hours ago"), with the exact time on hover and for assistive tech. */
export const TimeText = ({ iso }: { iso: string }) => (
  <time dateTime={iso} title={absoluteTime(iso)}>
    {relativeTime(iso)}
  </time>
);

/** A deadline; an overdue one of a pending request is highlighted and says so. */
export const Deadline = ({ deadline, status }: { deadline: string | null; status: string }) => {
  if (deadline === null) return <Text as="span" color="fg.muted">none</Text>;
  const overdue = isOverdue(deadline, status);
  return (
    <Text as="span" color={overdue ? "fg.error" : undefined} data-overdue={overdue ? "true" : undefined} fontWeight={overdue ? "semibold" : undefined}>
      <TimeText iso={deadline} />
      {overdue ? " (overdue)" : null}
    </Text>
  );
};
