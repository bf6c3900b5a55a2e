import { createBrowserRouter } from "react-router";

import { airflowPrefix } from "./api/auth";
import { Layout } from "./components/Layout";
import { NotFound } from "./components/NotFound";
import { Inbox } from "./pages/Inbox/Inbox";
import { Respond } from "./pages/Respond/Respond";

export const BASENAME = `${airflowPrefix()}/required_actions`;

export const routes = [
  {
    children: [
      { element: <Inbox />, index: true },
      { element: <Respond />, path: "dags/:dagId/runs/:runId/tasks/:taskId/:mapIndex" },
      { element: <NotFound />, path: "*" },
    ],
    element: <Layout />,
    path: "/",
  },
];

export const router = createBrowserRouter(routes, { basename: BASENAME });
