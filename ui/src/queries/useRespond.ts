import { useMutation, useQueryClient } from "@tanstack/react-query";

import { hitlApi } from "../api/client";
import type { JsonValue } from "../utils/params";
import { keys } from "./keys";
import type { RequestRef } from "./useRequest";

export interface Answer {
  chosen_options: string[];
  params_input: Record<string, JsonValue>;
  /** Why; required for the options in the request's `policy.require_comment_on`. */
  comment?: string;
}

/** Send an answer (recorded with channel "ui"); refreshes every request query afterwards. */
export const useRespond = (ref: RequestRef) => {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (answer: Answer) => {
      const { data } = await hitlApi.PATCH(
        "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails",
        {
          body: answer,
          headers: { "X-HITL-Channel": "ui" },
          params: {
            path: { dag_id: ref.dagId, dag_run_id: ref.runId, map_index: ref.mapIndex, task_id: ref.taskId },
          },
        },
      );
      return data;
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: keys.all }),
  });
};
