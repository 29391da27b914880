/* Hall board: one websocket, a snapshot, then rating events applied in sequence order.
   A gap in `seq` (or a reconnect) fetches a snapshot. Reconnects with capped exponential backoff and jitter.
   Built to run for days: a fixed set of DOM nodes updated in place, bounded buffers, no growing state. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("board-config").textContent);
  var S = config.strings;
  var VERSION = 1;
  var GAP_WAIT_MS = 1000;          // an out-of-order event may still arrive from another process
  var RESYNC_MS = 10 * 60 * 1000;  // a periodic snapshot also picks up ratings excluded later
  var PING_MS = 25000, SILENCE_MS = 70000;
  var MAX_BUFFER = 200;
  var LATEST = 12;

  var state = null;       // the last snapshot, updated by events
  var lastSeq = 0;
  var buffer = {};        // seq -> event, waiting for the gap to fill
  var buffered = 0;
  var gapTimer = null;
  var socket = null, attempt = 0, reconnectTimer = null, lastMessageAt = 0, refused = false;
  var cards = {};         // window code -> {root, rate, count, grades[]}
  var alertsById = {};

  var $ = function (id) { return document.getElementById(id); };

  function status(kind) {
    var el = $("board-status");
    el.dataset.state = kind;
    el.textContent = S[kind] || kind;
    document.body.dataset.connection = kind;
  }

  function percent(value) {
    return value === null || value === undefined ? "—" : (Math.round(value * 1000) / 10).toFixed(1) + "%";
  }

  function rates(counts) {
    var total = 0, good = 0;
    for (var g = 1; g <= 5; g++) {
      var n = counts[String(g)] || 0;
      total += n;
      if (g >= 3) good += n;
    }
    return { total: total, bad: total - good, satisfaction: total ? good / total : null };
  }

  /* --- rendering: built once per snapshot, then updated in place ----------------------------------------- */

  function gradeList(list, counts) {
    var items = list.children;
    if (items.length !== 5) {
      list.textContent = "";
      for (var g = 5; g >= 1; g--) {
        var li = document.createElement("li");
        li.className = "g" + g;
        var b = document.createElement("b");
        li.appendChild(b);
        li.appendChild(document.createTextNode(state.labels[String(g)] || String(g)));
        list.appendChild(li);
      }
    }
    for (var i = 0; i < 5; i++) items[i].firstChild.textContent = counts[String(5 - i)] || 0;
  }

  function buildWindows() {
    var list = $("board-windows");
    list.textContent = "";
    cards = {};
    state.windows.forEach(function (w) {
      var li = document.createElement("li");
      li.className = "board-window";
      li.dataset.window = w.code;
      var h = document.createElement("h3");
      var code = document.createElement("span");
      code.className = "code";
      code.textContent = w.code;
      var name = document.createElement("span");
      name.className = "name";
      name.textContent = w.name;
      h.appendChild(name);
      h.appendChild(code);
      var rate = document.createElement("p");
      rate.className = "rate";
      var count = document.createElement("p");
      count.className = "count";
      var grades = document.createElement("ol");
      grades.className = "board-grades";
      li.appendChild(h);
      li.appendChild(rate);
      li.appendChild(count);
      li.appendChild(grades);
      list.appendChild(li);
      cards[w.code] = { root: li, rate: rate, count: count, grades: grades, flash: null };
      renderWindow(w);
    });
    $("board-no-windows").hidden = state.windows.length > 0;
  }

  function renderWindow(w) {
    var card = cards[w.code];
    if (!card) return;
    var r = rates(w.counts);
    card.rate.textContent = percent(r.satisfaction);
    var small = document.createElement("small");
    small.textContent = S.satisfaction;
    card.rate.appendChild(small);
    card.count.textContent = r.total ? S.total + " " + r.total + " · " + S.bad + " " + r.bad : S.noRatings;
    gradeList(card.grades, w.counts);
  }

  function renderTotals() {
    var r = rates(state.totals.counts);
    $("total-rate").textContent = percent(r.satisfaction);
    $("total-count").textContent = r.total;
    $("total-bad").textContent = r.bad;
    gradeList($("total-grades"), state.totals.counts);
  }

  var trendBars = null;
  function renderTrend() {
    var svg = $("board-trend");
    var ns = "http://www.w3.org/2000/svg";
    if (!trendBars) {
      trendBars = [];
      for (var h = 0; h < 24; h++) {
        var good = document.createElementNS(ns, "rect"), bad = document.createElementNS(ns, "rect");
        good.setAttribute("class", "good");
        bad.setAttribute("class", "bad");
        good.setAttribute("x", h * 20 + 3);
        bad.setAttribute("x", h * 20 + 3);
        good.setAttribute("width", 14);
        bad.setAttribute("width", 14);
        svg.appendChild(good);
        svg.appendChild(bad);
        if (h % 3 === 0) {
          var label = document.createElementNS(ns, "text");
          label.setAttribute("x", h * 20 + 2);
          label.setAttribute("y", 158);
          label.textContent = h + ":00";
          svg.appendChild(label);
        }
        trendBars.push([good, bad]);
      }
    }
    var max = 1;
    state.trend.forEach(function (p) { max = Math.max(max, p.good + p.bad); });
    state.trend.forEach(function (p, h) {
      var goodH = 140 * p.good / max, badH = 140 * p.bad / max;
      trendBars[h][1].setAttribute("y", 145 - badH);
      trendBars[h][1].setAttribute("height", badH);
      trendBars[h][0].setAttribute("y", 145 - badH - goodH);
      trendBars[h][0].setAttribute("height", goodH);
    });
  }

  function renderLatest() {
    var list = $("board-latest");
    while (list.children.length < LATEST) list.appendChild(document.createElement("li"));
    for (var i = 0; i < LATEST; i++) {
      var li = list.children[i], r = state.latest[i];
      li.hidden = !r;
      if (!r) continue;
      li.textContent = "";
      var time = document.createElement("time");
      time.textContent = r.ratedAt.slice(11, 16);
      var grade = document.createElement("span");
      grade.className = r.bad ? "grade-bad" : "grade-good";
      grade.textContent = r.label;
      li.appendChild(time);
      li.appendChild(document.createTextNode(r.window + " " + r.windowName + " "));
      li.appendChild(grade);
      if (r.comment) {
        var q = document.createElement("q");
        q.textContent = r.comment;
        li.appendChild(q);
      }
    }
  }

  function renderAll() {
    buildWindows();
    renderTotals();
    renderTrend();
    renderLatest();
    if (config.manage) renderAlerts(state.alerts || [], true);
  }

  /* --- manager view: alerts -------------------------------------------------------------------------------- */

  function alertText(a) {
    return S.alertText.replace("{minutes}", a.periodMinutes).replace("{ratings}", a.ratings).replace("{bad}", a.badRatings);
  }

  function renderAlerts(list, replace) {
    var ul = $("board-alerts");
    if (!ul) return;
    if (replace) { ul.textContent = ""; alertsById = {}; }
    list.forEach(function (a) {
      var li = alertsById[a.id];
      if (!li) {
        li = document.createElement("li");
        li.dataset.alert = a.id;
        var text = document.createElement("span");
        var button = document.createElement("button");
        button.type = "button";
        button.addEventListener("click", function () { acknowledge(a.id, button); });
        li.appendChild(text);
        li.appendChild(button);
        ul.insertBefore(li, ul.firstChild);
        alertsById[a.id] = li;
        while (ul.children.length > 20) {
          var last = ul.lastChild;
          delete alertsById[last.dataset.alert];
          ul.removeChild(last);
        }
      }
      li.firstChild.textContent = a.raisedAt.slice(11, 16) + " " + a.window + " " + a.windowName + "：" + alertText(a);
      var open = a.state === "OPEN";
      li.className = open ? "" : "done";
      li.lastChild.disabled = !open;
      li.lastChild.textContent = open ? S.acknowledge : S.acknowledged;
      var card = cards[a.window];
      if (card) card.root.classList.toggle("alerting", open);
    });
    $("board-no-alerts").hidden = ul.querySelector("li:not(.done)") !== null;
  }

  function acknowledge(id, button) {
    button.disabled = true;
    window.HCP.gql("mutation($id: ID!) { acknowledgeBoardAlert(id: $id) { alert { id state } errors { code message } } }",
      { id: id }).then(function (data) {
        var result = data.acknowledgeBoardAlert;
        if (result.errors.length) throw new Error(result.errors[0].message);
        // The socket also announces it; mark it now so the button cannot be pressed twice.
        var li = alertsById[id];
        if (li) { li.className = "done"; button.textContent = S.acknowledged; }
      }).catch(function () {
        button.disabled = false;
        button.textContent = S.ackFailed;
      });
  }

  /* --- events ---------------------------------------------------------------------------------------------- */

  function flash(card, bad) {
    if (!card) return;
    var cls = bad ? "flash-bad" : "flash-good";
    card.root.classList.remove("flash-bad", "flash-good");
    card.root.classList.add(cls);
    clearTimeout(card.flash);
    card.flash = setTimeout(function () { card.root.classList.remove(cls); }, 2500);
  }

  function apply(event) {
    var r = event.rating;
    lastSeq = event.seq;
    if (r.ratedAt.slice(0, 10) > state.date) { requestSnapshot(); return; }  // a new day began
    if (r.counted && r.ratedAt.slice(0, 10) === state.date) {
      var key = String(r.grade);
      state.totals.counts[key] = (state.totals.counts[key] || 0) + 1;
      state.windows.forEach(function (w) {
        if (w.code === r.window) { w.counts[key] = (w.counts[key] || 0) + 1; renderWindow(w); }
      });
      var hour = parseInt(r.ratedAt.slice(11, 13), 10);
      if (state.trend[hour]) state.trend[hour][r.bad ? "bad" : "good"] += 1;
      renderTotals();
      renderTrend();
    }
    state.latest.unshift(r);
    state.latest.length = Math.min(state.latest.length, LATEST);
    renderLatest();
    flash(cards[r.window], r.bad);
  }

  function drain() {
    while (buffer[lastSeq + 1]) {
      var next = buffer[lastSeq + 1];
      delete buffer[lastSeq + 1];
      buffered--;
      apply(next);
    }
    if (buffered === 0 && gapTimer) { clearTimeout(gapTimer); gapTimer = null; }
  }

  function onRating(event) {
    if (state && event.seq <= lastSeq) return;  // already counted
    if (state && event.seq === lastSeq + 1) { apply(event); drain(); return; }
    if (buffered >= MAX_BUFFER) { requestSnapshot(); return; }
    // Out of order, or before the first snapshot: kept until the gap fills or the snapshot says what it counts.
    if (!buffer[event.seq]) { buffer[event.seq] = event; buffered++; }
    if (state && !gapTimer) gapTimer = setTimeout(function () { gapTimer = null; requestSnapshot(); }, GAP_WAIT_MS);
  }

  function onSnapshot(snapshot) {
    state = snapshot;
    lastSeq = snapshot.seq;
    for (var seq in buffer) if (Number(seq) <= lastSeq) { delete buffer[seq]; buffered--; }
    if (gapTimer) { clearTimeout(gapTimer); gapTimer = null; }
    renderAll();
    drain();
    if (buffered && !gapTimer) gapTimer = setTimeout(function () { gapTimer = null; requestSnapshot(); }, GAP_WAIT_MS);
    document.body.dataset.seq = lastSeq;
  }

  function handle(message) {
    lastMessageAt = Date.now();
    if (!message || message.v !== VERSION) {  // a newer server: start again from a snapshot
      if (message && message.v > VERSION) requestSnapshot();
      return;
    }
    if (message.type === "snapshot") onSnapshot(message);
    else if (message.type === "rating") onRating(message);
    else if (message.type === "alert") renderAlerts([message.alert], false);
    document.body.dataset.seq = lastSeq;
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  function requestSnapshot() { send({ type: "snapshot" }); }

  /* --- the connection ---------------------------------------------------------------------------------------- */

  function connect() {
    reconnectTimer = null;
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + config.wsPath;
    status(attempt ? "reconnecting" : "connecting");
    socket = new WebSocket(url);
    socket.onopen = function () { attempt = 0; lastMessageAt = Date.now(); status("live"); };
    socket.onmessage = function (e) {
      var message;
      try { message = JSON.parse(e.data); } catch (err) { return; }
      handle(message);
    };
    var opened = false;
    socket.addEventListener("open", function () { opened = true; });
    socket.onclose = function (e) {
      socket = null;
      if (e.code === 4403 || e.code === 4404) { refused = true; status("refused"); return; }
      // A refused handshake looks like a network error (1006); after a few, ask the page itself.
      if (!opened && attempt >= 3) {
        fetch(location.href, { method: "HEAD", cache: "no-store", credentials: "same-origin" }).then(function (r) {
          if (r.status === 403 || r.status === 404) { refused = true; status("refused"); } else scheduleReconnect();
        }).catch(scheduleReconnect);
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    if (reconnectTimer || refused) return;
    var delay = Math.min(30000, 1000 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
    attempt++;
    status("reconnecting");
    reconnectTimer = setTimeout(connect, delay);
  }

  setInterval(function () {
    if (!socket || socket.readyState !== WebSocket.OPEN) return;
    if (Date.now() - lastMessageAt > SILENCE_MS) { socket.close(); return; }  // a half-open connection
    send({ type: "ping" });
  }, PING_MS);
  setInterval(requestSnapshot, RESYNC_MS);

  function tick() {
    var now = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    $("board-clock").textContent = pad(now.getHours()) + ":" + pad(now.getMinutes()) + ":" + pad(now.getSeconds());
  }
  setInterval(tick, 1000);
  tick();
  window.addEventListener("online", function () { if (!socket && reconnectTimer) { clearTimeout(reconnectTimer); connect(); } });
  connect();
})();
