"""The public portal's pages. They read only the public schema (published, redacted copies)."""
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from haochaping.core import ratelimit
from haochaping.core.errors import FieldError
from haochaping.core.privacy import digest
from haochaping.disclosure import selectors

from .rectification_views import (OUTCOME_LABELS, RECEIPT_LOOKUPS_PER_WINDOW, RECEIPT_WINDOW_SECONDS, STATE_LABELS,
                                  _client_ip, _english)


@require_http_methods(["GET", "POST"])
def portal_receipt(request):
    """An anonymous rater reads the answer to their bad review on the county portal with the receipt code."""
    context = {"english": _english(), "code": "", "errors": [], "result": None}
    status = 200
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip().upper()[:16]
        context["code"] = code
        if not ratelimit.within_limit("portal-receipt", digest(_client_ip(request), "ip"), RECEIPT_LOOKUPS_PER_WINDOW,
                                      RECEIPT_WINDOW_SECONDS):
            context["errors"] = [FieldError("RATE_LIMITED", "查询过于频繁，请稍后再试",
                                            "Too many lookups; please try again later", "code")]
            status = 429
        else:
            published = selectors.by_receipt(code)
            if published is None:
                context["errors"] = [FieldError("NOT_FOUND", "未找到该回执码对应的整改，请核对后重新输入",
                                                "No rectification has this receipt code; check it and try again", "code")]
                status = 404
            else:
                context["result"] = {
                    "rated_at": published.opened_at, "summary": published, "tenant_name": published.tenant.name,
                    "state_label": STATE_LABELS.get(published.state, published.state),
                    "closed": published.state == "CLOSED",
                    "outcome_label": OUTCOME_LABELS.get(published.outcome, published.outcome),
                }
    return render(request, "web/rect_receipt.html", context, status=status)


def portal_notices(request):
    """曝光: circulars the county published after approval and redaction."""
    from haochaping.supervision.models import PublicNotice

    notices = PublicNotice.objects.filter(state=PublicNotice.State.PUBLISHED).order_by("-decided_at")[:50]
    return render(request, "web/portal_notices.html", {"notices": notices})
