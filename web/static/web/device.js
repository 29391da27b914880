/* The window's rating device (a tablet, full screen). Paired by its device token (kept in localStorage).
   Polls devicePrompt every 2 s for a case the clerk pushed; five big buttons; optional questions; a thank-you
   screen that never shows the grade; presses counted at most once per policy interval.
   Every press goes into a localStorage queue first (with its idempotency key and press time) and is uploaded
   from there: at once when online, on the `online` event and every 10 s; the server stores each key once. */
(function () {
  "use strict";
  var H = window.HCP;
  var t = H.strings();
  var en = H.isEnglish();
  var $ = function (id) { return document.getElementById(id); };
  var OPTION_EN = { "是": "Yes", "一般": "So-so", "否": "No" };
  var KEYS = { token: "hcp.device.token", queue: "hcp.device.queue", last: "hcp.device.lastPressAt",
               form: "hcp.device.form", used: "hcp.device.usedPrompts" };
  var POLL_MS = 2000, REPLAY_MS = 10000, THANKS_MS = 4000, QUESTIONS_IDLE_MS = 30000, MAX_AGE_MS = 3 * 24 * 3600 * 1000;

  var SETUP = "query { ratingForm { form { tenantName labels { grade label labelEn isBad }" +
    " questionnaire { version questions { key text textEn kind options } } } errors { code } }" +
    " evaluationPolicy { deviceMinIntervalSeconds } }";
  var PROMPT = "query { devicePrompt { id itemName expiresAt } }";
  var SUBMIT = "mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {" +
    " replayed evaluation { id } errors { code message messageEn field } } }";

  var state = { screen: null, prompt: null, form: null, intervalMs: 10000, reachable: true, flushing: false,
                tokenInvalid: false, pending: null, idleTimer: null, thanksTimer: null };

  // --- storage ---------------------------------------------------------------------------------------------
  function read(key, fallback) {
    try { var v = localStorage.getItem(key); return v === null ? fallback : JSON.parse(v); } catch (e) { return fallback; }
  }
  function write(key, value) { localStorage.setItem(key, JSON.stringify(value)); }
  function token() { return read(KEYS.token, null); }
  function queue() { return read(KEYS.queue, []); }
  function saveQueue(items) { write(KEYS.queue, items); renderStatus(); }
  function updateItem(key, change) {
    saveQueue(queue().map(function (item) { return item.key === key ? Object.assign({}, item, change) : item; }));
  }
  function removeItem(key) { saveQueue(queue().filter(function (item) { return item.key !== key; })); }

  // --- screens ---------------------------------------------------------------------------------------------
  function show(name) {
    ["setup", "rate", "questions", "thanks"].forEach(function (id) { $(id).hidden = id !== name; });
    state.screen = name;
    if (name === "rate") renderPrompt();
  }

  function online() { return navigator.onLine !== false && state.reachable; }

  function renderStatus() {
    var n = queue().length;
    var box = $("net-status");
    if (state.tokenInvalid) { box.className = "offline"; box.textContent = t.badToken; return; }
    if (!online()) { box.className = "offline"; box.textContent = t.offline.replace("{n}", n); return; }
    if (n > 0) { box.className = "syncing"; box.textContent = t.syncing.replace("{n}", n); return; }
    box.className = ""; box.textContent = "";
  }

  function renderPrompt() {
    var p = state.prompt;
    $("prompt-item").hidden = !p;
    $("walkup").hidden = !!p;
    if (p) $("prompt-item").textContent = t.item.replace("{name}", p.itemName);
  }

  function renderGrades() {
    var box = $("grades");
    box.textContent = "";
    (state.form ? state.form.labels : []).forEach(function (g) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = g.isBad ? "bad" : "";
      button.setAttribute("data-grade", String(g.grade));
      var stars = document.createElement("span");
      stars.className = "stars";
      stars.setAttribute("aria-hidden", "true");
      stars.textContent = new Array(g.grade + 1).join("★") + new Array(6 - g.grade).join("☆");
      var label = document.createElement("span");
      label.textContent = en ? g.labelEn : g.label;
      button.appendChild(stars);
      button.appendChild(label);
      button.addEventListener("click", function () { press(g.grade); });
      box.appendChild(button);
    });
    if (state.form && state.form.tenantName) $("device-title").textContent = state.form.tenantName;
    tickWait();
  }

  // The minimum interval between counted presses (the policy's deviceMinIntervalSeconds).
  function tickWait() {
    if (state.prompt && Date.parse(state.prompt.expiresAt) <= Date.now()) {  // expired while offline, say
      state.prompt = null;
      if (state.screen === "rate") renderPrompt();
    }
    var left = read(KEYS.last, 0) + state.intervalMs - Date.now();
    var buttons = $("grades").querySelectorAll("button");
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = left > 0;
    $("wait").textContent = left > 0 ? t.wait.replace("{n}", Math.ceil(left / 1000)) : "";
  }

  // --- a press ---------------------------------------------------------------------------------------------
  function press(grade) {
    if (read(KEYS.last, 0) + state.intervalMs > Date.now() || state.screen !== "rate") return;
    var now = Date.now();
    write(KEYS.last, now);
    var item = { key: H.uuid(), grade: grade, ratedAt: new Date(now).toISOString(), token: token(),
                 promptId: state.prompt ? state.prompt.id : null, answers: {}, ready: false, attempts: 0 };
    if (item.promptId) write(KEYS.used, read(KEYS.used, []).concat([item.promptId]).slice(-50));
    state.prompt = null;
    saveQueue(queue().concat([item]));  // saved before anything else: a crash or an outage loses nothing
    tickWait();
    var questions = state.form ? state.form.questionnaire.questions : [];
    if (questions.length) {
      state.pending = item.key;
      renderQuestions(questions);
      show("questions");
      armIdle();
    } else {
      finish(item.key, {});
    }
  }

  function renderQuestions(questions) {
    var box = $("question-list");
    box.textContent = "";
    questions.forEach(function (q) {
      var text = en && q.textEn ? q.textEn : q.text;
      var wrap;
      if (q.kind === "CHOICE") {
        wrap = document.createElement("fieldset");
        var legend = document.createElement("legend");
        legend.textContent = text;
        wrap.appendChild(legend);
        [""].concat(q.options).forEach(function (option, n) {
          var label = document.createElement("label");
          label.className = "choice";
          var input = document.createElement("input");
          input.type = "radio";
          input.name = "dq-" + q.key;
          input.value = option;
          input.checked = option === "";
          var span = document.createElement("span");
          span.textContent = option === "" ? t.skip : (en && OPTION_EN[option]) || option;
          label.appendChild(input);
          label.appendChild(span);
          wrap.appendChild(label);
        });
      } else {
        wrap = document.createElement("div");
        var id = "dq-" + q.key;
        var label2 = document.createElement("label");
        label2.className = "field";
        label2.setAttribute("for", id);
        label2.textContent = text;
        var area = document.createElement("textarea");
        area.id = id;
        area.rows = 2;
        area.maxLength = 500;
        wrap.appendChild(label2);
        wrap.appendChild(area);
      }
      wrap.className = "question";
      wrap.setAttribute("data-key", q.key);
      wrap.setAttribute("data-kind", q.kind);
      box.appendChild(wrap);
    });
  }

  function collectAnswers() {
    var out = {};
    $("question-list").querySelectorAll(".question").forEach(function (node) {
      var key = node.getAttribute("data-key");
      var value = node.getAttribute("data-kind") === "CHOICE"
        ? (node.querySelector("input:checked") || { value: "" }).value
        : node.querySelector("textarea").value.trim();
      if (value) out[key] = value;
    });
    return out;
  }

  function armIdle() {
    clearTimeout(state.idleTimer);
    state.idleTimer = setTimeout(function () { if (state.pending) finish(state.pending, collectAnswers()); },
                                 QUESTIONS_IDLE_MS);
  }

  function finish(key, answers) {
    clearTimeout(state.idleTimer);
    state.pending = null;
    updateItem(key, { answers: answers, ready: true });
    show("thanks");
    clearTimeout(state.thanksTimer);
    state.thanksTimer = setTimeout(function () { show("rate"); tickWait(); }, THANKS_MS);
    flush();
  }

  // --- upload ----------------------------------------------------------------------------------------------
  function inputFor(item) {
    var input = { grade: item.grade, channel: "WINDOW_DEVICE", idempotencyKey: item.key, ratedAt: item.ratedAt,
                  answers: item.answers || {} };
    if (item.promptId) input.promptId = item.promptId;
    return input;
  }

  function markReachable(yes) {
    if (state.reachable !== yes) { state.reachable = yes; renderStatus(); }
  }

  function flush() {
    if (state.flushing || navigator.onLine === false) return Promise.resolve();
    state.flushing = true;
    var items = queue().filter(function (item) { return item.ready; });
    var step = function (i) {
      if (i >= items.length) return Promise.resolve();
      var item = items[i];
      if (Date.now() - Date.parse(item.ratedAt) > MAX_AGE_MS) {  // the server refuses replays older than 3 days
        console.warn("hcp device: dropping a press older than 3 days", item.key);
        removeItem(item.key);
        return step(i + 1);
      }
      return H.gql(SUBMIT, { input: inputFor(item) }, { token: item.token || token() }).then(function (data) {
        markReachable(true);
        var result = data.submitEvaluation;
        var codes = result.errors.map(function (e) { return e.code; });
        if (!codes.length) { removeItem(item.key); return step(i + 1); }
        if (codes.indexOf("PROMPT_NOT_PENDING") >= 0 && item.promptId) {
          // The pushed case expired meanwhile: keep the press as a walk-up rating of this window.
          item.promptId = null;
          updateItem(item.key, { promptId: null });
          return step(i);
        }
        if (codes.indexOf("INVALID_ANSWER") >= 0 && Object.keys(item.answers || {}).length) {
          item.answers = {};  // the case's item has its own questionnaire: keep the grade
          updateItem(item.key, { answers: {} });
          return step(i);
        }
        if (codes.indexOf("TOO_MANY_ATTEMPTS") >= 0 && (item.attempts || 0) < 5) {
          updateItem(item.key, { attempts: (item.attempts || 0) + 1 });
          return step(i + 1);
        }
        console.warn("hcp device: the server refused a press", item.key, codes);
        removeItem(item.key);
        return step(i + 1);
      }, function (error) {
        if (error && error.status === 401) { state.tokenInvalid = true; renderStatus(); return; }
        markReachable(false);  // network down or server error: keep everything, try again later
      });
    };
    return step(0).then(function () { state.flushing = false; renderStatus(); },
                        function () { state.flushing = false; renderStatus(); });
  }

  // --- the pushed case -------------------------------------------------------------------------------------
  function poll() {
    var secret = token();
    if (!secret || state.tokenInvalid) return;
    H.gql(PROMPT, {}, { token: secret, timeout: 5000 }).then(function (data) {
      var wasOffline = !state.reachable;
      markReachable(true);
      var p = data.devicePrompt;
      if (p && read(KEYS.used, []).indexOf(p.id) >= 0) p = null;  // already pressed, maybe not uploaded yet
      var changed = (p && p.id) !== (state.prompt && state.prompt.id);
      state.prompt = p;
      if (changed && state.screen === "rate") renderPrompt();
      if (wasOffline) flush();
    }, function (error) {
      if (error && (error.status === 401 || (error.graphql && error.graphql.length))) {
        state.tokenInvalid = true;
        renderStatus();
        return;
      }
      markReachable(false);
    });
  }

  function loadForm() {
    return H.gql(SETUP, {}, { token: token() }).then(function (data) {
      markReachable(true);
      var form = data.ratingForm.form;
      if (form) {
        write(KEYS.form, { form: form, interval: data.evaluationPolicy.deviceMinIntervalSeconds });
      }
    }, function () { markReachable(false); }).then(function () {
      var cached = read(KEYS.form, null);
      if (cached) {
        state.form = cached.form;
        state.intervalMs = cached.interval * 1000;
      }
      renderGrades();
      if (!state.form) setTimeout(loadForm, 5000);
    });
  }

  // --- pairing ---------------------------------------------------------------------------------------------
  function setup(event) {
    event.preventDefault();
    var secret = $("device-token").value.trim();
    var error = $("setup-error");
    error.hidden = true;
    if (!secret) return;
    H.gql(PROMPT, {}, { token: secret }).then(function () { return true; }, function (e) {
      // Refused (401) or not a device's token (a permission error): ask again. Offline: accept, retry later.
      return !(e && (e.status === 401 || (e.graphql && e.graphql.length)));
    }).then(function (ok) {
      if (!ok) { error.textContent = t.badToken; error.hidden = false; $("device-token").focus(); return; }
      write(KEYS.token, secret);
      state.tokenInvalid = false;
      start();
    });
  }

  function start() {
    show("rate");
    renderStatus();
    loadForm().then(function () { poll(); flush(); });
  }

  $("setup-form").addEventListener("submit", setup);
  $("questions-done").addEventListener("click", function () { if (state.pending) finish(state.pending, collectAnswers()); });
  $("questions-skip").addEventListener("click", function () { if (state.pending) finish(state.pending, {}); });
  $("question-list").addEventListener("input", armIdle);
  $("question-list").addEventListener("change", armIdle);
  $("repair").addEventListener("click", function () {
    if (!window.confirm(t.confirmRepair)) return;
    localStorage.removeItem(KEYS.token);  // queued presses keep the token they were made under
    state.tokenInvalid = false;
    $("device-token").value = "";
    show("setup");
    renderStatus();
  });
  window.addEventListener("online", function () { state.reachable = true; renderStatus(); flush(); });
  window.addEventListener("offline", renderStatus);
  setInterval(poll, POLL_MS);
  setInterval(flush, REPLAY_MS);
  setInterval(tickWait, 500);

  // Presses whose questions were interrupted by a reload are uploaded with what they have.
  saveQueue(queue().map(function (item) { return Object.assign({}, item, { ready: true }); }));
  if (token()) start(); else { show("setup"); renderStatus(); }
})();
