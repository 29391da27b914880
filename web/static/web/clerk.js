/* The clerk's “请评价”: push a finished case to the window's device, then watch only whether it was rated.
   ratingRequestState answers PENDING / DONE / EXPIRED — the grade is never sent to this page. */
(function () {
  "use strict";
  var H = window.HCP;
  var t = H.strings();
  var $ = function (id) { return document.getElementById(id); };
  var REQUEST = "mutation($caseNumber: String!, $deviceSerial: String) {" +
    " requestRating(caseNumber: $caseNumber, deviceSerial: $deviceSerial) { promptId errors { code message messageEn field } } }";
  var STATE = "query($id: Int!) { ratingRequestState(promptId: $id) }";
  var watching = {};

  function error(lines) {
    var p = $("request-error");
    p.textContent = (lines || []).join(" ");
    p.hidden = !lines || !lines.length;
  }

  function setState(id, value) {
    var badge = document.querySelector('[data-prompt="' + id + '"] .badge');
    if (!badge || !value) return;
    badge.className = "badge " + value;
    badge.textContent = t[value] || value;
    badge.setAttribute("data-state", value);
    if (value !== "PENDING") delete watching[id];
  }

  function add(id, caseNumber) {
    $("no-requests").hidden = true;
    var li = document.createElement("li");
    li.setAttribute("data-prompt", String(id));
    var label = document.createElement("span");
    label.textContent = caseNumber;
    var badge = document.createElement("span");
    badge.className = "badge";
    li.appendChild(label);
    li.appendChild(badge);
    $("requests").insertBefore(li, $("requests").firstChild);
    watching[id] = true;
    setState(id, "PENDING");
  }

  function poll() {
    Object.keys(watching).forEach(function (id) {
      H.gql(STATE, { id: parseInt(id, 10) }).then(function (data) { setState(id, data.ratingRequestState); },
                                                   function () { /* try again on the next tick */ });
    });
  }

  $("request-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var caseNumber = $("case-number").value.trim();
    var serial = $("device-serial").value.trim();
    if (!caseNumber) { error([t.required]); $("case-number").focus(); return; }
    error([]);
    $("request-button").disabled = true;
    H.gql(REQUEST, { caseNumber: caseNumber, deviceSerial: serial || null }).then(function (data) {
      var result = data.requestRating;
      if (result.errors.length) { error(H.errorText(result.errors)); return; }
      add(result.promptId, caseNumber);
      $("case-number").value = "";
    }, function (e) {
      error(e && e.graphql && e.graphql.length ? e.graphql.map(function (x) { return x.message; }) : [t.network]);
    }).then(function () { $("request-button").disabled = false; });
  });
  setInterval(poll, 2000);
})();
