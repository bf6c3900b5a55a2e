import { vi } from "vitest";

import type { HITLDetail } from "../api/client";

export interface Recorded {
  method: string;
  path: string;
  search: URLSearchParams;
  body: unknown;
  headers: Headers;
}

type Handler = (call: Recorded) => { status?: number; body: unknown } | undefined;

/** Replace fetch with `handler`; every call is recorded. Unhandled calls get 404. */
export const fakeApi = (handler: Handler): Recorded[] => {
  const calls: Recorded[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), globalThis.location.origin), init);
    const url = new URL(request.url);
    const text = request.method === "GET" ? "" : await request.text();
    const call: Recorded = {
      body: text === "" ? undefined : (JSON.parse(text) as unknown),
      headers: request.headers,
      method: request.method,
      path: decodeURIComponent(url.pathname),
      search: url.searchParams,
    };
    calls.push(call);
    const answer = handler(call) ?? { body: { detail: "Not Found" }, status: 404 };
    return new Response(JSON.stringify(answer.body), {
      headers: { "Content-Type": "application/json" },
      status: answer.status ?? 200,
    });
  });
  return calls;
};

export const makeDetail = (overrides: Partial<HITLDetail> = {}): HITLDetail => ({
  assigned_groups: [],
  assigned_users: [],
  body: "Please **check** the numbers.",
  chosen_options: null,
  closed_ti_state: null,
  created_at: new Date(Date.now() - 3600_000).toISOString(),
  deadline: new Date(Date.now() + 3600_000).toISOString(),
  defaults: ["Reject"],
  multiple: false,
  options: ["Approve", "Reject"],
  override: false,
  params: {},
  params_input: null,
  policy: { allow_self_approval: true, excluded_users: [], require_comment_on: [], required_votes: {} },
  responded_at: null,
  responded_by_user: null,
  response_channel: null,
  response_received: false,
  resumed_at: null,
  status: "pending",
  subject: "Publish the report?",
  task_instance: {
    dag_id: "example_dag",
    dag_run_id: "manual__2026-11-28T03:44:19+00:00",
    id: "0193-ti",
    map_index: -1,
    state: "deferred",
    task_id: "approve",
    try_number: 1,
  },
  ...overrides,
});
