import { useQuery } from "@tanstack/react-query";

import { hitlApi, type HITLDetail } from "../api/client";
import { keys } from "./keys";
import { REFRESH_MS } from "./useRequestList";

export interface RequestRef {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
  /** A given try; the latest when undefined. */
  tryNumber?: number;
}

/** One request (latest try, or a given try for history); refreshed while it is pending. */
export const useRequest = (ref: RequestRef) =>
  useQuery({
    queryFn: async ({ signal }): Promise<HITLDetail | undefined> => {
      const path = { dag_id: ref.dagId, dag_run_id: ref.runId, map_index: ref.mapIndex, task_id: ref.taskId };
      if (ref.tryNumber === undefined) {
        const { data } = await hitlApi.GET(
          "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails",
          { params: { path }, signal },
        );
        return data;
      }
      const { data } = await hitlApi.GET(
        "/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}/{map_index}/hitlDetails/tries/{try_number}",
        { params: { path: { ...path, try_number: ref.tryNumber } }, signal },
      );
      return data;
    },
    queryKey: keys.request(ref),
    refetchInterval: (q) => (q.state.data?.status === "pending" ? REFRESH_MS : false),
  });
