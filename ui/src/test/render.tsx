import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { createMemoryRouter, RouterProvider } from "react-router";

import { Providers } from "../Providers";
import { createQueryClient } from "../queryClient";
import { routes } from "../router";

/** Render a component inside the app's providers. */
export const renderWithProviders = (ui: ReactElement) =>
  render(<Providers queryClient={createQueryClient()}>{ui}</Providers>);

/** Render the whole app at a route (relative to /required_actions). */
export const renderRoute = (path: string) => {
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const queryClient = createQueryClient();
  queryClient.setDefaultOptions({ queries: { ...queryClient.getDefaultOptions().queries, retry: false } });
  return { router, ...render(<Providers queryClient={queryClient}><RouterProvider router={router} /></Providers>) };
};
