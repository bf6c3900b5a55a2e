import { screen } from "@testing-library/react";
import axe from "axe-core";
import { beforeEach, describe, expect, it } from "vitest";

import { fakeApi, makeDetail } from "./fakeApi";
import { renderRoute } from "./render";

/** Serious and critical axe findings (colour contrast needs a real browser and is left out). */
const seriousViolations = async (): Promise<string[]> => {
  const results = await axe.run(document.body, { rules: { "color-contrast": { enabled: false } } });
  return results.violations
    .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
    .map((violation) => `${violation.id}: ${violation.nodes.map((node) => node.html).join(" | ")}`);
};

const detail = makeDetail({
  options: ["OK"],
  defaults: ["OK"],
  params: {
    count: { schema: { maximum: 10, minimum: 1, type: "integer" }, value: 3 },
    flag: { schema: { type: "boolean" }, value: false },
    note: { schema: { format: "multiline", section: "More", type: "string" }, value: null },
    tags: { schema: { items: { enum: ["a", "b"] }, type: "array" }, value: [] },
    tone: { schema: { enum: ["x", "y"], type: "string" }, value: "x" },
  },
});

beforeEach(() => {
  localStorage.setItem("token", "test-token");
  fakeApi((call) => {
    if (call.path === "/api/v2/hitl/counts") return { body: { cancelled: 0, pending: 1, pending_for_me: 1, responded: 0, timed_out: 0 } };
    if (call.path === "/api/v2/hitl/groups") return { body: { groups: [], total_entries: 0 } };
    if (call.path === "/api/v2/dags/~/dagRuns/~/hitlDetails") return { body: { hitl_details: [detail], total_entries: 1 } };
    if (call.path.endsWith("/hitlDetails")) return { body: detail };
    if (call.path === "/api/v2/dags/example_dag/tasks") return { body: { tasks: [], total_entries: 0 } };
    return undefined;
  });
});

describe("accessibility (axe-core)", () => {
  it("the inbox has no serious or critical violations", async () => {
    renderRoute("/");
    await screen.findAllByTestId("request-row");
    expect(await seriousViolations()).toEqual([]);
  });

  it("the response view with a form has no serious or critical violations", async () => {
    renderRoute("/dags/example_dag/runs/r1/tasks/approve/-1");
    await screen.findByRole("button", { name: "OK" });
    expect(await seriousViolations()).toEqual([]);
  });
});
