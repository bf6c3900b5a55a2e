// The prepared-link page. A GET of the page does nothing; this script sends the link with the
// person's Airflow login (a bearer token, never a cookie) and shows what the server answered.
// Everything shown is set with textContent: nothing from the link or the server becomes markup.
"use strict";

(function () {
  const TOKEN_KEY = "token"; // where Airflow's UI keeps its login
  const LOGIN_MARK = "hitl-link-login"; // when this tab last went to the login page
  const MARKER = "/hitl/links/";
  const VIEW_PREFIX = "/required_actions/"; // the only place this page sends anyone

  const path = window.location.pathname;
  const root = path.slice(0, path.indexOf(MARKER)); // Airflow's base path, "" at the root

  function element(id) {
    return document.getElementById(id);
  }

  function show(state, title, message) {
    document.body.dataset.state = state;
    element("title").textContent = title;
    element("message").textContent = message;
  }

  function showRequest(request) {
    const details = element("details");
    const rows = [
      ["Request", request.subject],
      ["DAG", request.dag_id],
      ["Run", request.dag_run_id],
      ["Task", request.map_index >= 0 ? request.task_id + " [" + request.map_index + "]" : request.task_id],
      ["Status", request.status],
    ];
    if (request.chosen_options) rows.push(["Answer", request.chosen_options.join(", ")]);
    if (request.responded_by) rows.push(["Answered by", request.responded_by.name]);
    for (const [label, value] of rows) {
      const term = document.createElement("dt");
      term.textContent = label;
      const description = document.createElement("dd");
      description.textContent = String(value);
      details.append(term, description);
    }
    details.hidden = false;
    if (typeof request.view === "string" && request.view.startsWith(VIEW_PREFIX)) {
      element("view").href = root + request.view;
      element("actions").hidden = false;
    }
  }

  // The UI's token, or the one Airflow's login page left in the _token cookie (moved to
  // localStorage the way the UI does it, so the UI is logged in afterwards too).
  function airflowToken() {
    const stored = window.localStorage.getItem(TOKEN_KEY);
    if (stored) return stored;
    for (const part of document.cookie.split(";")) {
      const separator = part.indexOf("=");
      if (separator > 0 && part.slice(0, separator).trim() === "_token") {
        const token = part.slice(separator + 1).trim();
        document.cookie = "_token=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=/";
        if (!token) return null;
        window.localStorage.setItem(TOKEN_KEY, token);
        return token;
      }
    }
    return null;
  }

  function loginUrl() {
    return root + "/api/v2/auth/login?next=" + encodeURIComponent(window.location.href);
  }

  // Airflow's own login (whichever auth manager is configured) brings the person back here. If
  // this tab came back without a login a moment ago, offer the login instead of looping.
  function logIn() {
    const last = Number(window.sessionStorage.getItem(LOGIN_MARK) || "0");
    if (Date.now() - last < 60000) {
      show("refused", "Please log in to Airflow", "This link works only for a logged-in Airflow user.");
      const view = element("view");
      view.textContent = "Log in to Airflow";
      view.href = loginUrl();
      element("actions").hidden = false;
      return;
    }
    window.sessionStorage.setItem(LOGIN_MARK, String(Date.now()));
    show("working", "Logging in…", "Airflow's login page opens, then this link again.");
    window.location.replace(loginUrl());
  }

  // A link sent to a group answers only after this click, and an answer that needs a reason only
  // with its comment: the page asks first. Every confirmation may carry a comment.
  function askToConfirm(body) {
    show("confirm", body.title, body.message);
    if (body.request) showRequest(body.request);
    const required = body.comment_required === true;
    const comment = element("comment");
    element("comment-label").textContent = required ? "Comment (required)" : "Comment (optional)";
    comment.required = required;
    element("comment-row").hidden = false;
    const button = element("confirm");
    button.textContent = body.title.replace(/\?$/, "");
    button.hidden = false;
    const send = () => {
      const text = comment.value.trim();
      if (required && !text) {
        element("comment-error").textContent = "Please say why: this answer needs a comment.";
        comment.focus();
        return;
      }
      button.removeEventListener("click", send);
      button.disabled = true;
      element("details").replaceChildren();
      element("details").hidden = true;
      element("actions").hidden = true;
      element("comment-row").hidden = true;
      button.hidden = true;
      show("working", "Sending your answer…", "");
      run(0, true, text || null);
    };
    button.addEventListener("click", send);
  }

  async function run(attempt, confirmed, comment) {
    const token = airflowToken();
    if (!token) {
      logIn();
      return;
    }
    const headers = { Authorization: "Bearer " + token, Accept: "application/json" };
    if (confirmed) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        headers: headers,
        body: confirmed ? JSON.stringify({ confirm: true, comment: comment }) : undefined,
        credentials: "omit",
        cache: "no-store",
      });
    } catch (error) {
      show("refused", "Airflow could not be reached", "Nothing was done. Try the link again later.");
      return;
    }
    let body = null;
    try {
      body = await response.json();
    } catch (error) {
      body = null;
    }
    const loginRefused =
      response.status === 401 || (response.status === 403 && body && body.detail === "Invalid JWT token");
    if (loginRefused) {
      window.localStorage.removeItem(TOKEN_KEY);
      logIn();
      return;
    }
    window.sessionStorage.removeItem(LOGIN_MARK);
    if (!body || typeof body.outcome !== "string") {
      show("refused", "Unexpected answer from Airflow", "HTTP status " + response.status + ". Nothing was done.");
      return;
    }
    if (body.outcome === "opened" && typeof body.redirect === "string" && body.redirect.startsWith(VIEW_PREFIX)) {
      show("opened", body.title, body.message);
      window.location.replace(root + body.redirect);
      return;
    }
    if (body.outcome === "confirm") {
      askToConfirm(body);
      return;
    }
    if (body.outcome === "not_ready") {
      if (attempt < 15) {
        show("working", body.title, body.message);
        window.setTimeout(() => run(attempt + 1, confirmed, comment), 2000);
      } else {
        show("refused", body.title, "Nothing was done. Try the link again in a few minutes.");
      }
      return;
    }
    show(body.outcome === "answered" ? "answered" : "refused", body.title, body.message);
    if (body.request) showRequest(body.request);
  }

  run(0, false, null);
})();
