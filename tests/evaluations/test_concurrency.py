"""Concurrent submissions really race: each thread has its own database connection and its writes commit
(the test's own connection sits in pytest-django's rolled-back transaction, so the rows are made and removed
with `run_committed`). One evaluation per idempotency key, one per case and round, whatever the timing."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.jobs.models import Job

from haochaping.accounts.models import ApiToken
from haochaping.accounts.tokens import issue_token
from haochaping.core.errors import DomainError
from haochaping.evaluations.models import Evaluation, Invitation, DevicePrompt, Questionnaire, ServiceCase
from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation
from haochaping.items.models import ServiceItem
from haochaping.rectification.models import Rectification
from tenants.models import Tenant

from conftest import delete_rectifications, run_committed

THREADS = 8
SUBMIT = """mutation($input: SubmitEvaluationInput!) { submitEvaluation(input: $input) {
  replayed evaluation { id } errors { code message messageEn field } } }"""


@pytest.fixture
def committed(db):
    """Committed in alpha: three completed cases and a business-system token; all removed afterwards, with
    everything the submissions committed (evaluations, rectifications, a first default questionnaire)."""
    tag = uuid.uuid4().hex[:8].upper()

    def setup():
        with schema_context("alpha"):
            alpha = Tenant.objects.get(schema_name="alpha")
            item = ServiceItem.objects.get(catalog_item__code="TEST-001")
            now = timezone.now()
            cases = [ServiceCase.objects.create(
                case_number=f"CONC-{tag}-{n}", item=item, accepting_unit=alpha, handling_unit=alpha,
                applicant_kind="INDIVIDUAL", applicant_name="王小明", status="COMPLETED",
                accepted_at=now - timedelta(hours=3), completed_at=now - timedelta(hours=1)) for n in range(3)]
            issued = issue_token(name="并发测试系统", kind="SYSTEM", scopes=["evaluations:write"])
            had_default = Questionnaire.objects.filter(item__isnull=True).exists()
            last_job = Job.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
            return {"cases": [c.case_number for c in cases], "case_pks": [c.pk for c in cases], "last_job": last_job,
                    "token_pk": issued.token.pk, "secret": issued.secret, "had_default": had_default}

    data = run_committed(setup)
    yield data

    def cleanup():
        with schema_context("alpha"):
            evaluations = Evaluation.objects.filter(case_id__in=data["case_pks"])
            delete_rectifications(Rectification.objects.filter(evaluation__in=evaluations))
            evaluations.delete()
            Invitation.objects.filter(case_id__in=data["case_pks"]).delete()
            DevicePrompt.objects.filter(case_id__in=data["case_pks"]).delete()
            ServiceCase.objects.filter(pk__in=data["case_pks"]).delete()
            ApiToken.objects.filter(pk=data["token_pk"]).delete()
            # Each case rating queued the delivery of its exchange record (the record went with the evaluation).
            Job.objects.filter(pk__gt=data["last_job"], kind="exchange.deliver").delete()
            if not data["had_default"]:
                Questionnaire.objects.filter(item__isnull=True).exclude(
                    pk__in=Evaluation.objects.filter(questionnaire__isnull=False).values("questionnaire_id")).delete()
            return Evaluation.objects.filter(case_id__in=data["case_pks"]).count()

    assert run_committed(cleanup) == 0


def race(worker, n: int = THREADS) -> list:
    """Start n threads on fresh connections, release them together, collect each result (or exception)."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def target(i):
        try:
            prepared = worker.prepare(i) if hasattr(worker, "prepare") else None
            barrier.wait(timeout=30)
            results[i] = worker(i, prepared)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a submission hung"
    return results


class DomainWorker:
    """submit_evaluation directly, as the business system of the fixture."""

    def __init__(self, data: dict, case_number: str, keys, grade: int = 2):
        self.data, self.case_number, self.keys, self.grade = data, case_number, keys, grade

    def prepare(self, i):
        connection.set_schema("alpha")
        return ApiToken.objects.get(pk=self.data["token_pk"])  # the connection is open before the start

    def __call__(self, i, token):
        try:
            result = submit_evaluation(EvaluationInput(grade=self.grade, channel="MOBILE_APP",
                                                       case_number=self.case_number, idempotency_key=self.keys(i)),
                                       Submitter(token=token))
            return ("stored", result.evaluation.pk, result.replayed)
        except DomainError as error:
            return ("refused", tuple(error.codes))


class GraphQLWorker:
    """The public mutation through Django's test client on alpha's host, one client per thread."""

    def __init__(self, data: dict, case_number: str, keys):
        self.data, self.case_number, self.keys = data, case_number, keys

    def prepare(self, i):
        return Client()

    def __call__(self, i, client):
        variables = {"input": {"grade": 2, "channel": "MOBILE_APP", "caseNumber": self.case_number,
                               "idempotencyKey": self.keys(i)}}
        response = client.post("/graphql/", data=json.dumps({"query": SUBMIT, "variables": variables}),
                               content_type="application/json", HTTP_HOST="alpha.localhost",
                               HTTP_AUTHORIZATION=f"Bearer {self.data['secret']}")
        body = response.json()
        assert "errors" not in body, body
        payload = body["data"]["submitEvaluation"]
        if payload["evaluation"]:
            return ("stored", payload["evaluation"]["id"], payload["replayed"])
        return ("refused", tuple(e["code"] for e in payload["errors"]))


def stored_rows(case_number: str) -> list[tuple]:
    """Read on a fresh connection, so only committed rows count."""

    def read():
        with schema_context("alpha"):
            return list(Evaluation.objects.filter(case__case_number=case_number).values_list("pk", "round", "idempotency_key"))

    return run_committed(read)


def rectifications(case_number: str) -> int:
    def read():
        with schema_context("alpha"):
            # Rated and owned in alpha: the rectification lives in alpha's schema, tied to the evaluation.
            return Rectification.objects.filter(evaluation__case__case_number=case_number).count()

    return run_committed(read)


def test_same_idempotency_key_at_once_stores_one_evaluation(committed):
    case_number = committed["cases"][0]
    results = race(DomainWorker(committed, case_number, keys=lambda i: "same-key"))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert all(r[0] == "stored" for r in results), results
    assert len({r[1] for r in results}) == 1, "every caller gets the same evaluation"
    assert sorted(r[2] for r in results) == [False] + [True] * (THREADS - 1), "one first result, the rest replays"
    rows = stored_rows(case_number)
    assert len(rows) == 1 and rows[0][0] == results[0][1]
    assert rectifications(case_number) == 1, "the bad review opened exactly one rectification"


def test_different_keys_for_one_case_and_round_store_one(committed):
    case_number = committed["cases"][1]
    results = race(DomainWorker(committed, case_number, keys=lambda i: f"key-{i}"))
    assert not [r for r in results if isinstance(r, BaseException)], results
    stored = [r for r in results if r[0] == "stored"]
    assert len(stored) == 1 and stored[0][2] is False, results
    assert sorted(r for r in results if r[0] == "refused") == [("refused", ("ALREADY_RATED",))] * (THREADS - 1)
    rows = stored_rows(case_number)
    assert [row[0] for row in rows] == [stored[0][1]]
    assert rectifications(case_number) == 1


def test_same_key_over_graphql_at_once_stores_one_evaluation(committed):
    case_number = committed["cases"][2]
    results = race(GraphQLWorker(committed, case_number, keys=lambda i: "http-key"))
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert all(r[0] == "stored" for r in results), results
    ids = {r[1] for r in results}
    assert len(ids) == 1
    assert sorted(r[2] for r in results) == [False] + [True] * (THREADS - 1)
    rows = stored_rows(case_number)
    assert len(rows) == 1
    from base64 import b64decode

    assert b64decode(ids.pop()).decode() == f"Evaluation:alpha:{rows[0][0]}"
    # A late retry (after the race) is a replay too.
    late = GraphQLWorker(committed, case_number, keys=lambda i: "http-key")
    try:
        assert late(0, Client())[1:] == (results[0][1], True)
    finally:
        connection.set_schema_to_public()
    assert len(stored_rows(case_number)) == 1
