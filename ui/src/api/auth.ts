/**
 * Airflow's login, shared with the Airflow UI: the UI keeps its JWT in localStorage["token"]
 * (moved there from the `_token` cookie the login page sets). Pages on the same origin send it as
 * a bearer token; without one, or when the API rejects it, the browser goes to Airflow's login
 * page with `next` pointing back here.
 */

export const TOKEN_STORAGE_KEY = "token";
const LOGIN_COOKIE = "_token";
const APP_SEGMENT = "/required_actions";

/**
 * The path Airflow is served under ("" at the root of the host). Airflow's pages (ours inside
 * them included) set `<base href>` to it; the dev server's page has none, and the app's own
 * address tells it there.
 */
export const airflowPrefix = (pathname: string = globalThis.location.pathname): string => {
  if (document.querySelector("base[href]") !== null) return new URL(document.baseURI).pathname.replace(/\/+$/, "");
  const at = pathname.indexOf(APP_SEGMENT);
  return at > 0 ? pathname.slice(0, at) : "";
};

const takeTokenFromCookie = (): string | undefined => {
  for (const part of document.cookie.split(";")) {
    const separator = part.indexOf("=");
    if (separator < 0) continue;
    const name = part.slice(0, separator).trim();
    const value = part.slice(separator + 1).trim();
    if (name === LOGIN_COOKIE && value !== "") {
      localStorage.setItem(TOKEN_STORAGE_KEY, value);
      // The cookie was only the hand-over from the login page; the Airflow UI clears it the same way.
      document.cookie = `${LOGIN_COOKIE}=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/`;
      return value;
    }
  }
  return undefined;
};

export const getToken = (): string | undefined =>
  localStorage.getItem(TOKEN_STORAGE_KEY) ?? takeTokenFromCookie();

/** Airflow's login URL that comes back to `returnTo` after signing in. */
export const loginUrl = (returnTo: string = globalThis.location.href): string => {
  const params = new URLSearchParams({ next: returnTo });
  return `${airflowPrefix()}/api/v2/auth/login?${params.toString()}`;
};

export const redirectToLogin = (): void => {
  localStorage.removeItem(TOKEN_STORAGE_KEY);
  globalThis.location.replace(loginUrl());
};

/** Whether a response means "sign in again" (Airflow's UI treats both the same way). */
export const isAuthFailure = (status: number, detail: unknown): boolean =>
  status === 401 || (status === 403 && detail === "Invalid JWT token");
