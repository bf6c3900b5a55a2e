/** Query keys, in one place so that answering can invalidate everything about requests. */
export const keys = {
  all: ["hitl"] as const,
  counts: () => [...keys.all, "counts"] as const,
  groups: () => [...keys.all, "groups"] as const,
  list: (query: object) => [...keys.all, "list", query] as const,
  request: (ref: object) => [...keys.all, "request", ref] as const,
};
