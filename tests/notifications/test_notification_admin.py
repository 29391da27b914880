"""Sent messages are visible, read-only, in the tenant admin: the outbox and the recorded SMS, with masked
recipients; outside development the invitation links and codes in them are hidden too."""
from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.jobs.services import run_due_jobs
from haochaping.notifications.models import Notification, SmsRecord
from haochaping.notifications.services import queue_notification

ALPHA = "alpha.localhost"
INVITE = "请评价：http://alpha.localhost:8000/e/SECRET-TOKEN-123/ 评价自愿"


def admin_client(role="tenant_admin") -> Client:
    client = Client()
    with schema_context("alpha"):
        user = User.objects.get(username=role)
        user.is_staff = True
        user.save()
        client.force_login(user)
    return client


@pytest.fixture
def sent(db):
    with schema_context("alpha"):
        sms = queue_notification(channel="SMS", recipient="13800138000", body=INVITE, purpose="invitation")
        code = queue_notification(channel="SMS", recipient="13900139000", body="您的政务服务评价验证码为654321",
                                  purpose="phone_code")
        email = queue_notification(channel="EMAIL", recipient="wang@example.com", subject="邀请", body=INVITE,
                                   purpose="invitation")
    with schema_context("beta"):
        queue_notification(channel="SMS", recipient="13700137000", body="beta的短信", purpose="invitation")
    run_due_jobs()
    return {"sms": sms, "code": code, "email": email}


def get(client, path):
    return client.get(path, HTTP_HOST=ALPHA)


def test_the_tenant_admin_lists_sent_messages_with_masked_recipients(sent):
    client = admin_client()
    index = get(client, "/admin/").content.decode()
    assert 'href="/admin/notifications/notification/"' in index
    assert 'href="/admin/notifications/smsrecord/"' in index

    page = get(client, "/admin/notifications/notification/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "138****8000" in html and "139****9000" in html and "w***@example.com" in html
    assert "13800138000" not in html and "wang@example.com" not in html
    assert "13700137000" not in html and "137****7000" not in html  # beta's outbox is not alpha's
    assert "/admin/notifications/notification/add/" not in html

    records = get(client, "/admin/notifications/smsrecord/").content.decode()
    assert "138****8000" in records and "13800138000" not in records
    assert "SECRET-TOKEN-123" not in records and "/e/…/" in records
    assert "654321" not in records and "验证码为******" in records


def test_a_notification_is_shown_read_only(sent):
    client = admin_client()
    url = f"/admin/notifications/notification/{sent['email'].pk}/change/"
    page = get(client, url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "w***@example.com" in html and "wang@example.com" not in html
    assert "SENT" in html or "已发送" in html
    assert 'name="_save"' not in html
    assert client.post(url, {"recipient": "x@example.com"}, HTTP_HOST=ALPHA).status_code == 403
    delete = f"/admin/notifications/notification/{sent['email'].pk}/delete/"
    assert client.post(delete, {"post": "yes"}, HTTP_HOST=ALPHA).status_code == 403
    with schema_context("alpha"):
        assert Notification.objects.get(pk=sent["email"].pk).recipient == "wang@example.com"


@override_settings(DEBUG=True)
def test_in_development_the_texts_are_shown_whole(sent):
    """`make run` (DEBUG): a person can open the invitation link and read the code from the admin."""
    client = admin_client()
    records = get(client, "/admin/notifications/smsrecord/").content.decode()
    assert "SECRET-TOKEN-123" in records and "654321" in records
    assert "13800138000" not in records  # the recipients stay masked


def test_other_roles_do_not_see_the_outbox(sent):
    client = admin_client("viewer")
    assert get(client, "/admin/notifications/notification/").status_code == 403
    assert get(client, "/admin/notifications/smsrecord/").status_code == 403
    assert "/admin/notifications/" not in get(client, "/admin/").content.decode()


def test_recorded_sms_belong_to_their_notification(sent):
    with schema_context("alpha"):
        assert SmsRecord.objects.count() == 2
        assert str(SmsRecord.objects.get(notification=sent["sms"]).notification) == f"短信 #{sent['sms'].pk}"
