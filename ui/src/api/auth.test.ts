import { afterEach, describe, expect, it } from "vitest";

import { airflowPrefix, getToken, isAuthFailure, loginUrl } from "./auth";

afterEach(() => {
  document.cookie = "_token=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
});

describe("auth", () => {
  it("reads the Airflow UI's token from localStorage", () => {
    localStorage.setItem("token", "abc");
    expect(getToken()).toBe("abc");
  });

  it("takes over the login page's _token cookie when no token is stored", () => {
    document.cookie = "_token=from-cookie; path=/";
    expect(getToken()).toBe("from-cookie");
    expect(localStorage.getItem("token")).toBe("from-cookie");
    expect(document.cookie).not.toContain("from-cookie");
  });

  it("has no token when signed out", () => {
    expect(getToken()).toBeUndefined();
  });

  it("sends the browser to Airflow's login page with a way back", () => {
    const back = "http://localhost:8080/required_actions/dags/d/runs/r/tasks/t/-1?try=2";
    expect(loginUrl(back)).toBe(`/api/v2/auth/login?next=${encodeURIComponent(back)}`);
  });

  it("finds the path Airflow is served under", () => {
    expect(airflowPrefix("/required_actions/dags/x")).toBe("");
    expect(airflowPrefix("/airflow/required_actions")).toBe("/airflow");
  });

  it("treats 401 and an invalid token as signed out, other 403s not", () => {
    expect(isAuthFailure(401, "Unauthorized")).toBe(true);
    expect(isAuthFailure(403, "Invalid JWT token")).toBe(true);
    expect(isAuthFailure(403, "not allowed")).toBe(false);
  });
});
