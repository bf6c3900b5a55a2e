/**
 * Where the app lives in Airflow's page. The API server answers `/required_actions/...` with
 * Airflow's own UI page (its navigation rail, its theme) plus this app's script; Airflow shows
 * "not found" in its content area for these paths, and the app renders there instead, keeping
 * Airflow's navigation. Only DOM facts are relied on (a fixed rail holding the link to `dags`, the
 * content area as its next sibling); when they do not hold, the app gets a page of its own.
 */

import { airflowPrefix } from "../api/auth";

/** The element the app renders into (in Airflow's content area or a page of its own). */
export const APP_ROOT_ID = "hitl-app";
/** The nav entry that `nav-entry.js` adds to Airflow's rail. */
export const NAV_ENTRY_ID = "hitl-required-actions-nav";
const APP_SEGMENT = "/required_actions";
const HOST_ATTRIBUTE = "data-hitl-host";

/** Whether `pathname` is one of the app's pages. */
export const isAppPath = (pathname: string = globalThis.location.pathname): boolean => {
  const prefix = airflowPrefix(pathname);
  if (!pathname.startsWith(`${prefix}${APP_SEGMENT}`)) return false;
  const rest = pathname.slice(prefix.length + APP_SEGMENT.length);
  return rest === "" || rest.startsWith("/");
};

/** A task instance of Airflow's UI, as its page's address names it. */
export interface TaskInstanceRef {
  dagId: string;
  runId: string;
  taskId: string;
  mapIndex: number;
}

// dags/:dagId/runs/:runId/tasks/:taskId[/mapped/:mapIndex][/<tab>], Airflow 3.0's routes.
const TASK_INSTANCE_ROUTE = /^\/dags\/([^/]+)\/runs\/([^/]+)\/tasks\/([^/]+)(?:\/mapped\/(\d+))?(?:\/([^/]+))?\/?$/;

/** The task instance whose page `pathname` is, or undefined on any other page. */
export const taskInstanceAt = (pathname: string = globalThis.location.pathname): TaskInstanceRef | undefined => {
  const prefix = airflowPrefix(pathname);
  if (!pathname.startsWith(`${prefix}/`)) return undefined;
  const match = TASK_INSTANCE_ROUTE.exec(pathname.slice(prefix.length));
  if (match === null) return undefined;
  const [, dagId = "", runId = "", taskId = "", mapIndex, tab] = match;
  // ".../tasks/:taskId/mapped" (no index) lists the mapped instances: not one task instance.
  if (mapIndex === undefined && tab === "mapped") return undefined;
  try {
    return {
      dagId: decodeURIComponent(dagId),
      mapIndex: mapIndex === undefined ? -1 : Number(mapIndex),
      runId: decodeURIComponent(runId),
      taskId: decodeURIComponent(taskId),
    };
  } catch {
    return undefined; // a malformed escape: not an address Airflow made
  }
};

/** Airflow's navigation rail: the fixed element holding its link to the DAG list. */
export const airflowRail = (): HTMLElement | null => {
  const dags = new URL("dags", document.baseURI).pathname;
  const link = Array.from(document.querySelectorAll<HTMLAnchorElement>("a[href]")).find(
    (anchor) => anchor.id !== NAV_ENTRY_ID && anchor.querySelector("button") !== null && new URL(anchor.href).pathname === dags,
  );
  let element = link?.parentElement ?? null;
  while (element !== null && getComputedStyle(element).position !== "fixed") element = element.parentElement;
  return element;
};

/** Airflow's content area: the element after its navigation rail. */
export const airflowContentArea = (): HTMLElement | null => {
  const next = airflowRail()?.nextElementSibling;
  return next instanceof HTMLElement ? next : null;
};

let hideRule: HTMLStyleElement | undefined;

/** Makes `host` show the app only: Airflow's own content there ("not found") is hidden. */
export const hostIn = (host: HTMLElement, container: HTMLElement): void => {
  if (hideRule === undefined) {
    hideRule = document.createElement("style");
    hideRule.textContent = `[${HOST_ATTRIBUTE}] > :not(#${APP_ROOT_ID}) { display: none !important; }`;
    document.head.append(hideRule);
  }
  for (const previous of document.querySelectorAll(`[${HOST_ATTRIBUTE}]`)) {
    if (previous !== host) previous.removeAttribute(HOST_ATTRIBUTE);
  }
  host.setAttribute(HOST_ATTRIBUTE, "");
  if (container.parentElement !== host) host.append(container);
};

/** Gives Airflow its content area back. */
export const release = (container: HTMLElement): void => {
  container.parentElement?.removeAttribute(HOST_ATTRIBUTE);
  container.remove();
};
