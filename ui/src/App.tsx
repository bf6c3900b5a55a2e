import { useState } from "react";
import { RouterProvider } from "react-router";

import { Providers } from "./Providers";
import { createQueryClient } from "./queryClient";
import { router } from "./router";

/** The app; `framed` inside Airflow's page. */
export const App = ({ framed = false }: { framed?: boolean }) => {
  const [queryClient] = useState(createQueryClient);
  return (
    <Providers framed={framed} queryClient={queryClient}>
      <RouterProvider router={router} />
    </Providers>
  );
};
