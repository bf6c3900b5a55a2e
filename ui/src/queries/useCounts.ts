import { useQuery } from "@tanstack/react-query";

import { hitlApi } from "../api/client";
import { keys } from "./keys";
import { REFRESH_MS } from "./useRequestList";

/** Requests per status (and pending for the caller); refreshed alongside a list with pending rows. */
export const useCounts = (refresh: boolean) =>
  useQuery({
    queryFn: async ({ signal }) => {
      const { data } = await hitlApi.GET("/api/v2/hitl/counts", { signal });
      return data;
    },
    queryKey: keys.counts(),
    refetchInterval: refresh ? REFRESH_MS : false,
  });
