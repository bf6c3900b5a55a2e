import { Box, Flex, Link, Stack, Text } from "@chakra-ui/react";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { ApiError, hitlApi, type HITLDetail } from "../api/client";
import { StatusBadge } from "../components/StatusBadge";
import { keys } from "../queries/keys";
import { REFRESH_MS } from "../queries/useRequestList";
import type { TaskInstanceRef } from "./page";
import { fullViewUrl, QuickAnswer } from "./QuickAnswer";

/** The task instance's request (latest try), or null when the task asked nothing. */
const useTaskRequest = (ti: TaskInstanceRef) =>
  useQuery({
    queryFn: async ({ signal }): Promise<HITLDetail | null> => {
      try {
        const { data } = await hitlApi.GET(
          "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails",
          {
            params: { path: { dag_id: ti.dagId, dag_run_id: ti.runId, map_index: ti.mapIndex, task_id: ti.taskId } },
            signal,
          },
        );
        return data ?? null;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    queryKey: keys.request({ ...ti, panel: true }),
    refetchInterval: (query) => (query.state.data?.status === "pending" ? REFRESH_MS : false),
  });

const Outcome = ({ detail }: { detail: HITLDetail }) => {
  if (detail.status === "pending") {
    if (detail.can_respond === true && detail.respond_as_override !== true) return null;
    return (
      <Text color="fg.muted" fontSize="sm">
        {detail.can_respond === true
          ? "Your answer would override the assignees: give it in Required Actions."
          : `You may not answer: ${detail.cannot_respond_reason ?? "you are not allowed to"}.`}
      </Text>
    );
  }
  const who = detail.responded_by_user?.name;
  const chosen = detail.chosen_options?.join(", ");
  return chosen ? (
    <Text fontSize="sm">
      Answered “{chosen}”{who ? ` by ${who}` : ""}.
    </Text>
  ) : null;
};

/**
 * "Required action" on a task instance page of Airflow's UI: what the task asks, with its buttons
 * where one click answers it, and the way to the response view. Shows nothing for tasks that
 * asked nothing, or that the reader may not see.
 */
export const TaskPanel = ({ ti }: { ti: TaskInstanceRef }) => {
  const request = useTaskRequest(ti);
  const [answered, setAnswered] = useState<string>();
  const detail = request.data;
  if (detail === undefined || detail === null) return null;
  const answerHere = detail.status === "pending" && detail.can_respond === true && detail.respond_as_override !== true;
  return (
    <Box
      aria-label="Required action"
      as="section"
      bg="bg.panel"
      borderColor="border.emphasized"
      borderLeftColor="blue.solid"
      borderLeftWidth="4px"
      borderWidth="1px"
      mb={3}
      p={3}
      rounded="md"
    >
      <Flex align="flex-start" gap={3} justify="space-between" wrap="wrap">
        <Stack gap={1} minWidth={0}>
          <Flex align="center" gap={2}>
            <Text color="fg.muted" fontSize="xs" fontWeight="semibold" textTransform="uppercase">
              Required action
            </Text>
            <StatusBadge status={detail.status} />
          </Flex>
          <Text fontWeight="medium">{detail.subject}</Text>
        </Stack>
        <Link color="brand.fg" fontSize="sm" href={fullViewUrl(detail)}>
          Open in Required Actions
        </Link>
      </Flex>
      <Stack gap={2} mt={2}>
        {answered !== undefined ? (
          <Text role="status">Answered “{answered}”.</Text>
        ) : answerHere ? (
          <QuickAnswer detail={detail} onAnswered={setAnswered} />
        ) : (
          <Outcome detail={detail} />
        )}
      </Stack>
    </Box>
  );
};
