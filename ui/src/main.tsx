import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { App } from "./App";

const root = document.querySelector("#hitl-app");
if (root === null) throw new Error("index.html has no #hitl-app element");

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
