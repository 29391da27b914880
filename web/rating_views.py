"""Rating pages: the window device, the clerk's “请评价”, the QR and invitation rating pages, window posters.

Thin views: tokens are read by the domain (selectors.rating_context, invitations, window_qr_token); ratings, prompts
and phone checks go through /graphql/ from the page itself, exactly like every other channel."""
from __future__ import annotations

import base64
import binascii
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from haochaping.accounts.models import Role
from haochaping.core.errors import DomainError
from haochaping.core.links import tenant_url
from haochaping.evaluations import selectors
from haochaping.evaluations.invitations import invitation_from_token
from haochaping.evaluations.models import Invitation
from haochaping.evaluations.submission import window_qr_token
from haochaping.organizations import selectors as org_selectors

from . import posters

POSTER_ROLES = (Role.TENANT_ADMIN, Role.AGENCY, Role.HANDLER, Role.VIEWER)
CLERK_ROLES = (Role.STAFF, Role.TENANT_ADMIN)


def roles_required(*roles):
    """Signed in on this tenant's host (else the login page) with one of these roles (else 403)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if getattr(request.user, "role", None) not in roles:
                return render(request, "web/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# --- the window's rating device and the clerk ---------------------------------------------------------------


def device_page(request):
    """Runs full-screen on the window's tablet; authenticates to /graphql/ with its own device token."""
    return render(request, "web/device.html", {"tenant": connection.tenant})


@ensure_csrf_cookie
@roles_required(*CLERK_ROLES)
def clerk_page(request):
    return render(request, "web/clerk.html", {"tenant": connection.tenant})


# --- QR and invitation rating pages -------------------------------------------------------------------------


def _invalid(request, error: DomainError):
    first = error.errors[0] if error.errors else None
    return render(request, "web/rating.html", {
        "invalid": True, "tenant": connection.tenant,
        "message": first.message if first else "链接无效或已过期",
        "message_en": first.message_en if first else "The link is invalid or has expired",
    }, status=404)


def _rating_page(request, context: selectors.RatingContext, config: dict):
    return render(request, "web/rating.html", {"tenant": connection.tenant, "form": context, "config": config})


@ensure_csrf_cookie  # a signed-in admin trying the page talks to /graphql/ with their session: CSRF applies
def rate_by_qr(request, token: str):
    try:
        context = selectors.rating_context(window_token=token)
    except DomainError as error:
        return _invalid(request, error)
    return _rating_page(request, context, {"windowToken": token, "round": 1, "canLinkCase": True})


@ensure_csrf_cookie
def rate_invitation(request, token: str):
    try:
        invitation = invitation_from_token(token)
        context = selectors.rating_context(invitation_token=token)
    except DomainError as error:
        return _invalid(request, error)
    if invitation.state != Invitation.State.PENDING:
        return render(request, "web/rating.html", {"tenant": connection.tenant, "form": context, "already_rated": True})
    return _rating_page(request, context, {"invitationToken": token, "round": invitation.round, "canLinkCase": False})


# --- window posters -----------------------------------------------------------------------------------------


def _window_pk(global_id: str) -> int | None:
    """A relay global id `Window:<schema>:<pk>` of this tenant, else None (another tenant's id is not found)."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, schema, pk = base64.b64decode(padded, validate=True).decode().split(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if type_name != "Window" or schema != connection.schema_name or not pk.isdigit():
        return None
    return int(pk)


def _poster(window_id: str) -> tuple[posters.Poster, str]:
    pk = _window_pk(window_id)
    window = org_selectors.windows().select_related("org").filter(pk=pk).first() if pk else None
    if window is None:
        raise Http404("未找到窗口 / Window not found")
    url = tenant_url(connection.schema_name, reverse("web:rate_qr", args=[window_qr_token(window)]))
    poster = posters.Poster(tenant_name=connection.tenant.name, org_name=window.org.name,
                            window_label=f"{window.code} {window.name}", url=url)
    return poster, f"poster-{window.org.code}-{window.code}"


def _download(content, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@roles_required(*POSTER_ROLES)
def window_poster_svg(request, window_id: str):
    poster, name = _poster(window_id)
    return _download(posters.poster_svg(poster), "image/svg+xml; charset=utf-8", f"{name}.svg")


@roles_required(*POSTER_ROLES)
def window_poster_png(request, window_id: str):
    poster, name = _poster(window_id)
    return _download(posters.poster_png(poster), "image/png", f"{name}.png")
