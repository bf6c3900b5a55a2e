import { StrictMode } from "react";
import { createRoot, type Root } from "react-dom/client";

import { Providers } from "../Providers";
import { createQueryClient } from "../queryClient";
import { airflowContentArea, taskInstanceAt, type TaskInstanceRef } from "./page";
import { TaskPanel } from "./TaskPanel";

export const TASK_PANEL_ID = "hitl-task-panel";

const sameTaskInstance = (a: TaskInstanceRef | undefined, b: TaskInstanceRef | undefined): boolean =>
  a !== undefined &&
  b !== undefined &&
  a.dagId === b.dagId &&
  a.runId === b.runId &&
  a.taskId === b.taskId &&
  a.mapIndex === b.mapIndex;

/**
 * Keeps the "Required action" panel at the top of Airflow's content area while a task instance
 * page is shown. Airflow's UI moves between pages without reloading and re-renders its layout, so
 * the panel follows the address and is put back when the area was replaced.
 */
export const mountTaskPanel = (): void => {
  const queryClient = createQueryClient();
  const container = document.createElement("div");
  container.id = TASK_PANEL_ID;
  let root: Root | undefined;
  let shown: TaskInstanceRef | undefined;
  let queued = false;

  const sync = () => {
    queued = false;
    const ti = taskInstanceAt();
    const host = ti === undefined ? null : airflowContentArea();
    if (ti === undefined || host === null) {
      container.remove();
      return;
    }
    if (host.firstElementChild !== container) host.prepend(container);
    if (sameTaskInstance(ti, shown)) return;
    shown = ti;
    root ??= createRoot(container);
    root.render(
      <StrictMode>
        <Providers framed queryClient={queryClient}>
          <TaskPanel key={JSON.stringify(ti)} ti={ti} />
        </Providers>
      </StrictMode>,
    );
  };
  const queue = () => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(sync);
    }
  };
  new MutationObserver(queue).observe(document.body, { childList: true, subtree: true });
  addEventListener("popstate", queue);
  queue();
};
