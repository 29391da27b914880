"""综合点评 by e-mail through a real SMTP exchange on loopback: the worker's listener (feedback.mail) turns a message to
`<unit>@<domain>` into that unit's comment and acknowledges it with the receipt code; a general address is routed by
the text; foreign domains are refused at RCPT (no open relay); an empty message and a sender over the limit are
refused and store nothing; the answer is e-mailed back. The listener commits on its own connections, so these tests
remove what they added."""
from __future__ import annotations

import smtplib
import socket
import uuid
from email.message import EmailMessage

import pytest
from django.db import connection
from django.test import override_settings
from django_tenants.utils import schema_context

from conftest import run_committed
from haochaping.feedback import mail, services
from haochaping.feedback.models import CommentEvent, PublicComment
from haochaping.feedback.portal.models import PublishedComment
from haochaping.jobs.models import Job
from haochaping.notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_parse_takes_the_text_the_subject_category_and_consent():
    message = EmailMessage()
    message["From"] = "张三 <zhang@example.com>"
    message["Subject"] = "投诉：窗口推诿（同意公开）"
    message.set_content("营业执照窗口让我跑了三次。")
    parsed = mail.parse(message.as_bytes())
    assert (parsed.sender, parsed.sender_name, parsed.category, parsed.consents) == (
        "zhang@example.com", "张三", "COMPLAINT", True)
    assert parsed.text == "投诉：窗口推诿（同意公开）\n营业执照窗口让我跑了三次。"
    html = EmailMessage()
    html["From"] = "li@example.com"
    html["Subject"] = "表扬"
    html.set_content("<p>窗口&nbsp;服务<b>很好</b></p>", subtype="html")
    parsed = mail.parse(html.as_bytes())
    assert (parsed.category, parsed.consents, "<" in parsed.body, "很好" in parsed.body) == ("PRAISE", False, False, True)
    plain = EmailMessage()
    plain["Subject"] = "关于办事的建议"
    plain.set_content("建议延长午间办理时间")
    assert mail.parse(plain.as_bytes(), "wang@example.com").sender == "wang@example.com"
    assert mail.parse(plain.as_bytes()).category == "SUGGESTION"


def _marks():
    marks = {}
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            for model in (CommentEvent, PublicComment, Notification):
                marks[(slug, model)] = set(model.objects.values_list("pk", flat=True))
    for model in (PublishedComment, Job):
        marks[("public", model)] = set(model.objects.values_list("pk", flat=True))
    return marks


def _restore(marks):
    for slug in ("alpha", "beta"):
        with schema_context(slug):
            for model in (CommentEvent, PublicComment, Notification):
                model.objects.exclude(pk__in=marks[(slug, model)]).delete()
    for model in (PublishedComment, Job):
        model.objects.exclude(pk__in=marks[("public", model)]).delete()


@pytest.fixture
def listener(alpha, beta):
    from boards.conftest import _marks as rating_marks
    from boards.conftest import _restore as restore_ratings

    marks, others = run_committed(_marks), run_committed(rating_marks)  # others: rectifications, jobs, …
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = mail.start_listener("127.0.0.1", port)
    try:
        yield port
    finally:
        controller.stop()
        run_committed(_restore, marks)
        run_committed(restore_ratings, others)


def send(port: int, to: str, subject: str, body: str, sender: str | None = None) -> tuple[int, bytes]:
    message = EmailMessage()
    message["From"] = f"赵六 <{sender or uuid.uuid4().hex[:10] + '@example.com'}>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        client.ehlo()
        client.mail(message["From"].addresses[0].addr_spec)
        code, _ = client.rcpt(to)
        assert code == 250, code
        return client.data(message.as_bytes())


def comments(slug: str, **filters):
    def read():
        with schema_context(slug):
            return list(PublicComment.objects.filter(**filters).values(
                "receipt_code", "channel", "category", "contact_email", "contact_name", "allow_publish", "text", "route"))
    return run_committed(read)


def test_a_message_to_a_unit_becomes_its_comment_and_is_acknowledged(listener):
    sender = f"{uuid.uuid4().hex[:8]}@example.com"
    code, reply = send(listener, "alpha@localhost", "建议（同意公开）", "希望增加一个帮办代办窗口", sender)
    assert code == 250 and reply.startswith(b"OK receipt ")
    receipt = reply.decode().split()[-1]
    [stored] = comments("alpha", receipt_code=receipt)
    assert (stored["channel"], stored["category"], stored["contact_email"], stored["contact_name"],
            stored["allow_publish"], stored["route"]) == ("EMAIL", "SUGGESTION", sender, "赵六", True, "EXPLICIT")
    assert comments("beta", receipt_code=receipt) == []

    def acknowledged():
        with schema_context("alpha"):
            return list(Notification.objects.filter(recipient=sender).values_list("purpose", "channel", "body"))
    [(purpose, channel, body)] = run_committed(acknowledged)
    assert (purpose, channel) == ("comment-received", "EMAIL") and receipt in body

    def answer():
        from haochaping.accounts.models import User

        with schema_context("alpha"):
            comment = PublicComment.objects.get(receipt_code=receipt)
            services.answer_comment(comment.pk, user=User.objects.get(username="handler"), answer="已增设帮办代办窗口")
            return list(Notification.objects.filter(recipient=sender, purpose="comment-answer").values_list("body", flat=True))
    [answered] = run_committed(answer)
    assert "已增设帮办代办窗口" in answered and receipt in answered


def test_a_general_address_is_routed_by_the_text(listener):
    code, reply = send(listener, "yijian@localhost", "咨询", "乙镇便民服务中心周六是否办公？")
    assert code == 250
    receipt = reply.decode().split()[-1]
    [stored] = comments("beta", receipt_code=receipt)
    assert (stored["route"], stored["category"]) == ("TEXT", "CONSULTATION")


def test_foreign_domains_are_refused_at_rcpt_and_nothing_is_stored(listener):
    with smtplib.SMTP("127.0.0.1", listener, timeout=10) as client:
        client.ehlo()
        client.mail("someone@example.com")
        code, message = client.rcpt("victim@example.org")
        assert code == 550 and b"Not an address of this platform" in message
    assert comments("alpha") == [] and comments("beta") == []


def test_an_empty_message_is_refused(listener):
    code, reply = send(listener, "alpha@localhost", "", "   ")
    assert code == 554 and b"Text" in reply
    assert comments("alpha") == []


@override_settings(FEEDBACK_PER_SENDER=2)
def test_a_sender_over_the_limit_is_told_to_retry_later(listener):
    sender = f"{uuid.uuid4().hex[:8]}@example.com"
    for n in range(2):
        assert send(listener, "alpha@localhost", "建议", f"第{n}条建议", sender)[0] == 250
    code, reply = send(listener, "alpha@localhost", "建议", "第三条建议", sender)
    assert code == 451 and b"Too many submissions" in reply
    assert len(comments("alpha")) == 2
    connection.set_schema_to_public()


def test_rotating_the_from_line_does_not_escape_the_per_server_limit(listener):
    from django.core.cache import cache

    cache.clear()  # the per-server counter is keyed by 127.0.0.1, shared with the other tests here
    with override_settings(FEEDBACK_PER_MAIL_SERVER=3):
        codes = [send(listener, "alpha@localhost", "建议", f"第{n}条", f"{uuid.uuid4().hex[:8]}@example.com")[0]
                 for n in range(4)]
    assert codes == [250, 250, 250, 451]
    assert len(comments("alpha")) == 3
    cache.clear()
