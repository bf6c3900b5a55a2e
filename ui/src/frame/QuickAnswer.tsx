import { Button, Flex, Link } from "@chakra-ui/react";

import type { HITLDetail } from "../api/client";
import { airflowPrefix } from "../api/auth";
import { ErrorNotice } from "../components/ErrorNotice";
import { MAX_OPTION_BUTTONS } from "../components/OptionsPicker";
import { useRespond } from "../queries/useRespond";
import { requestPath } from "../utils/links";

/** The request's page in Required Actions (its response view). */
export const fullViewUrl = (detail: HITLDetail): string =>
  `${airflowPrefix()}/required_actions${requestPath(detail.task_instance)}`;

/** Whether any option needs a comment (`require_comment_on`): these places have no room for one. */
const needsComment = (detail: HITLDetail): boolean => detail.policy.require_comment_on.length > 0;

/** Whether a request is answered by one click: options only (no form, no comment), at most a row of buttons. */
export const answersWithOneClick = (detail: HITLDetail): boolean =>
  Object.keys(detail.params).length === 0 &&
  !needsComment(detail) &&
  !detail.multiple &&
  detail.options.length <= MAX_OPTION_BUTTONS;

interface QuickAnswerProps {
  detail: HITLDetail;
  onAnswered: (option: string) => void;
}

/**
 * One button per option where a click answers the request (the defaults stand out), or a link to
 * the response view where it needs a form. Used where people are not in Required Actions: the
 * quick-action drawer and the task instance page.
 */
export const QuickAnswer = ({ detail, onAnswered }: QuickAnswerProps) => {
  const ti = detail.task_instance;
  const respond = useRespond({ dagId: ti.dag_id, mapIndex: ti.map_index, runId: ti.dag_run_id, taskId: ti.task_id });
  return (
    <>
      {answersWithOneClick(detail) ? (
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
    </>
  );
};
