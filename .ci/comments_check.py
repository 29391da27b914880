"""CI on the running demo (issue 7's "done means"): a comment by e-mail, a 12345 work order and an Open311 request all
reach 城关镇, are answered by its handler and appear on the portal; 12345 reads its reply back; a call-back sample is
drawn and one call is worked; the evaluator token reads its own units only.

Usage: .ci/comments_check.py <http port> <smtp port>   (reads the demo's tokens from .run/demo-credentials.txt)"""
from __future__ import annotations

import http.cookiejar
import json
import re
import smtplib
import sys
import time
import urllib.parse
import urllib.request
import uuid
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

PORT, SMTP_PORT = int(sys.argv[1]), int(sys.argv[2])
PASSWORD = "demo-pass-2026"
CREDENTIALS = Path(".run/demo-credentials.txt").read_text(encoding="utf-8")
# Letters only: the portal redacts runs of 7+ digits (redact_text), and a hex mark has one about 1 time in 14.
MARK = uuid.uuid4().hex[:8].translate(str.maketrans("0123456789", "ghijklmnop"))


def secret(label: str) -> str:
    line = next(line for line in CREDENTIALS.splitlines() if label in line)
    return line.split()[-1]


def password() -> str:
    found = re.search(r"password for all: (\S+?)\)", CREDENTIALS)
    return found.group(1) if found else PASSWORD


class Session:
    """One browser-like session on one host: cookies, CSRF token, GraphQL."""

    def __init__(self, host: str):
        self.host = host
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def request(self, path: str, data: bytes | None = None, headers: dict | None = None):
        request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", data=data,
                                         headers={"Host": self.host, **(headers or {})})
        return self.opener.open(request, timeout=30)

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def login(self, username: str) -> "Session":
        self.request("/accounts/login/").read()
        body = urllib.parse.urlencode({"username": username, "password": password(),
                                       "csrfmiddlewaretoken": self.csrf()}).encode()
        self.request("/accounts/login/", body, {"Referer": f"http://{self.host}/accounts/login/"}).read()
        assert any(c.name == "sessionid" for c in self.jar), f"{username} could not sign in on {self.host}"
        return self

    def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif any(c.name == "csrftoken" for c in self.jar):
            headers["X-CSRFToken"] = self.csrf()
            headers["Referer"] = f"http://{self.host}/"
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        answer = json.load(self.request("/graphql/", body, headers))
        assert "errors" not in answer, answer
        return answer["data"]


base = f"localhost:{PORT}"
public, chengguan = Session(base), Session(f"chengguan.{base}")

# 1. E-mail to the unit's address (consent to publish in the subject).
message = EmailMessage()
message["From"] = f"CI 测试 <ci-{MARK}@example.com>"
message["To"] = "chengguan@localhost"
message["Subject"] = f"建议（同意公开）CI-{MARK}-mail"
message.set_content("城关镇便民服务中心午间能否安排值班窗口？")
with smtplib.SMTP("127.0.0.1", SMTP_PORT, timeout=30) as smtp:
    refused = smtp.send_message(message)
assert not refused, refused
print("e-mail accepted")

# 2. A 12345 work order, routed by its text.
order = f"CI{MARK}"
dispatched = public.gql("mutation($i: DispatchWorkOrderInput!) { dispatchWorkOrder(input: $i) { workOrder { unitSlug "
                        "state } errors { code message } } }",
                        {"i": {"orderNumber": order, "category": "SUGGESTION", "allowPublish": True,
                               "content": f"CI-{MARK}-12345 城关镇群众反映办事大厅停车位不足"}},
                        token=secret("12345 hotline platform"))["dispatchWorkOrder"]
assert dispatched["errors"] == [] and dispatched["workOrder"]["unitSlug"] == "chengguan", dispatched
print("12345 order dispatched to", dispatched["workOrder"]["unitSlug"])

# 3. Open311 with the demo's api_key.
form = urllib.parse.urlencode({"service_code": "SUGGESTION", "description": f"CI-{MARK}-open311 建议增加自助服务终端",
                               "attribute[unit]": "chengguan", "attribute[publish_answer]": "true",
                               "api_key": secret("Open311 client api_key")}).encode()
created = json.load(public.request("/open311/v2/requests.json", form))
assert created[0]["service_request_id"], created
print("Open311 request", created[0]["service_request_id"])

# 4. 城关镇's handler finds and answers all three.
chengguan.login("chengguan_handler")
found = chengguan.gql('query($q: String!) { publicComments(query: $q) { items { id channel } } }',
                      {"q": f"CI-{MARK}"})["publicComments"]
channels = sorted(item["channel"] for item in found["items"])
assert channels == ["EMAIL", "HOTLINE_12345", "OPEN311"], found
for item in found["items"]:
    answered = chengguan.gql("mutation($id: ID!, $a: String!) { answerPublicComment(id: $id, answer: $a) "
                             "{ errors { code message } } }", {"id": item["id"], "a": f"CI-{MARK} 已研究落实"})
    assert answered["answerPublicComment"]["errors"] == [], answered
print("answered:", ", ".join(channels))

# 5. The portal shows the answers; 12345 reads its reply.
portal = public.request("/comments/?unit=chengguan").read().decode()
assert portal.count(f"CI-{MARK} 已研究落实") == 3, "the portal does not show the three answers"
status = public.gql("query($n: String!) { workOrder(orderNumber: $n) { workOrder { state reply } errors { code } } }",
                    {"n": order}, token=secret("12345 hotline platform"))["workOrder"]["workOrder"]
assert status["state"] == "REPLIED" and MARK in status["reply"], status
print("portal shows the answers; 12345 reply:", status["state"])

# 6. A call-back sample is drawn and one call worked.
county = Session(base).login("county_admin")
today = date.today()
draw = county.gql("mutation($i: DrawCallBacksInput!) { drawCallBacks(input: $i) { drawKey drawn errors { code message } } }",
                  {"i": {"start": str(today - timedelta(days=30)), "end": str(today), "proportion": 0.05,
                         "seed": f"ci-{MARK}", "tenants": ["chengguan"]}})["drawCallBacks"]
assert draw["errors"] == [] and draw["drawn"] > 0, draw
calls = county.gql("query($k: String!) { callBacks(drawKey: $k) { id tenant { slug } } }", {"k": draw["drawKey"]})["callBacks"]
first = calls[0]
target = {"t": first["tenant"]["slug"], "id": first["id"]}
contact = county.gql("mutation($t: String!, $id: ID!) { revealCallBackContact(tenant: $t, id: $id) "
                     "{ errors { code } } }", target)["revealCallBackContact"]
assert contact["errors"] == [], contact
worked = county.gql("mutation($t: String!, $id: ID!, $i: CallBackOutcomeInput!) { recordCallBackOutcome(tenant: $t, "
                    "id: $id, input: $i) { callBack { state } errors { code message } } }",
                    {**target, "i": {"reached": True, "didRate": True, "pressedToRateWell": False,
                                     "satisfactionConfirmed": True, "notes": "CI 回访"}})["recordCallBackOutcome"]
assert worked["errors"] == [] and worked["callBack"]["state"] == "DONE", worked
print("call-backs drawn:", draw["drawn"], "· one worked")

# 7. The evaluator reads its granted unit, and nothing else.
evaluator = secret("third-party evaluator")
query = ("query($t: String!, $s: Date!, $e: Date!) { evaluatorGradeCounts(tenant: $t, start: $s, end: $e) "
         "{ rows { counted } errors { code } } }")
period = {"s": str(today - timedelta(days=30)), "e": str(today)}
for _ in range(60):  # the worker folds new ratings into the counts within seconds
    mine = public.gql(query, {"t": "chengguan", **period}, token=evaluator)["evaluatorGradeCounts"]
    if mine["rows"]:
        break
    time.sleep(1)
assert mine["errors"] == [] and mine["rows"] and mine["rows"][0]["counted"] > 0, mine
other = public.gql(query, {"t": "zwzx", **period}, token=evaluator)["evaluatorGradeCounts"]
assert other["rows"] is None and other["errors"][0]["code"] == "OUT_OF_SCOPE", other
print("evaluator: 城关镇 counted", mine["rows"][0]["counted"], "· 县政务服务中心 refused (OUT_OF_SCOPE)")
print("comments check OK")
