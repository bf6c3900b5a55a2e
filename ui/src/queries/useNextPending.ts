import { useQuery } from "@tanstack/react-query";

import { hitlApi, type HITLDetail } from "../api/client";
import { keys } from "./keys";

const sameTask = (a: HITLDetail["task_instance"], b: HITLDetail["task_instance"]): boolean =>
  a.dag_id === b.dag_id && a.dag_run_id === b.dag_run_id && a.task_id === b.task_id && a.map_index === b.map_index;

/**
 * The next pending request after `current`: one waiting for the caller first (soonest deadline),
 * then any pending request they can see.
 */
export const useNextPending = (current: HITLDetail) =>
  useQuery({
    queryFn: async ({ signal }): Promise<HITLDetail | null> => {
      for (const forMe of [true, false]) {
        const { data } = await hitlApi.GET("/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/hitlDetails", {
          params: {
            path: { dag_id: "~", dag_run_id: "~" },
            query: { for_me: forMe, limit: 5, order_by: "deadline", status: ["pending"] },
          },
          signal,
        });
        const next = data?.hitl_details.find(
          (detail) => !sameTask(detail.task_instance, current.task_instance),
        );
        if (next !== undefined) return next;
      }
      return null;
    },
    queryKey: keys.list({ nextAfter: current.task_instance.id }),
  });
