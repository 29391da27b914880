/* Shared helpers for the rating pages: GraphQL over fetch(), ids, strings. No dependencies, no build step. */
(function () {
  "use strict";

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  /* POST a query to this host's /graphql/. opts.token: a device's bearer token (then no cookies are sent).
     Otherwise a signed-in session needs the CSRF header; anonymous callers need nothing.
     Throws {status, graphql} on HTTP or GraphQL-level failure; a network failure throws a TypeError. */
  function gql(query, variables, opts) {
    opts = opts || {};
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (opts.token) {
      headers.Authorization = "Bearer " + opts.token;
    } else {
      var csrf = cookie("csrftoken");
      if (csrf) headers["X-CSRFToken"] = csrf;
    }
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, opts.timeout || 10000) : null;
    return fetch("/graphql/", {
      method: "POST",
      headers: headers,
      body: JSON.stringify({ query: query, variables: variables || {} }),
      credentials: opts.token ? "omit" : "same-origin",
      cache: "no-store",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (timer) clearTimeout(timer);
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (!response.ok || (body.errors && body.errors.length)) {
          var error = new Error("GraphQL request failed: HTTP " + response.status);
          error.status = response.status;
          error.graphql = body.errors || [];
          throw error;
        }
        return body.data;
      });
    }, function (error) {
      if (timer) clearTimeout(timer);
      throw error;
    });
  }

  /* A v4 UUID: crypto.randomUUID where available (secure contexts), else built from getRandomValues. */
  function uuid() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function isEnglish() {
    return (document.documentElement.lang || "").toLowerCase().indexOf("en") === 0;
  }

  /* Translated strings rendered by the template: <template id="i18n"><span data-k="key">…</span></template>. */
  function strings(id) {
    var out = {};
    var holder = document.getElementById(id || "i18n");
    if (!holder) return out;
    var nodes = (holder.content || holder).querySelectorAll("[data-k]");
    for (var i = 0; i < nodes.length; i++) out[nodes[i].getAttribute("data-k")] = nodes[i].textContent.trim();
    return out;
  }

  /* UserError list → one line per error in the page's language. */
  function errorText(errors) {
    var en = isEnglish();
    return (errors || []).map(function (e) { return (en ? e.messageEn : e.message) || e.message || e.code; });
  }

  function label(obj, zh, enKey) {
    return isEnglish() && obj[enKey] ? obj[enKey] : obj[zh];
  }

  window.HCP = { gql: gql, uuid: uuid, isEnglish: isEnglish, strings: strings, errorText: errorText, label: label,
                 cookie: cookie };
})();
