import { useState } from "react";
import { RouterProvider } from "react-router";

import { Providers } from "./Providers";
import { createQueryClient } from "./queryClient";
import { router } from "./router";

export const App = () => {
  const [queryClient] = useState(createQueryClient);
  return (
    <Providers queryClient={queryClient}>
      <RouterProvider router={router} />
    </Providers>
  );
};
