"""The rating pages: the window device and the clerk's “请评价” page, the QR and invitation rating pages (valid, foreign
and broken tokens), the printable window posters (the QR encodes the signed rating URL) and the links to them."""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from html import unescape
from urllib.parse import urlsplit

import pytest
import segno
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.core.ids import global_id
from haochaping.evaluations import selectors
from haochaping.evaluations.invitations import invitation_url
from haochaping.evaluations.models import Evaluation, Invitation, ServiceCase
from haochaping.evaluations.submission import window_qr_token
from haochaping.items.models import ServiceItem
from haochaping.organizations.models import Window
from tenants.models import Tenant

ALPHA, BETA = "alpha.localhost", "beta.localhost"
POSTER_ROLES = ["TENANT_ADMIN", "AGENCY", "HANDLER", "VIEWER"]
SUBMIT = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
  evaluation { grade channel receiptCode isRealName } errors { code field } } }"""


def client_as(slug: str, role: str | None) -> Client:
    client = Client()
    if role:
        with schema_context(slug):
            client.force_login(User.objects.get(username=role.lower()))
        connection.set_schema_to_public()
    return client


def get(client: Client, host: str, path: str, **extra):
    return client.get(path, HTTP_HOST=host, **extra)


def qr_token(slug: str = "alpha") -> str:
    with schema_context(slug):
        return window_qr_token(Window.objects.get(code="W01"))


def window_gid(slug: str = "alpha") -> str:
    with schema_context(slug):
        return global_id("Window", Window.objects.get(code="W01").pk)


def page_config(html: str) -> dict:
    match = re.search(r'<script id="rating-config" type="application/json">(.*?)</script>', html, re.S)
    assert match, html[:500]
    return json.loads(match.group(1))


def make_case(slug: str, number: str, *, invite_channel: str | None = "SMS", round: int = 1):
    with schema_context(slug):
        tenant = Tenant.objects.get(schema_name=slug)
        now = timezone.now()
        case = ServiceCase.objects.create(
            case_number=number, item=ServiceItem.objects.get(catalog_item__code="TEST-001"), accepting_unit=tenant,
            handling_unit=tenant, window=Window.objects.get(code="W01"), applicant_kind="INDIVIDUAL",
            applicant_name="王小明", applicant_phone="13800138000", status="COMPLETED",
            accepted_at=now - timedelta(days=1), completed_at=now - timedelta(hours=1))
        invitation = Invitation.objects.create(case=case, round=round, channel=invite_channel) if invite_channel else None
        path = urlsplit(invitation_url(invitation)).path if invitation else None
        return case, invitation, path


# --- the window device and the clerk ------------------------------------------------------------------------


def test_device_page_is_open_to_the_tablet(db):
    response = get(Client(), ALPHA, "/device/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="device-token"' in html and "评价器令牌" in html  # first visit: pairing
    assert "/static/web/device.js" in html and "/static/web/gql.js" in html
    assert "离线，已保存 {n} 条，联网后自动上传" in html
    assert "甲镇" in html and "乙镇" not in html


def test_clerk_page_needs_a_login(db):
    response = get(Client(), ALPHA, "/clerk/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/") and "next=/clerk/" in response.url


@pytest.mark.parametrize("role, status", [("STAFF", 200), ("TENANT_ADMIN", 200), ("VIEWER", 403), ("HANDLER", 403),
                                          ("AGENCY", 403)])
def test_clerk_page_roles(db, role, status):
    response = get(client_as("alpha", role), ALPHA, "/clerk/")
    assert response.status_code == status
    html = response.content.decode()
    if status == 200:
        assert 'id="case-number"' in html and "请评价" in html and "/static/web/clerk.js" in html
        assert "csrftoken" in response.cookies  # the page's fetch() sends it with the session
    else:
        assert "无权访问" in html


def test_clerk_page_never_asks_for_the_grade():
    """The clerk's screen asks only for the prompt's state (DESIGN §4: the grade is never shown to the clerk)."""
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "web" / "static" / "web" / "clerk.js").read_text()
    queries = re.findall(r'"(?:query|mutation)[^;]*;', script)
    assert queries and all("grade" not in q.lower() for q in queries)
    assert "ratingRequestState" in script


# --- the QR rating page -------------------------------------------------------------------------------------


def test_qr_page_shows_the_window_and_carries_its_token(db):
    token = qr_token()
    response = get(Client(), ALPHA, f"/r/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    for text in ("请对本窗口的服务进行评价", "alpha便民服务中心", "alpha综合窗口", "alpha员工", "提交评价",
                 'name="caseNumber"', 'name="phoneLast4"', "实名评价", 'id="send-code"', 'for="phoneLast4"'):
        assert text in html, text
    assert page_config(html) == {"windowToken": token, "round": 1, "canLinkCase": True}
    assert "/static/web/rating.js" in html
    assert "csrftoken" in response.cookies


def test_the_token_on_the_page_rates_the_window(db, gql):
    """What the page's script sends: the token from the page, channel from ratingForm."""
    html = get(Client(), ALPHA, f"/r/{qr_token()}/").content.decode()
    token = page_config(html)["windowToken"]
    form = gql("alpha")("query($w: String) { ratingForm(windowToken: $w) { form { channel windowName } errors { code } } }",
                        {"w": token})["data"]["ratingForm"]
    assert form["errors"] == [] and form["form"] == {"channel": "QR_CODE", "windowName": "alpha综合窗口"}
    result = gql("alpha")(SUBMIT, {"input": {"grade": 4, "channel": "QR_CODE", "windowToken": token,
                                            "idempotencyKey": "rating-page-key-0001"}})["data"]["submitEvaluation"]
    assert result["errors"] == [] and result["evaluation"]["channel"] == "QR_CODE"
    assert result["evaluation"]["isRealName"] is False and result["evaluation"]["receiptCode"]


@pytest.mark.parametrize("token", ["not-a-token", "eyJzIjoiYWxwaGEiLCJ3IjoxfQ:1tWz:forged", "x" * 300])
def test_broken_qr_token_shows_the_error_state(db, token):
    response = get(Client(), ALPHA, f"/r/{token}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'id="invalid-link"' in html
    assert "链接无效或已过期" in html and "The link is invalid or has expired" in html
    assert "rating-config" not in html and "提交评价" not in html


def test_a_token_of_alpha_on_betas_host_shows_the_error_state(db):
    token = qr_token("alpha")
    assert get(Client(), ALPHA, f"/r/{token}/").status_code == 200
    response = get(Client(), BETA, f"/r/{token}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert 'id="invalid-link"' in html and "链接无效或已过期" in html and "The link is invalid or has expired" in html
    assert "alpha便民服务中心" not in html and "beta综合窗口" not in html


def test_a_deactivated_window_shows_the_error_state(db):
    token = qr_token()
    with schema_context("alpha"):
        Window.objects.filter(code="W01").update(is_active=False)
    response = get(Client(), ALPHA, f"/r/{token}/")
    assert response.status_code == 404 and 'id="invalid-link"' in response.content.decode()


def test_qr_page_in_english(db):
    client = Client()
    client.cookies["django_language"] = "en"
    html = get(client, ALPHA, f"/r/{qr_token()}/").content.decode()
    assert '<html lang="en">' in html
    assert "Submit" in html and "Rate the service at this window" in html and "Link my case" in html
    assert 'value="zh-hans"' in html  # the switch back to Chinese


# --- the invitation (一事一评) page ------------------------------------------------------------------------


def test_invitation_page_is_bound_to_the_case(db):
    case, invitation, path = make_case("alpha", "WEB-PAGE-0001")
    assert path.startswith("/e/")
    response = get(Client(), ALPHA, path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "请对本次办事服务进行评价" in html and "测试事项1" in html and "WEB-PAGE-0001" in html
    assert 'name="caseNumber"' not in html  # already bound to the case
    token = path.split("/")[2]
    assert page_config(html) == {"invitationToken": token, "round": 1, "canLinkCase": False}
    assert "王小明" not in html and "13800138000" not in html  # nothing about the applicant


def test_follow_up_invitation_page_submits_round_two(db):
    _, _, path = make_case("alpha", "WEB-PAGE-0002", round=2)
    assert page_config(get(Client(), ALPHA, path).content.decode())["round"] == 2


def test_used_invitation_says_already_rated(db):
    case, invitation, path = make_case("alpha", "WEB-PAGE-0003")
    with schema_context("alpha"):
        Invitation.objects.filter(pk=invitation.pk).update(state=Invitation.State.USED)
    response = get(Client(), ALPHA, path)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="already-rated"' in html and "该办件已评价" in html and "already been rated" in html
    assert "rating-config" not in html


def test_invitation_of_alpha_on_betas_host_and_broken_tokens(db):
    _, _, path = make_case("alpha", "WEB-PAGE-0004")
    for host, url in ((BETA, path), (ALPHA, "/e/broken/"), (ALPHA, path.replace("/e/", "/e/x"))):
        response = get(Client(), host, url)
        assert response.status_code == 404, url
        html = response.content.decode()
        assert 'id="invalid-link"' in html and "The link is invalid or has expired" in html
        assert "WEB-PAGE-0004" not in html


def test_a_window_qr_token_is_not_an_invitation(db):
    response = get(Client(), ALPHA, f"/e/{qr_token()}/")
    assert response.status_code == 404 and 'id="invalid-link"' in response.content.decode()


# --- posters ------------------------------------------------------------------------------------------------


def svg_url(svg: str) -> str:
    match = re.search(r'<rating-url xmlns="urn:haochaping:poster" href="([^"]+)"/>', svg)
    assert match, svg[:600]
    return unescape(match.group(1))


def svg_qr_path(svg: str) -> str:
    match = re.search(r'<svg id="qr"[^>]*><path stroke="#000" d="([^"]+)"/></svg>', svg)
    assert match
    return match.group(1)


def segno_path(url: str) -> str:
    buffer = io.BytesIO()
    segno.make_qr(url, error="m").save(buffer, kind="svg", border=0, xmldecl=False, nl=False, svgclass=None,
                                       lineclass=None, omitsize=True)
    return re.search(r'\sd="([^"]+)"', buffer.getvalue().decode()).group(1)


def assert_rating_url_of_w01(url: str, settings, slug: str = "alpha"):
    parts = urlsplit(url)
    assert parts.scheme == settings.BASE_SCHEME and parts.netloc == f"{slug}.{settings.BASE_DOMAIN}"
    match = re.fullmatch(r"/r/([^/]+)/", parts.path)
    assert match, url
    with schema_context(slug):  # the token is the window's, signed for this tenant
        context = selectors.rating_context(window_token=match.group(1))
        assert context.channel == "QR_CODE" and context.window_name == f"{slug}综合窗口"
    return match.group(1)


@pytest.mark.parametrize("role", POSTER_ROLES)
def test_svg_poster(db, settings, role):
    settings.BASE_SCHEME, settings.BASE_DOMAIN = "https", "hcp.example.gov.cn"
    response = get(client_as("alpha", role), ALPHA, f"/windows/{window_gid()}/poster.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert 'filename="poster-H01-W01.svg"' in response["Content-Disposition"]
    svg = response.content.decode()
    assert svg.startswith("<?xml") and 'viewBox="0 0 210 297"' in svg
    for text in ("甲镇", "alpha便民服务中心", "W01 alpha综合窗口", "扫码评价", "Scan to rate"):
        assert text in svg, text
    url = svg_url(svg)
    assert_rating_url_of_w01(url, settings)
    assert f"<desc>{url}</desc>" in svg
    # The QR drawn on the poster is exactly segno's symbol for that URL.
    assert svg_qr_path(svg) == segno_path(url)


def test_png_poster_qr_encodes_the_signed_url(db, settings):
    from PIL import Image

    settings.BASE_DOMAIN = "hcp.example.gov.cn:8443"
    response = get(client_as("alpha", "tenant_admin"), ALPHA, f"/windows/{window_gid()}/poster.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert 'filename="poster-H01-W01.png"' in response["Content-Disposition"]
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "PNG" and image.size == (1240, 1754)  # A4 at 150 dpi
    url = image.text["URL"]
    assert_rating_url_of_w01(url, settings)
    # Read the symbol back from the pixels, module by module, and compare with segno's matrix for the URL.
    x, y, size, modules = map(int, image.text["QR"].split(","))
    expected = [list(row) for row in segno.make_qr(url, error="m").matrix_iter(border=0)]
    assert len(expected) == modules
    step = size / modules
    gray = image.convert("L")
    read = [[1 if gray.getpixel((int(x + (c + 0.5) * step), int(y + (r + 0.5) * step))) < 128 else 0
             for c in range(modules)] for r in range(modules)]
    assert read == [[1 if v else 0 for v in row] for row in expected]
    # A quiet zone (≥ 4 modules) of white around the symbol, so phones can read it.
    for dx in range(1, int(4 * step)):
        assert gray.getpixel((x - dx, y + size // 2)) > 200 and gray.getpixel((x + size + dx - 1, y + size // 2)) > 200


def test_posters_need_a_login(db):
    gid = window_gid()
    for suffix in ("svg", "png"):
        response = get(Client(), ALPHA, f"/windows/{gid}/poster.{suffix}")
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_staff_cannot_print_posters(db):
    response = get(client_as("alpha", "staff"), ALPHA, f"/windows/{window_gid()}/poster.svg")
    assert response.status_code == 403


@pytest.mark.parametrize("gid", [
    "bm90LWEtaWQ",  # "not-a-id"
    "!!!",
    "V2luZG93OmFscGhhOjk5OTk5",  # Window:alpha:99999
    "U3RhZmY6YWxwaGE6MQ==",  # Staff:alpha:1
])
def test_unknown_window_ids_are_not_found(db, gid):
    assert get(client_as("alpha", "tenant_admin"), ALPHA, f"/windows/{gid}/poster.svg").status_code == 404


def test_another_tenants_window_is_not_found(db):
    """beta's W01 has alpha's primary key: the global id carries the schema, so it is not found on alpha."""
    beta_gid, alpha_gid = window_gid("beta"), window_gid("alpha")
    assert beta_gid != alpha_gid
    admin = client_as("alpha", "tenant_admin")
    assert get(admin, ALPHA, f"/windows/{beta_gid}/poster.svg").status_code == 404
    assert get(admin, ALPHA, f"/windows/{beta_gid}/poster.png").status_code == 404
    # …and alpha's session is nobody on beta's host.
    assert get(admin, BETA, f"/windows/{beta_gid}/poster.svg").status_code == 302


# --- links from the tenant home -----------------------------------------------------------------------------


def test_home_links_posters_for_admins_and_pages_in_the_nav(db):
    gid = window_gid()
    html = get(client_as("alpha", "tenant_admin"), ALPHA, "/").content.decode()
    assert f'href="/windows/{gid}/poster.svg"' in html and f'href="/windows/{gid}/poster.png"' in html
    assert 'href="/device/"' in html and 'href="/clerk/"' in html

    viewer = get(client_as("alpha", "viewer"), ALPHA, "/").content.decode()
    assert f'href="/windows/{gid}/poster.svg"' in viewer and 'href="/clerk/"' not in viewer

    staff = get(client_as("alpha", "staff"), ALPHA, "/").content.decode()
    assert "poster.svg" not in staff and 'href="/clerk/"' in staff and 'href="/device/"' in staff

    anonymous = get(Client(), ALPHA, "/").content.decode()
    assert "poster.svg" not in anonymous and 'href="/clerk/"' not in anonymous and 'href="/device/"' not in anonymous


def test_no_evaluation_was_stored_by_looking(db):
    """Opening the pages stores nothing (no default ratings)."""
    get(Client(), ALPHA, f"/r/{qr_token()}/")
    get(Client(), ALPHA, "/device/")
    with schema_context("alpha"):
        assert Evaluation.objects.count() == 0
