/*
 * "Required Actions" in the Airflow UI's navigation bar, with the number of human-in-the-loop
 * requests pending for the signed-in user.
 *
 * Airflow 3.0's UI has no slot for a plugin's nav entry, so the API server adds this script to
 * the UI's HTML shell. It is a progressive enhancement: it copies the look of Airflow's own nav
 * buttons when it finds them and adds nothing when it does not (another Airflow version, other
 * markup); the Required Actions pages at /required_actions work without it.
 */
(function () {
  "use strict";

  var ENTRY_ID = "hitl-required-actions-nav";
  var TITLE = "Required Actions";
  var REFRESH_MS = 60000;
  var SVG_NS = "http://www.w3.org/2000/svg";

  // Airflow's shell sets <base href> to the API server's base path; resolve against it so a
  // deployment under a sub-path works too.
  var inboxUrl = new URL("required_actions", document.baseURI).href;
  var countsUrl = new URL("api/v2/hitl/counts", document.baseURI).href;
  var inboxPath = new URL(inboxUrl).pathname;
  var navPaths = ["dags", "assets"].map(function (to) {
    return new URL(to, document.baseURI).pathname;
  });

  var pendingForMe = null; // null until the counts answered for the current token
  var countedToken = null;
  var renderQueued = false;

  function currentToken() {
    try {
      return window.localStorage.getItem("token");
    } catch (err) {
      return null; // storage disabled: behave as signed out
    }
  }

  // One of Airflow's nav buttons (a link wrapping a button), preferring one that is not the
  // active page, so the entry takes the look of an inactive button.
  function findTemplate() {
    var candidates = Array.prototype.filter.call(document.querySelectorAll("a[href]"), function (a) {
      var button = a.querySelector("button");
      return (
        a.id !== ENTRY_ID &&
        button !== null &&
        button.children.length >= 2 &&
        navPaths.indexOf(new URL(a.href, document.baseURI).pathname) !== -1
      );
    });
    var inactive = candidates.filter(function (a) {
      return a.getAttribute("aria-current") !== "page";
    });
    return inactive[0] || candidates[0] || null;
  }

  function icon() {
    var svg = document.createElementNS(SVG_NS, "svg");
    var attributes = {
      viewBox: "0 0 24 24",
      width: "1.75rem",
      height: "1.75rem",
      fill: "none",
      stroke: "currentColor",
      "stroke-width": "2",
      "stroke-linecap": "round",
      "stroke-linejoin": "round",
      "aria-hidden": "true",
      focusable: "false",
    };
    Object.keys(attributes).forEach(function (name) {
      svg.setAttribute(name, attributes[name]);
    });
    // A clipboard with a tick: something waits for a person's decision.
    ["M8 4H6.5A1.5 1.5 0 0 0 5 5.5v14A1.5 1.5 0 0 0 6.5 21h11a1.5 1.5 0 0 0 1.5-1.5v-14A1.5 1.5 0 0 0 17.5 4H16",
     "M9 3h6v3H9z",
     "M9 13.5l2 2 4-4.5"].forEach(function (d) {
      var path = document.createElementNS(SVG_NS, "path");
      path.setAttribute("d", d);
      svg.appendChild(path);
    });
    return svg;
  }

  function build(template) {
    var button = template.querySelector("button");
    var iconSource = button.children[0];
    var titleSource = button.children[button.children.length - 1];

    var link = document.createElement("a");
    link.id = ENTRY_ID;
    link.href = inboxUrl;
    link.className = button.className; // Airflow's (Chakra's) nav-button styles
    link.style.position = "relative";
    link.style.textDecoration = "none";

    var iconBox = document.createElement(iconSource.tagName);
    iconBox.className = iconSource.className;
    iconBox.appendChild(icon());

    var title = document.createElement(titleSource.tagName);
    title.className = titleSource.className;
    title.textContent = TITLE;

    var badge = document.createElement("span");
    badge.setAttribute("data-hitl-nav-count", "");
    badge.setAttribute("aria-hidden", "true");
    badge.style.cssText =
      "position:absolute;top:6px;right:10px;min-width:1.25rem;height:1.25rem;padding:0 0.3rem;" +
      "border-radius:9999px;font-size:0.7rem;font-weight:600;line-height:1.25rem;text-align:center;" +
      "color:#fff;background:var(--chakra-colors-red-solid, #c53030);display:none";

    // The count for screen readers, as part of the link's name.
    var spoken = document.createElement("span");
    spoken.setAttribute("data-hitl-nav-count-text", "");
    spoken.style.cssText =
      "position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap";

    link.appendChild(iconBox);
    link.appendChild(title);
    link.appendChild(badge);
    link.appendChild(spoken);
    return link;
  }

  function showCount(link) {
    var badge = link.querySelector("[data-hitl-nav-count]");
    var spoken = link.querySelector("[data-hitl-nav-count-text]");
    var count = pendingForMe || 0;
    var text = count > 99 ? "99+" : String(count);
    if (badge.textContent !== text) {
      badge.textContent = text;
    }
    badge.style.display = count > 0 ? "inline-block" : "none";
    var said = count > 0 ? " (" + count + " pending for you)" : "";
    if (spoken.textContent !== said) {
      spoken.textContent = said;
    }
    var hint = count === 1 ? "1 request waits for you" : count + " requests wait for you";
    if (link.title !== hint) {
      link.title = hint;
    }
  }

  // On the Required Actions pages the entry looks as Airflow's own entry of the page shown does
  // (Chakra's "solid" nav button of the blue palette), and says so to screen readers.
  function showActive(link) {
    var path = window.location.pathname;
    var active = path === inboxPath || path.indexOf(inboxPath + "/") === 0;
    if (active === (link.getAttribute("aria-current") === "page")) {
      return;
    }
    if (active) {
      link.setAttribute("aria-current", "page");
      link.style.background = "var(--chakra-colors-blue-solid)";
      link.style.color = "var(--chakra-colors-blue-contrast)";
    } else {
      link.removeAttribute("aria-current");
      link.style.background = "";
      link.style.color = "";
    }
  }

  function remove() {
    var link = document.getElementById(ENTRY_ID);
    if (link) {
      link.remove();
    }
  }

  function render() {
    renderQueued = false;
    var token = currentToken();
    if (!token) {
      pendingForMe = null;
      countedToken = null;
      remove();
      return;
    }
    if (token !== countedToken) {
      refresh(); // signed in since the last count (or as somebody else)
      return;
    }
    if (pendingForMe === null) {
      return;
    }
    var template = findTemplate();
    if (!template || !template.parentElement) {
      return;
    }
    var link = document.getElementById(ENTRY_ID) || build(template);
    if (link.parentElement !== template.parentElement) {
      template.parentElement.appendChild(link);
    }
    showCount(link);
    showActive(link);
  }

  function queueRender() {
    if (!renderQueued) {
      renderQueued = true;
      window.requestAnimationFrame(render);
    }
  }

  function refresh() {
    var token = currentToken();
    if (!token) {
      render();
      return;
    }
    countedToken = token;
    fetch(countsUrl, { headers: { Authorization: "Bearer " + token }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          pendingForMe = null; // token expired or no access: show nothing
          remove();
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (counts) {
        if (counts && typeof counts.pending_for_me === "number") {
          pendingForMe = counts.pending_for_me;
          queueRender();
        }
      })
      .catch(function () {
        // Offline or the server is restarting: keep what is shown, try again later.
      });
  }

  // React re-renders the nav; put the entry back whenever it went missing.
  new MutationObserver(queueRender).observe(document.documentElement, { childList: true, subtree: true });
  window.addEventListener("focus", refresh);
  window.addEventListener("storage", function (event) {
    if (event.key === "token" || event.key === null) {
      refresh();
    }
  });
  window.setInterval(function () {
    if (!document.hidden) {
      refresh();
    }
  }, REFRESH_MS);
  refresh();
})();
