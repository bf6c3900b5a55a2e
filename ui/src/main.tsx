/**
 * The entry the API server adds to Airflow's UI pages. On the app's own pages
 * (`/required_actions/...`) it renders the app into Airflow's content area. On every page, a
 * plain click on the "Required Actions" nav entry opens the quick-action drawer (the requests
 * pending for me); a click with a modifier key, or a middle click, still opens the inbox. On a
 * task instance page whose task asks something, a panel shows the request with its buttons. The
 * app's code is loaded only when it is needed.
 */
import { isAppPath, NAV_ENTRY_ID, taskInstanceAt } from "./frame/page";

if (isAppPath()) {
  void import("./frame/mountApp").then(({ mountApp }) => mountApp());
}

// A task instance page gets the "Required action" panel when its task asks something. Airflow's
// UI moves between pages without reloading: the panel's code is loaded on the first such page.
let panelLoaded = false;
const loadTaskPanel = () => {
  if (panelLoaded || taskInstanceAt() === undefined) return;
  panelLoaded = true;
  void import("./frame/mountTaskPanel").then(({ mountTaskPanel }) => mountTaskPanel());
};
const watchForTaskPages = new MutationObserver(() => {
  loadTaskPanel();
  if (panelLoaded) watchForTaskPages.disconnect();
});
watchForTaskPages.observe(document.documentElement, { childList: true, subtree: true });
loadTaskPanel();

document.addEventListener(
  "click",
  (event) => {
    const entry = event.target instanceof Element ? event.target.closest(`#${NAV_ENTRY_ID}`) : null;
    if (entry === null || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    void import("./frame/mountDrawer").then(({ showDrawer }) => showDrawer());
  },
  true,
);
