"""Staff entry pages: 书面评价表 (print forms for a station, enter filled forms one by one or as a CSV/XLSX batch)
and 热线评价 (an agent records a caller's rating). Thin views: every write is a domain service call."""
from __future__ import annotations

import secrets
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from haochaping.accounts.models import Role
from haochaping.core.errors import DomainError, FieldError, NotFound
from haochaping.evaluations import grades
from haochaping.evaluations.hotline import HotlineCall, record_hotline_rating
from haochaping.evaluations.paper import (MAX_FORMS_PER_ISSUE, PaperEntry, batch_template_csv, enter_paper_form,
                                          import_paper_batch, issue_paper_forms, render_paper_forms_pdf)
from haochaping.evaluations.policy import get_policy
from haochaping.evaluations.questionnaires import current_questionnaire
from haochaping.organizations import selectors as org_selectors
from schema.core.nodes import global_id, pk_for

ENTRY_ROLES = (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER)


def entry_roles_required(view):
    """Signed in on this tenant's host (else the login page) as TENANT_ADMIN, AGENCY or HANDLER (else 403)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if getattr(request.user, "role", None) not in ENTRY_ROLES:
            raise PermissionDenied("无权执行此操作 / You are not allowed to do this")
        return view(request, *args, **kwargs)

    return wrapped


def _attempt(action):
    try:
        return action(), []
    except DomainError as error:
        return None, list(error.errors)


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _form_context() -> dict:
    """Grade labels and questionnaire in the page's language."""
    english = _english()
    label_set = get_policy().label_set
    labels = (grades.LABELS_EN if english else grades.LABELS)[label_set]
    questions = [{"key": q["key"], "text": (q.get("textEn") or q["text"]) if english else q["text"],
                  "kind": q["kind"], "options": q.get("options", [])}
                 for q in current_questionnaire(None).questions]
    return {"english": english, "questions": questions,
            "grade_choices": [(g, labels[g], grades.is_bad(g)) for g in grades.GRADES]}


def _answers(post, questions) -> dict:
    return {q["key"]: post.get(f"q_{q['key']}", "").strip() for q in questions if post.get(f"q_{q['key']}", "").strip()}


def _keep_answers(context: dict, post) -> None:
    """After an error the form shows what was typed, answers included."""
    for question in context["questions"]:
        question["value"] = post.get(f"q_{question['key']}", "")


# --- 书面评价表 -------------------------------------------------------------------------------------------------


@entry_roles_required
@require_http_methods(["GET", "POST"])
def paper_forms(request):
    context = _form_context()
    context.update(max_forms=MAX_FORMS_PER_ISSUE, stations=[(global_id("ServiceOrg", org.pk), org)
                                                             for org in org_selectors.orgs().order_by("kind", "code")])
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "enter":
            entry = PaperEntry(serial=request.POST.get("serial", ""), grade=request.POST.get("grade"),
                               window=request.POST.get("window", ""), case_number=request.POST.get("case_number", ""),
                               comment=request.POST.get("comment", ""),
                               answers=_answers(request.POST, context["questions"]))
            result, errors = _attempt(lambda: enter_paper_form(entry, request.user))
            context.update(entry_result=result, entry_errors=errors, entry_values=request.POST if errors else {})
            if errors:
                _keep_answers(context, request.POST)
        elif action == "import":
            upload = request.FILES.get("file")
            if upload is None:
                report, errors = None, [FieldError("REQUIRED", "请选择要上传的文件", "Choose a file to upload", "file")]
            else:
                report, errors = _attempt(lambda: import_paper_batch(upload.name, upload.read(), request.user))
            context.update(report=report, import_errors=errors)
        else:
            status = 400
    return render(request, "web/paper_forms.html", context, status=status)


@entry_roles_required
@require_http_methods(["POST"])  # issuing serials changes state: never on a GET
def paper_forms_pdf(request, org_id: str):
    """Issues `count` new serials for the station and returns their printable PDF (one A4 page per form)."""
    try:
        pk = pk_for(org_id, "ServiceOrg", what_zh="服务机构", what_en="Service organisation", field="orgId")
    except NotFound:
        raise Http404("未找到服务机构 / Service organisation not found") from None
    raw = request.POST.get("count") or ""
    count = int(raw) if raw.strip().isdigit() else -1

    def issue_and_print():
        with transaction.atomic():  # no serial is issued unless its page was printed
            forms = issue_paper_forms(pk, count)
            return forms, render_paper_forms_pdf(forms)

    result, errors = _attempt(issue_and_print)
    if result is None:
        if any(e.code == "NOT_FOUND" for e in errors):
            raise Http404("未找到服务机构 / Service organisation not found")
        context = _form_context()
        context.update(max_forms=MAX_FORMS_PER_ISSUE, issue_errors=errors,
                       stations=[(global_id("ServiceOrg", org.pk), org) for org in org_selectors.orgs()])
        return render(request, "web/paper_forms.html", context, status=400)
    forms, pdf = result
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"paper-forms-{forms[0].serial}.pdf")
    response["Cache-Control"] = "no-store"
    return response


@entry_roles_required
def paper_batch_template(request):
    response = HttpResponse(batch_template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "paper-forms-batch.csv")
    return response


# --- 热线评价 ---------------------------------------------------------------------------------------------------


def _window_id(value: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    return int(value) if value.isdigit() else -1  # -1: not found


@entry_roles_required
@require_http_methods(["GET", "POST"])
def hotline(request):
    context = _form_context()
    context["windows"] = org_selectors.windows().select_related("org").order_by("org__code", "code")
    if request.method == "POST":
        call = HotlineCall(grade=request.POST.get("grade"), window_id=_window_id(request.POST.get("window", "")),
                           case_number=request.POST.get("case_number", ""), comment=request.POST.get("comment", ""),
                           caller_phone=request.POST.get("caller_phone", ""),
                           answers=_answers(request.POST, context["questions"]),
                           idempotency_key=request.POST.get("idempotency_key", "")[:40] or None)
        result, errors = _attempt(lambda: record_hotline_rating(call, request.user))
        context.update(result=result, errors=errors, values=request.POST if errors else {},
                       idempotency_key=request.POST.get("idempotency_key", "")[:40] if errors else None)
        if errors:
            _keep_answers(context, request.POST)
    # One key per form shown: submitting the same form twice stores one rating.
    context["idempotency_key"] = context.get("idempotency_key") or f"hotline-{secrets.token_urlsafe(12)}"
    return render(request, "web/hotline.html", context)
