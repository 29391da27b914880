"""监督查评 pages. Tenant host: the public survey response page /s/<token>/ (mobile, zh/en, one response per link),
the unit's surveys (create, revise = publish a new version, send single-use links) and their results. Public host:
the county's call-back work page (stratified draw, the script, the logged contact reveal, the outcome form) and the
county's surveys (create in chosen units, revise, send to chosen units; results across units, free text redacted).
Thin views: they parse the form and call one domain service, which checks everything; errors are shown as typed
domain errors and nothing is changed."""
from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.db import connection
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from haochaping.accounts.models import Role
from haochaping.catalog.selectors import catalog_items
from haochaping.core.channels import CHANNEL_LABELS_EN, EvaluationChannel
from haochaping.core.errors import DomainError
from haochaping.items import selectors as item_selectors
from haochaping.supervision.selectors import supervised_tenants
from haochaping.surveys import callbacks, county, selectors
from haochaping.surveys import surveys as services
from haochaping.surveys.models import CallBack, Dimension, Survey
from schema.core.permissions import TENANT_MANAGERS

from .supervision_views import county_roles_required

READER_ROLES = {Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER}
# Who may create, revise and send a unit's survey: the same roles as GraphQL's createSurvey/sendSurvey.
MANAGER_ROLES = set(TENANT_MANAGERS)
DIMENSION_LABELS = {Dimension.AWARENESS: gettext_lazy("政策知悉度"), Dimension.CONVENIENCE: gettext_lazy("办事便利度"),
                    Dimension.SATISFACTION: gettext_lazy("服务满意度")}
BLANK_QUESTION_ROWS = 2  # room to add questions without JavaScript; blank rows are ignored
MAX_FORM_ROWS = 64  # rows read from a post (the service refuses more than MAX_QUESTIONS filled ones)


def _english() -> bool:
    return (get_language() or "").startswith("en")


def _message(error: DomainError) -> str:
    e = error.errors[0]
    return e.message_en if _english() else e.message


@require_http_methods(["GET", "POST"])
def survey_response(request, token: str):
    try:
        link = services.link_for(token)
    except DomainError as error:
        return render(request, "web/survey_closed.html", {"tenant": connection.tenant, "code": error.errors[0].code,
                                                           "message": _message(error)}, status=410 if error.errors[0].code != "INVALID_LINK" else 404)
    questions = [{**q, "label": (q.get("textEn") or q["text"]) if _english() else q["text"]} for q in link.version.questions]
    errors, chosen = [], {}
    if request.method == "POST":
        chosen = {q["key"]: request.POST.get(q["key"], "") for q in questions}
        try:
            services.submit_response(token, chosen, request.POST.get("text", ""))
        except DomainError as error:
            if error.errors[0].code in {"LINK_USED", "LINK_EXPIRED", "INVALID_LINK"}:
                return render(request, "web/survey_closed.html", {"tenant": connection.tenant, "message": _message(error),
                                                                   "code": error.errors[0].code}, status=410)
            errors = sorted({e.message_en if _english() else e.message for e in error.errors})
        else:
            return render(request, "web/survey_closed.html", {"tenant": connection.tenant, "code": "THANKS"})
    return render(request, "web/survey_response.html", {
        "tenant": connection.tenant, "survey": link.survey, "questions": questions, "errors": errors, "chosen": chosen,
        "text": request.POST.get("text", ""), "prompt": link.version.text_prompt, "scale": [1, 2, 3, 4, 5]})


# --- survey forms (shared by the unit's and the county's pages) ------------------------------------------------


def _by(user) -> str:
    """The publisher label stored on a survey version, as GraphQL writes it."""
    return f"{user.display_name or user.username}（{user.get_role_display()}）"


def _date(raw) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None  # the service reports the missing period


def _int(raw) -> int:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else 0  # 0 is refused by the service with its own message


def _question_rows(questions) -> list[dict]:
    """Form rows from QuestionInputs or stored question dicts, plus blank rows to add more."""
    rows = []
    for q in questions:
        if isinstance(q, dict):
            rows.append({"dimension": q.get("dimension", ""), "text": q.get("text", ""), "text_en": q.get("textEn", "")})
        else:
            rows.append({"dimension": q.dimension, "text": q.text, "text_en": q.text_en})
    return rows + [{"dimension": "", "text": "", "text_en": ""} for _ in range(BLANK_QUESTION_ROWS)]


def _posted_questions(post) -> tuple[list[services.QuestionInput], list[dict]]:
    """The questions typed (rows with neither text left out) and the rows to show again after an error."""
    questions, rows = [], []
    for i in range(MAX_FORM_ROWS):
        if f"q-{i}-text" not in post and f"q-{i}-dimension" not in post:
            continue
        row = {"dimension": post.get(f"q-{i}-dimension", ""), "text": post.get(f"q-{i}-text", ""),
               "text_en": post.get(f"q-{i}-text_en", "")}
        rows.append(row)
        if row["text"].strip() or row["text_en"].strip():
            questions.append(services.QuestionInput(row["dimension"], row["text"], row["text_en"]))
    return questions, rows


def _posted_survey(post) -> tuple[services.SurveyInput, dict]:
    questions, rows = _posted_questions(post)
    data = services.SurveyInput(
        title=post.get("title", ""), item_codes=post.getlist("item_codes"), period_start=_date(post.get("period_start")),
        period_end=_date(post.get("period_end")), questions=questions, text_prompt=post.get("text_prompt", ""),
        link_days=_int(post.get("link_days")))
    values = {"title": data.title, "item_codes": data.item_codes, "period_start": post.get("period_start", ""),
              "period_end": post.get("period_end", ""), "link_days": post.get("link_days", ""),
              "text_prompt": data.text_prompt, "question_rows": rows}
    return data, values


def _blank_survey() -> dict:
    """A new survey's form: the service's default questions, last month as the period, 14-day links."""
    today = timezone.localdate()
    end = today.replace(day=1) - timedelta(days=1)
    return {"title": "", "item_codes": [], "period_start": end.replace(day=1).isoformat(), "period_end": end.isoformat(),
            "link_days": services.SurveyInput.__dataclass_fields__["link_days"].default, "text_prompt": "",
            "question_rows": _question_rows(services.default_questions())}


def _form_context() -> dict:
    return {"english": _english(), "dimensions": [(d.value, DIMENSION_LABELS[d.value]) for d in Dimension]}


def _errors(error: DomainError) -> list:
    return list(error.errors)


# --- the unit's surveys (tenant host) --------------------------------------------------------------------------


def _refusal(request, *, manage: bool = False):
    """None when the user may use the page (readers; managers for writes), else the login page or 403."""
    if not request.user.is_authenticated:
        return redirect(f"/accounts/login/?next={request.path}")
    allowed = MANAGER_ROLES if manage else READER_ROLES
    if request.user.role not in allowed:
        return render(request, "web/forbidden.html", status=403)
    return None


def _item_choices() -> list[tuple[str, str]]:
    return [(i.catalog_item.code, i.catalog_item.name) for i in item_selectors.items().order_by("catalog_item__code")]


@require_http_methods(["GET", "POST"])
def survey_list(request):
    """The unit's surveys with their send and response counts; tenant admins create one here."""
    refused = _refusal(request, manage=request.method == "POST")
    if refused:
        return refused
    values, errors = _blank_survey(), []
    if request.method == "POST":
        data, values = _posted_survey(request.POST)
        try:
            survey = services.create_survey(data, by=_by(request.user))
        except DomainError as error:
            errors = _errors(error)
        else:
            messages.success(request, _("已创建调查（第1版），可在此修改或发送。"))
            return redirect("web:survey", pk=survey.pk)
    return render(request, "web/survey_list.html", {
        **_form_context(), "rows": selectors.surveys(), "can_manage": request.user.role in MANAGER_ROLES,
        "item_choices": _item_choices(), "values": values, "errors": errors})


@require_http_methods(["GET", "POST"])
def survey_detail(request, pk: int):
    """One survey: its versions, the revise form (publishes the next version) and the send button."""
    refused = _refusal(request, manage=request.method == "POST")
    if refused:
        return refused
    survey = selectors.surveys().filter(pk=pk).first()
    if survey is None:  # another unit's id is unknown here (its own schema)
        raise Http404("未找到调查 / Survey not found")
    current = survey.current_version
    rows, text_prompt, errors = _question_rows(current.questions), current.text_prompt, []
    if request.method == "POST":
        try:
            if request.POST.get("action") == "send":
                sent = services.send_survey(survey.pk)
                messages.success(request, _("已发送%(n)d条调查链接。") % {"n": sent} if sent
                                 else _("没有新的可发送对象：期间内办理所选事项、留有联系方式的申请人均已发送。"))
                return redirect("web:survey", pk=survey.pk)
            questions, rows = _posted_questions(request.POST)
            text_prompt = request.POST.get("text_prompt", "")
            version = services.revise_survey(survey.pk, questions, by=_by(request.user), text_prompt=text_prompt)
            messages.success(request, _("已发布第%(v)d版；此前发出的链接仍使用原版本。") % {"v": version.version})
            return redirect("web:survey", pk=survey.pk)
        except DomainError as error:
            errors = _errors(error)
    return render(request, "web/survey_detail.html", {
        **_form_context(), "survey": survey, "current": current, "versions": survey.versions.order_by("-version"),
        "question_rows": rows, "text_prompt": text_prompt, "errors": errors,
        "pending": services.recipients(survey).count(), "can_manage": request.user.role in MANAGER_ROLES,
        "is_county": survey.origin == Survey.Origin.COUNTY})


def _figures(results):
    return [{"dimension": d.dimension, "average": d.average, "answers": d.answers, "distribution": d.distribution}
            for d in results.dimensions.values()]


def survey_results_page(request, pk: int | None = None):
    """The unit's surveys (or one), each with its response rate and per-dimension results (its own free text whole)."""
    refused = _refusal(request)
    if refused:
        return refused
    surveys = Survey.objects.prefetch_related("versions")
    if pk is not None:
        surveys = surveys.filter(pk=pk)
        if not surveys:
            raise Http404("未找到调查 / Survey not found")
    rows = []
    for survey in surveys:
        r = selectors.survey_results(survey)
        rows.append({"survey": survey, "version": survey.current_version.version, "r": r, "rate": r.total.response_rate,
                     "dims": _figures(r.total),
                     "items": [{"code": c, "rate": x.response_rate, "dims": _figures(x)} for c, x in r.items.items()]})
    return render(request, "web/survey_results.html", {"rows": rows})


def _unit(slug: str):
    unit = supervised_tenants().filter(schema_name=slug).first()
    if unit is None:
        raise Http404("未找到单位 / Unit not found")
    return unit


def _chosen_units(post) -> list:
    """The supervised units ticked on a form (anything else posted is ignored; none ticked → the service says so)."""
    slugs = set(post.getlist("tenants"))
    return [t for t in supervised_tenants() if t.schema_name in slugs]


def _channel_choices() -> list[tuple[str, str]]:
    english = _english()
    return [(c.value, CHANNEL_LABELS_EN[c.value] if english else c.label) for c in EvaluationChannel]


def _blank_draw() -> dict:
    """Last 30 days, 10 %, every unit, every channel, a fresh seed."""
    today = timezone.localdate()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat(), "proportion": "0.1",
            "seed": "", "tenants": [t.schema_name for t in supervised_tenants()], "channels": []}


def _draw(request):
    """Draw a stratified sample through the service; PRG to the drawn calls with the seed in the message."""
    post = request.POST
    values = {"start": post.get("start", ""), "end": post.get("end", ""), "proportion": post.get("proportion", ""),
              "seed": post.get("seed", ""), "tenants": post.getlist("tenants"), "channels": post.getlist("channels")}
    try:
        # The proportion goes to the service as typed: it parses and bounds it (0 < p ≤ 1).
        draw = callbacks.draw_call_backs(_chosen_units(post), start=_date(values["start"]), end=_date(values["end"]),
                                         proportion=values["proportion"].strip(), county_user=request.user,
                                         seed=values["seed"], channels=values["channels"] or None)
    except DomainError as error:
        return None, values, _errors(error)
    messages.success(request, _("已抽取%(n)d条回访。随机种子：%(seed)s（以相同种子、单位、期间、渠道和比例重新抽样可得到相同样本）")
                     % {"n": draw.drawn, "seed": draw.seed})
    return redirect(f"{reverse('web:county_call_backs')}?draw={draw.key}"), values, []


@county_roles_required
@require_http_methods(["GET", "POST"])
def county_call_backs(request):
    """The draw form, then calls to work: the script, reveal (logged; claims the call) and the outcome."""
    revealed, draw_values, draw_errors = None, _blank_draw(), []
    if request.method == "POST" and request.POST.get("action") == "draw":
        response, draw_values, draw_errors = _draw(request)
        if response is not None:
            return response
    elif request.method == "POST":
        unit, raw = _unit(request.POST.get("tenant", "")), request.POST.get("id", "")
        pk = int(raw) if raw.isdigit() else 0
        try:
            if request.POST.get("action") == "reveal":
                name, phone = callbacks.reveal_contact(unit, pk, request.user)
                revealed = {"tenant": unit.schema_name, "id": pk, "name": name, "phone": phone}
            else:
                def flag(name):
                    value = request.POST.get(name, "")
                    return {"yes": True, "no": False}.get(value)

                callbacks.record_outcome(unit, pk, callbacks.Outcome(
                    reached=flag("reached"), did_rate=flag("did_rate"), pressed_to_rate_well=flag("pressed"),
                    satisfaction_confirmed=flag("satisfied"), notes=request.POST.get("notes", "")), request.user)
                messages.success(request, "已记录回访结果 / Outcome recorded")
                return redirect("web:county_call_backs")
        except DomainError as error:
            messages.error(request, _message(error))
    draw_key = request.GET.get("draw", "")
    # One draw's calls are listed whatever their state, unless a state is asked for.
    state = request.GET.get("state") or ("" if draw_key else CallBack.State.PENDING)
    rows = callbacks.calls(list(supervised_tenants()), state=state if state in CallBack.State.values else None,
                           draw_key=draw_key or None)
    return render(request, "web/county_call_backs.html", {
        "rows": [{"tenant": t, "call": c, "mine": c.caller_id == request.user.pk} for t, c in rows],
        "script": [(zh, en) for _key, zh, en in callbacks.SCRIPT], "revealed": revealed, "state": state,
        "draw_key": draw_key, "draw_seed": rows[0][1].seed if draw_key and rows else "",
        "units": list(supervised_tenants()), "channels": _channel_choices(), "draw": draw_values,
        "errors": draw_errors, "english": _english()})


def _catalog_choices() -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in catalog_items()]


@county_roles_required
@require_http_methods(["GET", "POST"])
def county_survey_results(request):
    """The county's surveys: create one in chosen units, revise and send the selected one, and its results."""
    tenants = list(supervised_tenants())
    key = request.POST.get("key", "") if request.method == "POST" else request.GET.get("key", "")
    values, errors = {**_blank_survey(), "tenants": [t.schema_name for t in tenants]}, []
    revise_rows, revise_prompt, send_units = None, None, None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "create":
                data, values = _posted_survey(request.POST)
                values["tenants"] = request.POST.getlist("tenants")
                key = county.create_county_survey(data, _chosen_units(request.POST), request.user)
                messages.success(request, _("已在所选单位创建调查（第1版），可在下方修改或发送。"))
            elif action == "revise":
                questions, revise_rows = _posted_questions(request.POST)
                revise_prompt = request.POST.get("text_prompt", "")
                version = county.revise_county_survey(key, questions, tenants, request.user, revise_prompt)
                messages.success(request, _("已发布第%(v)d版；此前发出的链接仍使用原版本。") % {"v": version})
            elif action == "send":
                send_units = request.POST.getlist("tenants")
                sent = county.send_county_survey(key, _chosen_units(request.POST), request.user)
                names = {t.schema_name: t.name for t in tenants}
                messages.success(request, _("已发送调查链接：%(units)s") % {
                    "units": "、".join(f"{names.get(slug, slug)} {n}" for slug, n in sent.items())})
            else:
                raise Http404("未知操作 / Unknown action")
            return redirect(f"{reverse('web:county_surveys')}?key={key}")
        except DomainError as error:
            errors = _errors(error)
    surveys = selectors.county_surveys(tenants)
    selected = next((s for s in surveys if key and s["key"] == key), None)
    units, current = [], None
    if selected:
        for row in selectors.county_results(key, tenants):
            r = row.results
            current = current or row.survey.current
            units.append({"tenant": row.tenant, "version": row.survey.current.version, "rate": r.total.response_rate,
                          "links": r.total.links_sent, "responses": r.total.responses, "dims": _figures(r.total),
                          "texts": r.texts})
    return render(request, "web/county_surveys.html", {
        **_form_context(), "surveys": surveys, "key": key, "selected": selected, "units": units, "errors": errors,
        "values": values, "all_units": tenants, "item_choices": _catalog_choices(),
        # After an error the revise and send forms show what was posted; otherwise the current version and all holders.
        "question_rows": revise_rows if revise_rows is not None else _question_rows(current.questions if current else []),
        "text_prompt": revise_prompt if revise_prompt is not None else (current.text_prompt if current else ""),
        "send_units": send_units if send_units is not None
        else [t.schema_name for t in (selected or {}).get("tenants", [])]})
