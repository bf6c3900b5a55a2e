import { afterEach, describe, expect, it } from "vitest";

import { isAppPath, taskInstanceAt } from "./page";

const setBase = (href: string | undefined) => {
  document.querySelector("base")?.remove();
  if (href === undefined) return;
  const base = document.createElement("base");
  base.href = href;
  document.head.append(base);
};

afterEach(() => setBase(undefined));

describe("taskInstanceAt", () => {
  it("reads the task instance of Airflow's task instance pages and their tabs", () => {
    const ti = { dagId: "deploy", mapIndex: -1, runId: "manual__2026-12-01T10:00:00+00:00", taskId: "approve" };
    expect(taskInstanceAt("/dags/deploy/runs/manual__2026-12-01T10%3A00%3A00%2B00%3A00/tasks/approve")).toEqual(ti);
    expect(taskInstanceAt("/dags/deploy/runs/manual__2026-12-01T10:00:00+00:00/tasks/approve/details")).toEqual(ti);
    expect(taskInstanceAt("/dags/deploy/runs/r/tasks/approve/mapped/3/xcom")).toEqual({
      dagId: "deploy",
      mapIndex: 3,
      runId: "r",
      taskId: "approve",
    });
  });

  it("is undefined on other pages", () => {
    for (const path of [
      "/",
      "/dags/deploy",
      "/dags/deploy/runs/r",
      "/dags/deploy/tasks/approve",
      "/dags/deploy/runs/r/tasks/approve/mapped",
      "/dags/deploy/runs/r/tasks/approve/details/more",
      "/dags/deploy/runs/%E0%A4/tasks/approve",
      "/required_actions/dags/deploy/runs/r/tasks/approve/-1",
    ]) {
      expect(taskInstanceAt(path), path).toBeUndefined();
    }
  });

  it("reads paths under the base path Airflow's page sets", () => {
    setBase("http://localhost:3000/airflow/");
    expect(taskInstanceAt("/airflow/dags/d/runs/r/tasks/t")).toEqual({ dagId: "d", mapIndex: -1, runId: "r", taskId: "t" });
    expect(taskInstanceAt("/dags/d/runs/r/tasks/t")).toBeUndefined();
  });
});

describe("isAppPath", () => {
  it("is the app's pages only, not a DAG that happens to be named like them", () => {
    expect(isAppPath("/required_actions")).toBe(true);
    expect(isAppPath("/required_actions/dags/d/runs/r/tasks/t/-1")).toBe(true);
    expect(isAppPath("/required_actions_report")).toBe(false);
    setBase("http://localhost:3000/");
    expect(isAppPath("/dags/required_actions")).toBe(false);
    expect(isAppPath("/required_actions")).toBe(true);
  });
});
