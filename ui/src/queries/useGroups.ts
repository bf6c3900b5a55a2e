import { useQuery } from "@tanstack/react-query";

import { hitlApi } from "../api/client";
import { keys } from "./keys";

export const useGroups = () =>
  useQuery({
    queryFn: async ({ signal }) => {
      const { data } = await hitlApi.GET("/api/v2/hitl/groups", { signal });
      return data?.groups ?? [];
    },
    queryKey: keys.groups(),
    staleTime: 5 * 60_000,
  });
