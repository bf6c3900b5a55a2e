import { QueryClient } from "@tanstack/react-query";

import { ApiError } from "./api/client";

export const createQueryClient = (): QueryClient =>
  new QueryClient({
    defaultOptions: {
      queries: {
        refetchOnWindowFocus: true,
        // Client errors (403, 404, ...) do not get better by asking again.
        retry: (failures, error) => !(error instanceof ApiError && error.status < 500) && failures < 2,
        staleTime: 10_000,
      },
    },
  });
