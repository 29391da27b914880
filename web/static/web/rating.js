/* The QR and invitation rating page: ratingForm → five grades, optional questions, case link and SMS real-name
   → submitEvaluation → thank-you with the receipt code. One idempotency key per page: a retry never rates twice. */
(function () {
  "use strict";
  var H = window.HCP;
  var config = JSON.parse(document.getElementById("rating-config").textContent);
  var t = H.strings();
  var en = H.isEnglish();
  var $ = function (id) { return document.getElementById(id); };
  var OPTION_EN = { "是": "Yes", "一般": "So-so", "否": "No" };
  var idempotencyKey = H.uuid();
  var labels = [];
  var verificationToken = null;
  var busy = false;

  var FORM = "query($w: String, $i: String) { ratingForm(windowToken: $w, invitationToken: $i) {" +
    " form { channel labels { grade label labelEn isBad } questionnaire { version questions { key text textEn kind options } } }" +
    " errors { code message messageEn field } } }";
  var SUBMIT = "mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {" +
    " replayed evaluation { receiptCode isBad isRealName } errors { code message messageEn field } } }";
  var SEND = "mutation($phone: String!) { requestPhoneCode(phone: $phone) { sent errors { code message messageEn field } } }";
  var VERIFY = "mutation($phone: String!, $code: String!) { verifyPhoneCode(phone: $phone, code: $code) {" +
    " verificationToken errors { code message messageEn field } } }";
  var channel = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function showErrors(lines) {
    var box = $("form-errors");
    box.textContent = "";
    if (!lines || !lines.length) { box.hidden = true; return; }
    lines.forEach(function (line) { box.appendChild(el("p", { text: line })); });
    box.hidden = false;
  }

  function stars(grade) {
    return new Array(grade + 1).join("★") + new Array(6 - grade).join("☆");
  }

  function renderGrades(list) {
    labels = list;
    var box = $("grade-options");
    box.textContent = "";
    list.forEach(function (g) {
      var input = el("input", { type: "radio", name: "grade", value: String(g.grade), id: "grade-" + g.grade });
      var label = el("label", { "for": "grade-" + g.grade, className: "grade" + (g.isBad ? " bad" : "") }, [
        input,
        el("span", { className: "stars", "aria-hidden": "true", text: stars(g.grade) }),
        el("span", { className: "label", text: en ? g.labelEn : g.label }),
        el("span", { className: "tick", "aria-hidden": "true", text: "✓" })
      ]);
      input.addEventListener("change", onGrade);
      box.appendChild(label);
    });
    box.setAttribute("aria-busy", "false");
  }

  function renderQuestions(questionnaire) {
    var box = $("questions");
    box.textContent = "";
    questionnaire.questions.forEach(function (q) {
      var text = en && q.textEn ? q.textEn : q.text;
      if (q.kind === "CHOICE") {
        var options = [el("legend", { text: text })];
        [""].concat(q.options).forEach(function (option, n) {
          var id = "q-" + q.key + "-" + n;
          var input = el("input", { type: "radio", name: "q-" + q.key, value: option, id: id });
          if (option === "") input.checked = true;
          options.push(el("label", { "for": id, className: "choice" }, [
            input, el("span", { text: option === "" ? t.skip : (en && OPTION_EN[option]) || option })
          ]));
        });
        box.appendChild(el("fieldset", { className: "question", "data-key": q.key, "data-kind": "CHOICE" }, options));
      } else {
        var id = "q-" + q.key;
        box.appendChild(el("div", { className: "question", "data-key": q.key, "data-kind": "TEXT" }, [
          el("label", { "for": id, className: "field", text: text }),
          el("textarea", { id: id, rows: "3", maxlength: "500" })
        ]));
      }
    });
  }

  function selectedGrade() {
    var checked = document.querySelector('input[name="grade"]:checked');
    return checked ? parseInt(checked.value, 10) : null;
  }

  function onGrade() {
    var grade = selectedGrade();
    var labelsByGrade = {};
    labels.forEach(function (g) { labelsByGrade[g.grade] = g; });
    document.querySelectorAll(".grade").forEach(function (node) {
      node.classList.toggle("checked", node.querySelector("input").checked);
    });
    var bad = grade !== null && labelsByGrade[grade] && labelsByGrade[grade].isBad;
    $("bad-note").hidden = !bad;
    if (bad) $("more").open = true;
    showErrors([]);
  }

  function answers() {
    var out = {};
    document.querySelectorAll("#questions .question").forEach(function (node) {
      var key = node.getAttribute("data-key");
      var value = "";
      if (node.getAttribute("data-kind") === "CHOICE") {
        var checked = node.querySelector("input:checked");
        value = checked ? checked.value : "";
      } else {
        value = node.querySelector("textarea").value.trim();
      }
      if (value) out[key] = value;
    });
    return out;
  }

  function setBusy(on) {
    busy = on;
    var button = $("submit");
    button.disabled = on;
    button.textContent = on ? t.submitting : t.submit;
    $("rating-form").setAttribute("aria-busy", on ? "true" : "false");
  }

  function fieldError(field, lines) {
    if (field === "caseNumber" || field === "phoneLast4") {
      var details = $("link-case");
      if (details) {
        details.open = true;
        var p = $("caseNumber-error");
        p.textContent = lines.join(" ");
        p.hidden = false;
        $("caseNumber").setAttribute("aria-invalid", "true");
        $("caseNumber").focus();
      }
    }
  }

  function submit(event) {
    event.preventDefault();
    if (busy) return;
    var grade = selectedGrade();
    if (grade === null) {
      showErrors([t.chooseGrade]);
      var first = document.querySelector('input[name="grade"]');
      if (first) first.focus();
      return;
    }
    var input = { grade: grade, channel: channel, idempotencyKey: idempotencyKey, round: config.round || 1,
                  answers: answers(), comment: $("comment").value.trim() };
    if (config.windowToken) input.windowToken = config.windowToken;
    if (config.invitationToken) input.invitationToken = config.invitationToken;
    if ($("caseNumber")) {
      var caseNumber = $("caseNumber").value.trim();
      var last4 = $("phoneLast4").value.trim();
      $("caseNumber-error").hidden = true;
      $("caseNumber").removeAttribute("aria-invalid");
      if (caseNumber || last4) {
        if (!caseNumber || !/^[0-9]{4}$/.test(last4)) { showErrors([t.caseBoth]); fieldError("caseNumber", [t.caseBoth]); return; }
        input.caseNumber = caseNumber;
        input.phoneLast4 = last4;
      }
    }
    if (verificationToken) {
      input.phoneVerificationToken = verificationToken;
      input.raterPhone = $("phone").value.trim();
    }
    showErrors([]);
    setBusy(true);
    H.gql(SUBMIT, { input: input }).then(function (data) {
      var result = data.submitEvaluation;
      if (result.errors.length) {
        setBusy(false);
        showErrors(H.errorText(result.errors));
        result.errors.forEach(function (e) { fieldError(e.field, H.errorText([e])); });
        return;
      }
      thanks(result.evaluation);
    }).catch(function (error) {
      setBusy(false);
      showErrors(error && error.graphql && error.graphql.length ? H.errorText(error.graphql) : [t.network]);
    });
  }

  function thanks(evaluation) {
    $("rating-form").hidden = true;
    var context = document.querySelector(".context");
    if (context) context.hidden = true;
    if (!evaluation.isRealName) {
      $("receipt-code").textContent = evaluation.receiptCode;
      $("receipt").hidden = false;
    }
    $("bad-followup").hidden = !evaluation.isBad;
    var section = $("thanks");
    section.hidden = false;
    section.focus();
    window.scrollTo(0, 0);
  }

  function phoneMessage(lines, ok) {
    var p = $("phone-error");
    p.textContent = (lines || []).join(" ");
    p.hidden = !lines || !lines.length;
    p.className = ok ? "ok" : "field-error";
  }

  function sendCode() {
    var phone = $("phone").value.trim();
    var button = $("send-code");
    button.disabled = true;
    H.gql(SEND, { phone: phone }).then(function (data) {
      var result = data.requestPhoneCode;
      if (result.errors.length) { button.disabled = false; phoneMessage(H.errorText(result.errors)); return; }
      phoneMessage([t.codeSent], true);
      $("code").focus();
      var left = 60;
      var tick = setInterval(function () {
        left -= 1;
        button.textContent = left > 0 ? t.resend + " (" + left + ")" : t.resend;
        if (left <= 0) { clearInterval(tick); button.disabled = false; }
      }, 1000);
    }).catch(function () { button.disabled = false; phoneMessage([t.network]); });
  }

  function verifyCode() {
    var phone = $("phone").value.trim();
    H.gql(VERIFY, { phone: phone, code: $("code").value.trim() }).then(function (data) {
      var result = data.verifyPhoneCode;
      if (result.errors.length) { phoneMessage(H.errorText(result.errors)); return; }
      verificationToken = result.verificationToken;
      phoneMessage([]);
      $("phone").readOnly = true;
      $("code").disabled = true;
      $("send-code").disabled = true;
      $("verify-code").disabled = true;
      $("phone-ok").hidden = false;
    }).catch(function () { phoneMessage([t.network]); });
  }

  function load() {
    H.gql(FORM, { w: config.windowToken || null, i: config.invitationToken || null }).then(function (data) {
      var payload = data.ratingForm;
      if (payload.errors.length || !payload.form) {
        $("grade-options").textContent = H.errorText(payload.errors).join(" ") || t.loadFailed;
        return;
      }
      channel = payload.form.channel;
      renderGrades(payload.form.labels);
      renderQuestions(payload.form.questionnaire);
    }).catch(function () {
      $("grade-options").textContent = t.loadFailed;
    });
  }

  $("rating-form").addEventListener("submit", submit);
  $("send-code").addEventListener("click", sendCode);
  $("verify-code").addEventListener("click", verifyCode);
  load();
})();
