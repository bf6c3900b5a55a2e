import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";

import type { HITLDetail } from "../../api/client";
import { fakeApi, makeDetail, type Recorded } from "../../test/fakeApi";
import { renderRoute } from "../../test/render";

const DETAIL_PATH = "/api/v2/dags/example_dag/dagRuns/manual__2026-11-28T03:44:19+00:00/taskInstances/approve/-1/hitlDetails";
const ROUTE = "/dags/example_dag/runs/manual__2026-11-28T03%3A44%3A19%2B00%3A00/tasks/approve/-1";

const serve = (detail: HITLDetail, onPatch?: (call: Recorded) => { status?: number; body: unknown }) =>
  fakeApi((call) => {
    if (call.path === DETAIL_PATH && call.method === "GET") return { body: detail };
    if (call.path === DETAIL_PATH && call.method === "PATCH" && onPatch) return onPatch(call);
    if (call.path === "/api/v2/dags/example_dag/tasks") {
      return { body: { tasks: [{ downstream_task_ids: ["approve"], task_id: "prepare" }], total_entries: 1 } };
    }
    if (call.path.endsWith("/hitlDetails") && call.method === "GET") return { body: { hitl_details: [], total_entries: 0 } };
    return undefined;
  });

beforeEach(() => {
  localStorage.setItem("token", "test-token");
});

describe("the response view", () => {
  it("shows the request with its Markdown body, context and upstream tasks", async () => {
    const calls = serve(makeDetail());
    renderRoute(ROUTE);
    expect(await screen.findByRole("heading", { level: 1, name: "Publish the report?" })).toBeInTheDocument();
    expect(screen.getByText("check").tagName).toBe("STRONG");
    expect(screen.getByRole("link", { name: "Task logs" })).toHaveAttribute(
      "href",
      "/dags/example_dag/runs/manual__2026-11-28T03%3A44%3A19%2B00%3A00/tasks/approve?try_number=1",
    );
    expect(await screen.findByText("prepare")).toBeInTheDocument();
    expect(calls[0]?.headers.get("Authorization")).toBe("Bearer test-token");
  });

  it("answers with the clicked option through the UI channel", async () => {
    let detail = makeDetail();
    const calls = serve(detail, (call) => {
      detail = makeDetail({ chosen_options: ["Approve"], response_channel: "ui", responded_at: new Date().toISOString(), responded_by_user: { id: "alice", name: "Alice" }, status: "responded" });
      return { body: { chosen_options: (call.body as { chosen_options: string[] }).chosen_options, params_input: {}, responded_at: detail.responded_at, responded_by: { id: "alice", name: "Alice" } } };
    });
    renderRoute(ROUTE);
    await userEvent.click(await screen.findByRole("button", { name: "Approve" }));
    const patch = calls.find((call) => call.method === "PATCH");
    expect(patch?.body).toEqual({ chosen_options: ["Approve"], params_input: {} });
    expect(patch?.headers.get("X-HITL-Channel")).toBe("ui");
    expect(await screen.findByRole("status")).toHaveTextContent("Your answer was recorded.");
  });

  it("sends the comment with the answer", async () => {
    const calls = serve(makeDetail(), (call) => ({
      body: { ...(call.body as object), responded_at: new Date().toISOString(), responded_by: { id: "alice", name: "Alice" } },
    }));
    renderRoute(ROUTE);
    await userEvent.type(await screen.findByRole("textbox", { name: "Comment" }), "  numbers checked  ");
    await userEvent.click(screen.getByRole("button", { name: "Approve" }));
    await waitFor(() =>
      expect(calls.find((call) => call.method === "PATCH")?.body).toEqual({
        chosen_options: ["Approve"],
        comment: "numbers checked",
        params_input: {},
      }),
    );
  });

  it("asks for a comment before sending an option that needs one", async () => {
    const detail = makeDetail({ policy: { allow_self_approval: true, excluded_users: [], require_comment_on: ["Reject"], required_votes: {} } });
    const calls = serve(detail, (call) => ({
      body: { ...(call.body as object), responded_at: new Date().toISOString(), responded_by: { id: "alice", name: "Alice" } },
    }));
    renderRoute(ROUTE);
    const comment = await screen.findByRole("textbox", { name: "Comment" });
    expect(comment).toHaveAccessibleDescription("Required when you choose Reject: say why. Optional otherwise.");
    await userEvent.click(screen.getByRole("button", { name: "Reject" }));
    expect(calls.some((call) => call.method === "PATCH")).toBe(false);
    expect(screen.getByRole("alert")).toHaveTextContent("A comment is required when choosing Reject: say why.");
    expect(comment).toHaveFocus();

    await userEvent.type(comment, "the totals do not add up");
    await userEvent.click(screen.getByRole("button", { name: "Reject" }));
    await waitFor(() =>
      expect(calls.find((call) => call.method === "PATCH")?.body).toEqual({
        chosen_options: ["Reject"],
        comment: "the totals do not add up",
        params_input: {},
      }),
    );
  });

  it("shows the votes so far of a request that needs a quorum, and why the voter waits", async () => {
    const detail = makeDetail({
      can_respond: false,
      cannot_respond_reason: "you voted 'Approve' at 2026-12-01T10:00:00+00:00; the request waits for more votes",
      policy: { allow_self_approval: true, excluded_users: [], require_comment_on: [], required_votes: { Approve: 2 } },
      votes: [
        {
          channel: "ui",
          chosen_options: ["Approve"],
          comment: "checked the diff",
          override: false,
          params_input: {},
          user: { id: "alice", name: "Alice" },
          voted_at: new Date().toISOString(),
        },
      ],
    });
    serve(detail);
    renderRoute(ROUTE);
    expect(await screen.findByTestId("vote-tally")).toHaveTextContent("Approve: 1 of 2 · Reject: 0 of 1");
    expect(within(screen.getByTestId("votes")).getByText("Alice")).toBeInTheDocument();
    expect(screen.getByTestId("votes")).toHaveTextContent("checked the diff");
    expect(screen.getByTestId("read-only-reason")).toHaveTextContent("the request waits for more votes");
    expect(screen.queryByRole("button", { name: "Approve" })).not.toBeInTheDocument();
  });

  it("checks the form before sending and shows the server's per-field errors", async () => {
    const detail = makeDetail({
      options: ["OK"],
      defaults: ["OK"],
      params: {
        count: { schema: { maximum: 10, minimum: 1, type: "integer" }, value: 3 },
        reason: { schema: { minLength: 5, type: "string" }, value: null },
      },
    });
    const calls = serve(detail, () => ({
      body: { detail: [{ loc: ["body", "params_input", "count"], msg: "server says no", type: "value_error" }] },
      status: 422,
    }));
    renderRoute(ROUTE);
    const count = await screen.findByRole("spinbutton", { name: "count" });
    await userEvent.click(screen.getByRole("button", { name: "OK" }));
    expect(calls.some((call) => call.method === "PATCH")).toBe(false);
    expect(screen.getByRole("textbox", { name: "reason" })).toHaveAccessibleDescription("A value is required.");

    await userEvent.type(screen.getByRole("textbox", { name: "reason" }), "good enough");
    await userEvent.click(screen.getByRole("button", { name: "OK" }));
    await waitFor(() => expect(count).toHaveAccessibleDescription("server says no"));
    expect(calls.find((call) => call.method === "PATCH")?.body).toEqual({
      chosen_options: ["OK"],
      params_input: { count: 3, reason: "good enough" },
    });
  });

  it("turns read-only with the server's reason when the caller may not answer", async () => {
    serve(makeDetail(), () => ({ body: { detail: "this request is assigned to users ['bob']; you are not among them" }, status: 403 }));
    renderRoute(ROUTE);
    await userEvent.click(await screen.findByRole("button", { name: "Reject" }));
    expect(await screen.findByTestId("read-only-reason")).toHaveTextContent("you are not among them");
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
  });

  it("is read-only up front when the request says the caller cannot answer", async () => {
    serve(makeDetail({ can_respond: false, cannot_respond_reason: "assigned to finance" }));
    renderRoute(ROUTE);
    expect(await screen.findByTestId("read-only-reason")).toHaveTextContent("assigned to finance");
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
  });

  it("shows an earlier try read-only, with links to every try", async () => {
    const latest = makeDetail({ task_instance: { ...makeDetail().task_instance, try_number: 2 } });
    const earlier = makeDetail({ chosen_options: ["Reject"], status: "responded", responded_by_user: { id: "bob", name: "Bob" } });
    const calls = fakeApi((call) => {
      if (call.path === `${DETAIL_PATH}/tries/1`) return { body: { ...earlier, task_instance: { ...earlier.task_instance, try_number: 1 } } };
      if (call.path === DETAIL_PATH) return { body: latest };
      if (call.path === "/api/v2/dags/example_dag/tasks") return { body: { tasks: [], total_entries: 0 } };
      if (call.path === "/api/v2/dags/~/dagRuns/~/hitlDetails") return { body: { hitl_details: [], total_entries: 0 } };
      return undefined;
    });
    renderRoute(`${ROUTE}?try=1`);
    expect(await screen.findByTestId("answer-summary")).toHaveTextContent("Answered by Bob");
    expect(calls.some((call) => call.path === `${DETAIL_PATH}/tries/1`)).toBe(true);
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
    const tries = screen.getByRole("navigation", { name: "Tries" });
    expect(within(tries).getByRole("link", { name: "Try 1" })).toHaveAttribute("aria-current", "page");
    expect(within(tries).getByRole("link", { name: "Try 2" })).not.toHaveAttribute("aria-current");
  });

  it("warns an admin that answering a request assigned to others is an override", async () => {
    serve(makeDetail({ assigned_users: [{ id: "bob", name: "Bob" }], can_respond: true, respond_as_override: true }));
    renderRoute(ROUTE);
    expect(await screen.findByTestId("override-notice")).toHaveTextContent("recorded as an override");
    expect(screen.getByRole("button", { name: "Approve" })).toBeEnabled();
  });

  it("shows who answered, when and how, and offers the next pending request", async () => {
    const next = makeDetail({ subject: "Next one", task_instance: { ...makeDetail().task_instance, id: "other", task_id: "other" } });
    fakeApi((call) => {
      if (call.path === DETAIL_PATH) {
        return {
          body: makeDetail({
            chosen_options: ["Reject"],
            response_channel: "cli",
            responded_at: new Date().toISOString(),
            responded_by_user: { id: "alice", name: "Alice" },
            status: "responded",
          }),
        };
      }
      if (call.path === "/api/v2/dags/~/dagRuns/~/hitlDetails") return { body: { hitl_details: [next], total_entries: 1 } };
      if (call.path === "/api/v2/dags/example_dag/tasks") return { body: { tasks: [], total_entries: 0 } };
      return undefined;
    });
    const { router } = renderRoute(ROUTE);
    const summary = await screen.findByTestId("answer-summary");
    expect(summary).toHaveTextContent("Answered by Alice through the command line");
    expect(summary).toHaveTextContent("Chosen: Reject");
    expect(screen.queryByRole("button", { name: "Approve" })).toBeNull();
    await userEvent.click(await screen.findByRole("button", { name: "Next pending" }));
    expect(router.state.location.pathname).toBe("/dags/example_dag/runs/manual__2026-11-28T03%3A44%3A19%2B00%3A00/tasks/other/-1");
  });
});
