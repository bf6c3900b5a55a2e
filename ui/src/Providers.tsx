import { ChakraProvider } from "@chakra-ui/react";
import { QueryClientProvider, type QueryClient } from "@tanstack/react-query";
import { ThemeProvider } from "next-themes";
import type { ReactNode } from "react";

import { FramedContext } from "./frame/FramedContext";
import { framedSystem, system } from "./theme";

interface ProvidersProps {
  children: ReactNode;
  queryClient: QueryClient;
  /** Inside Airflow's page: Airflow's colour mode and page styles apply. */
  framed?: boolean;
}

/**
 * Chakra, colour mode and queries. On a page of its own the colour mode uses next-themes with its
 * default storage key ("theme") and a class on <html>, as the Airflow UI does, so both follow the
 * same setting; inside Airflow's page, Airflow's own provider sets that class.
 */
export const Providers = ({ children, framed = false, queryClient }: ProvidersProps) => {
  const content = <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>;
  return (
    <FramedContext.Provider value={framed}>
      <ChakraProvider value={framed ? framedSystem : system}>
        {framed ? (
          content
        ) : (
          <ThemeProvider attribute="class" disableTransitionOnChange>
            {content}
          </ThemeProvider>
        )}
      </ChakraProvider>
    </FramedContext.Provider>
  );
};
