import createClient, { type Middleware } from "openapi-fetch";

import { airflowPrefix, getToken, isAuthFailure, redirectToLogin } from "./auth";
import type { components, paths } from "./schema.gen";

export type HITLDetail = components["schemas"]["HITLDetail"];
export type HITLCounts = components["schemas"]["HITLCounts"];
export type HITLUser = components["schemas"]["HITLUser"];
export type HITLStatus = components["schemas"]["HITLStatus"];
export type HITLGroup = components["schemas"]["HITLGroupResponse"];
export type HITLAnswer = components["schemas"]["HITLDetailResponse"];
export type ListQuery = NonNullable<
  paths["/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/hitlDetails"]["get"]["parameters"]["query"]
>;

/** An API error with its HTTP status and the decoded `detail` of the body. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: unknown;

  constructor(status: number, detail: unknown) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
  }
}

const detailOf = async (response: Response): Promise<unknown> => {
  try {
    const body: unknown = await response.clone().json();
    return typeof body === "object" && body !== null && "detail" in body ? body.detail : body;
  } catch {
    return undefined;
  }
};

const authMiddleware: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token === undefined) {
      redirectToLogin();
      throw new ApiError(401, "Not signed in");
    }
    request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.ok) return response;
    const detail = await detailOf(response);
    if (isAuthFailure(response.status, detail)) redirectToLogin();
    throw new ApiError(response.status, detail);
  },
};

/** Typed client of the human-in-the-loop REST API (generated types in schema.gen.ts). */
export const hitlApi = createClient<paths>({
  baseUrl: `${globalThis.location.origin}${airflowPrefix()}`,
  // Looked up at call time, so that tests can replace it.
  fetch: (request) => globalThis.fetch(request),
});
hitlApi.use(authMiddleware);

/** GET a path of Airflow's own REST API (not part of the HITL OpenAPI document). */
export const airflowGet = async <T>(path: string, query: Record<string, string | number> = {}): Promise<T> => {
  const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)]));
  const url = `${airflowPrefix()}${path}${search.size > 0 ? `?${search.toString()}` : ""}`;
  const token = getToken();
  if (token === undefined) {
    redirectToLogin();
    throw new ApiError(401, "Not signed in");
  }
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    const detail = await detailOf(response);
    if (isAuthFailure(response.status, detail)) redirectToLogin();
    throw new ApiError(response.status, detail);
  }
  return (await response.json()) as T;
};

/** Path segment encoding for ids that may hold '/', ':' or '+' (run ids do). */
export const seg = (value: string | number): string => encodeURIComponent(String(value));
