import { ChakraProvider } from "@chakra-ui/react";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { ThemeProvider } from "next-themes";
import type { ReactNode } from "react";

import { system } from "./theme";

/**
 * Chakra, colour mode and queries. The colour mode uses next-themes with its default storage key
 * ("theme") and a class on <html>, as the Airflow UI does, so both follow the same setting.
 */
export const Providers = ({ children, queryClient }: { children: ReactNode; queryClient: QueryClient }) => (
  <ChakraProvider value={system}>
    <ThemeProvider attribute="class" disableTransitionOnChange>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </ThemeProvider>
  </ChakraProvider>
);
