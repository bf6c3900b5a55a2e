import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { beforeEach, describe, expect, it } from "vitest";

import { fakeApi, makeDetail, type Recorded } from "../../test/fakeApi";
import { renderRoute } from "../../test/render";

const LIST = "/api/v2/dags/~/dagRuns/~/hitlDetails";

const serveInbox = (total = 1) =>
  fakeApi((call: Recorded) => {
    if (call.path === "/api/v2/hitl/counts") {
      return { body: { cancelled: 1, pending: 4, pending_for_me: 2, responded: 7, timed_out: 3 } };
    }
    if (call.path === "/api/v2/hitl/groups") return { body: { groups: [{ members: [], name: "finance" }], total_entries: 1 } };
    if (call.path === LIST) {
      const overdue = makeDetail({ deadline: new Date(Date.now() - 60_000).toISOString(), subject: "Overdue one" });
      const answered = makeDetail({
        assigned_groups: ["finance"],
        assigned_users: [{ id: "alice", name: "Alice" }],
        status: "responded",
        subject: "Answered one",
        task_instance: { ...makeDetail().task_instance, id: "b", task_id: "other" },
      });
      return { body: { hitl_details: [overdue, answered], total_entries: total } };
    }
    return undefined;
  });

const lastListQuery = (calls: Recorded[]) => calls.filter((call) => call.path === LIST).at(-1)?.search;

beforeEach(() => {
  localStorage.setItem("token", "test-token");
});

describe("the inbox", () => {
  it("lists what is pending for me by default, with counts per tab", async () => {
    const calls = serveInbox();
    renderRoute("/");
    expect(await screen.findByRole("heading", { level: 1, name: "Required Actions" })).toBeInTheDocument();
    const query = lastListQuery(calls);
    expect(query?.get("for_me")).toBe("true");
    expect(query?.getAll("status")).toEqual(["pending"]);
    expect(screen.getByRole("tab", { name: "Pending for me" })).toHaveAttribute("aria-selected", "true");
    await waitFor(() => expect(screen.getByTestId("count-mine")).toHaveTextContent("2"));
    expect(screen.getByTestId("count-all")).toHaveTextContent("15");
  });

  it("shows each request's subject, assignees, deadline and status, overdue highlighted", async () => {
    serveInbox();
    renderRoute("/");
    const rows = await screen.findAllByTestId("request-row");
    expect(rows).toHaveLength(2);
    const [overdue, answered] = rows as [HTMLElement, HTMLElement];
    expect(within(overdue).getByRole("link", { name: "Overdue one" })).toBeInTheDocument();
    expect(within(overdue).getByText(/overdue/u)).toHaveAttribute("data-overdue", "true");
    expect(within(answered).getByText("Alice")).toBeInTheDocument();
    expect(within(answered).getByText("group: finance")).toBeInTheDocument();
    expect(within(answered).getByTestId("status-badge")).toHaveTextContent("Responded");
    expect(within(answered).queryByText(/overdue/u)).toBeNull();
  });

  it("switches tabs, filters, sorts and pages through the list query", async () => {
    const calls = serveInbox(60);
    renderRoute("/");
    await userEvent.click(await screen.findByRole("tab", { name: "Timed out" }));
    await waitFor(() => expect(lastListQuery(calls)?.getAll("status")).toEqual(["timed_out"]));
    expect(lastListQuery(calls)?.get("for_me")).toBeNull();

    await userEvent.type(screen.getByRole("searchbox", { name: "DAG id" }), "etl{Enter}");
    await waitFor(() => expect(lastListQuery(calls)?.get("dag_id_pattern")).toBe("etl"));

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Sort by" }), "Deadline soonest");
    await waitFor(() => expect(lastListQuery(calls)?.get("order_by")).toBe("deadline"));

    await userEvent.selectOptions(screen.getByRole("combobox", { name: "Group" }), "finance");
    await waitFor(() => expect(lastListQuery(calls)?.get("assigned_group")).toBe("finance"));

    expect(await screen.findByTestId("result-range")).toHaveTextContent("1–25 of 60");
    await userEvent.click(screen.getByRole("button", { name: "Next page" }));
    await waitFor(() => expect(lastListQuery(calls)?.get("offset")).toBe("25"));
    expect(lastListQuery(calls)?.get("limit")).toBe("25");
  });

  it("opens a request from its row", async () => {
    serveInbox();
    const { router } = renderRoute("/");
    await userEvent.click(await screen.findByRole("link", { name: "Overdue one" }));
    expect(router.state.location.pathname).toBe(
      "/dags/example_dag/runs/manual__2026-11-28T03%3A44%3A19%2B00%3A00/tasks/approve/-1",
    );
  });

  it("offers all pending requests when nothing is waiting for me", async () => {
    const calls = fakeApi((call: Recorded) => {
      if (call.path === LIST) return { body: { hitl_details: [], total_entries: 0 } };
      if (call.path === "/api/v2/hitl/groups") return { body: { groups: [], total_entries: 0 } };
      return undefined;
    });
    renderRoute("/");
    expect(await screen.findByText("Nothing is waiting for you.")).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Show all pending" }));
    expect(screen.getByRole("tab", { name: "All pending" })).toHaveAttribute("aria-selected", "true");
    await waitFor(() => expect(lastListQuery(calls)?.get("for_me")).toBeNull());
    expect(lastListQuery(calls)?.getAll("status")).toEqual(["pending"]);
  });
});
