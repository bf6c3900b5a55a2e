import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { hitlApi, type HITLDetail, type ListQuery } from "../api/client";
import { keys } from "./keys";

/** Refresh at a modest pace, and only while something on screen can still change. */
export const REFRESH_MS = 30_000;

export const hasPending = (details: HITLDetail[] | undefined): boolean =>
  details?.some((detail) => detail.status === "pending") ?? false;

export const useRequestList = (query: ListQuery) =>
  useQuery({
    placeholderData: keepPreviousData,
    queryFn: async ({ signal }) => {
      const { data } = await hitlApi.GET("/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/hitlDetails", {
        params: { path: { dag_id: "~", dag_run_id: "~" }, query },
        signal,
      });
      return data ?? { hitl_details: [], total_entries: 0 };
    },
    queryKey: keys.list(query),
    refetchInterval: (q) => (hasPending(q.state.data?.hitl_details) ? REFRESH_MS : false),
  });
