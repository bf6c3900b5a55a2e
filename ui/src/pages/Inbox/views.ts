import type { HITLCounts, ListQuery } from "../../api/client";

export type ViewId = "all" | "mine" | "pending" | "responded" | "timed_out";

export interface View {
  id: ViewId;
  label: string;
  query: Pick<ListQuery, "for_me" | "status">;
  count: (counts: HITLCounts) => number;
}

/** The inbox's segments: what each lists and which count it shows. */
export const VIEWS: View[] = [
  { count: (c) => c.pending_for_me, id: "mine", label: "Pending for me", query: { for_me: true, status: ["pending"] } },
  { count: (c) => c.pending, id: "pending", label: "All pending", query: { status: ["pending"] } },
  { count: (c) => c.responded, id: "responded", label: "Responded", query: { status: ["responded"] } },
  { count: (c) => c.timed_out, id: "timed_out", label: "Timed out", query: { status: ["timed_out"] } },
  { count: (c) => c.pending + c.responded + c.timed_out + c.cancelled, id: "all", label: "All", query: {} },
];

export const SORTS = [
  { id: "newest", label: "Newest first", orderBy: "-created_at" },
  { id: "oldest", label: "Oldest first", orderBy: "created_at" },
  { id: "deadline", label: "Deadline soonest", orderBy: "deadline" },
] as const;

export type SortId = (typeof SORTS)[number]["id"];

export const PAGE_SIZE = 25;

export interface InboxState {
  view: ViewId;
  dag: string;
  task: string;
  subject: string;
  body: string;
  group: string;
  sort: SortId;
  page: number;
}

const viewIds: readonly string[] = VIEWS.map((view) => view.id);
const sortIds: readonly string[] = SORTS.map((sort) => sort.id);

/** The inbox state kept in the URL, so that a view can be bookmarked and shared. */
export const readInboxState = (search: URLSearchParams): InboxState => {
  const view = search.get("view") ?? "mine";
  const sort = search.get("sort") ?? "newest";
  const page = Number.parseInt(search.get("page") ?? "1", 10);
  return {
    body: search.get("body") ?? "",
    dag: search.get("dag") ?? "",
    group: search.get("group") ?? "",
    page: Number.isFinite(page) && page > 0 ? page : 1,
    sort: (sortIds.includes(sort) ? sort : "newest") as SortId,
    subject: search.get("subject") ?? "",
    task: search.get("task") ?? "",
    view: (viewIds.includes(view) ? view : "mine") as ViewId,
  };
};

export const writeInboxState = (state: InboxState): URLSearchParams => {
  const search = new URLSearchParams();
  if (state.view !== "mine") search.set("view", state.view);
  for (const key of ["dag", "task", "subject", "body", "group"] as const) {
    if (state[key].trim() !== "") search.set(key, state[key]);
  }
  if (state.sort !== "newest") search.set("sort", state.sort);
  if (state.page > 1) search.set("page", String(state.page));
  return search;
};

/** The list request of an inbox state. */
export const toListQuery = (state: InboxState): ListQuery => {
  const view = VIEWS.find((candidate) => candidate.id === state.view);
  const query: ListQuery = {
    ...view?.query,
    limit: PAGE_SIZE,
    offset: (state.page - 1) * PAGE_SIZE,
    order_by: SORTS.find((sort) => sort.id === state.sort)?.orderBy ?? "-created_at",
  };
  if (state.dag.trim()) query.dag_id_pattern = state.dag.trim();
  if (state.task.trim()) query.task_id_pattern = state.task.trim();
  if (state.subject.trim()) query.subject_search = state.subject.trim();
  if (state.body.trim()) query.body_search = state.body.trim();
  if (state.group) query.assigned_group = state.group;
  return query;
};
