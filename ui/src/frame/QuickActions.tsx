import { Button, CloseButton, Drawer, Flex, Link, Portal, Spinner, Stack, Text } from "@chakra-ui/react";
import { useState } from "react";

import type { HITLDetail, ListQuery } from "../api/client";
import { ErrorNotice } from "../components/ErrorNotice";
import { MAX_OPTION_BUTTONS } from "../components/OptionsPicker";
import { useRequestList } from "../queries/useRequestList";
import { useRespond } from "../queries/useRespond";
import { airflowPrefix } from "../api/auth";
import { requestPath } from "../utils/links";

// The "Pending for me" view of the inbox, first page, soonest deadline first.
const PENDING_FOR_ME: ListQuery = { for_me: true, limit: 10, order_by: "deadline", status: ["pending"] };

const fullViewUrl = (detail: HITLDetail): string =>
  `${airflowPrefix()}/required_actions${requestPath(detail.task_instance)}`;

/** Whether any option needs a comment (`require_comment_on`): the drawer has no place for one. */
const needsComment = (detail: HITLDetail): boolean => detail.policy.require_comment_on.length > 0;

/** Whether a request is answered by one click: options only (no form, no comment), at most a row of buttons. */
export const answersWithOneClick = (detail: HITLDetail): boolean =>
  Object.keys(detail.params).length === 0 &&
  !needsComment(detail) &&
  !detail.multiple &&
  detail.options.length <= MAX_OPTION_BUTTONS;

const keyOf = (detail: HITLDetail): string => `${detail.task_instance.id}:${detail.task_instance.try_number}`;

interface QuickRequestProps {
  detail: HITLDetail;
  answered: string | undefined;
  onAnswered: (option: string) => void;
}

const QuickRequest = ({ answered, detail, onAnswered }: QuickRequestProps) => {
  const ti = detail.task_instance;
  const respond = useRespond({ dagId: ti.dag_id, mapIndex: ti.map_index, runId: ti.dag_run_id, taskId: ti.task_id });
  return (
    <Stack as="li" borderBottomWidth="1px" gap={2} pb={3}>
      <Link color="brand.fg" fontWeight="medium" href={fullViewUrl(detail)}>
        {detail.subject}
      </Link>
      <Text color="fg.muted" fontSize="xs">
        {ti.dag_id} / {ti.dag_run_id} / {ti.task_id}
      </Text>
      {answered !== undefined ? (
        <Text role="status">Answered “{answered}”.</Text>
      ) : answersWithOneClick(detail) ? (
        <Flex gap={2} role="group" aria-label={`Answer “${detail.subject}”`} wrap="wrap">
          {detail.options.map((option) => (
            <Button
              colorPalette="blue"
              disabled={respond.isPending}
              key={option}
              minHeight="44px"
              onClick={() =>
                respond.mutate({ chosen_options: [option], params_input: {} }, { onSuccess: () => onAnswered(option) })
              }
              size="sm"
              variant={detail.defaults?.includes(option) ? "solid" : "outline"}
            >
              {option}
            </Button>
          ))}
        </Flex>
      ) : (
        <Link fontSize="sm" href={fullViewUrl(detail)}>
          {needsComment(detail) ? "Needs a comment: open the request" : "Needs a form: open the request"}
        </Link>
      )}
      {respond.isError ? <ErrorNotice error={respond.error} title="Your answer was not recorded" /> : null}
    </Stack>
  );
};

/** The requests pending for me, answerable in place where they need no form. */
export const QuickActions = ({ onClose, open }: { open: boolean; onClose: () => void }) => {
  const list = useRequestList(PENDING_FOR_ME);
  // Answered requests leave the pending list when it refreshes; they stay here, saying so.
  const [answered, setAnswered] = useState<Map<string, { detail: HITLDetail; option: string }>>(new Map());
  const pending = (list.data?.hitl_details ?? []).filter((detail) => !answered.has(keyOf(detail)));
  const details = [...Array.from(answered.values(), (entry) => entry.detail), ...pending];
  return (
    <Drawer.Root onOpenChange={(event) => (event.open ? undefined : onClose())} open={open} placement="end" size="sm">
      <Portal>
        <Drawer.Backdrop />
        <Drawer.Positioner>
          <Drawer.Content>
            <Drawer.Header>
              <Drawer.Title>Pending for me</Drawer.Title>
            </Drawer.Header>
            <Drawer.Body>
              {list.isError ? <ErrorNotice error={list.error} title="Could not load the requests" /> : null}
              {list.isLoading ? <Spinner size="sm" /> : null}
              {list.data !== undefined && details.length === 0 ? <Text color="fg.muted">Nothing is waiting for you.</Text> : null}
              <Stack as="ul" gap={3} listStyleType="none">
                {details.map((detail) => (
                  <QuickRequest
                    answered={answered.get(keyOf(detail))?.option}
                    detail={detail}
                    key={keyOf(detail)}
                    onAnswered={(option) => setAnswered((current) => new Map(current).set(keyOf(detail), { detail, option }))}
                  />
                ))}
              </Stack>
            </Drawer.Body>
            <Drawer.Footer justifyContent="flex-start">
              <Link href={`${airflowPrefix()}/required_actions`}>
                {list.data !== undefined && list.data.total_entries > pending.length
                  ? `All ${list.data.total_entries} in Required Actions`
                  : "Open Required Actions"}
              </Link>
            </Drawer.Footer>
            <Drawer.CloseTrigger asChild>
              <CloseButton aria-label="Close" size="sm" />
            </Drawer.CloseTrigger>
          </Drawer.Content>
        </Drawer.Positioner>
      </Portal>
    </Drawer.Root>
  );
};
