import { StrictMode } from "react";
import { createRoot, type Root } from "react-dom/client";

import { App } from "../App";
import { airflowContentArea, APP_ROOT_ID, hostIn, isAppPath, release } from "./page";

// Airflow renders its rail after its own script ran; how long to wait for it before the app
// takes a page of its own.
const RAIL_WAIT_MS = 5000;

interface Mounted {
  container: HTMLElement;
  root: Root;
}

const render = (container: HTMLElement, framed: boolean): Root => {
  const root = createRoot(container);
  root.render(
    <StrictMode>
      <App framed={framed} />
    </StrictMode>,
  );
  return root;
};

/** A page of the app's own: the dev server's index.html, or Airflow's markup was not found. */
const ownPage = (): HTMLElement => {
  const existing = document.getElementById(APP_ROOT_ID);
  if (existing !== null) return existing;
  const container = document.createElement("div");
  container.id = APP_ROOT_ID;
  // Above Airflow's page, whatever it shows.
  container.style.cssText = "position:fixed;inset:0;overflow:auto;z-index:1400";
  document.body.append(container);
  return container;
};

/**
 * Renders the app into Airflow's content area while the address is one of the app's pages, and
 * keeps it there: React re-renders of Airflow's layout may replace the area, and Airflow's own
 * links (its rail) leave the app's pages without reloading, which unmounts the app. Coming back
 * (the browser's back button) mounts it again.
 */
export const mountApp = (): void => {
  if (document.getElementById(APP_ROOT_ID) !== null) {
    render(ownPage(), false);
    return;
  }
  let mounted: Mounted | undefined;
  let queued = false;
  const startedAt = Date.now();

  const sync = () => {
    queued = false;
    if (!isAppPath()) {
      if (mounted !== undefined) {
        mounted.root.unmount();
        release(mounted.container);
        mounted = undefined;
      }
      return;
    }
    const host = airflowContentArea();
    if (host === null) {
      if (mounted === undefined && Date.now() - startedAt > RAIL_WAIT_MS) {
        observer.disconnect();
        render(ownPage(), false);
      }
      return;
    }
    if (mounted === undefined) {
      const container = document.createElement("main");
      container.id = APP_ROOT_ID;
      hostIn(host, container);
      mounted = { container, root: render(container, true) };
    } else {
      hostIn(host, mounted.container);
    }
  };
  const queue = () => {
    if (!queued) {
      queued = true;
      requestAnimationFrame(sync);
    }
  };
  const observer = new MutationObserver(queue);
  observer.observe(document.body, { childList: true, subtree: true });
  addEventListener("popstate", queue);
  setTimeout(queue, RAIL_WAIT_MS + 100);
  queue();
};
