"""Paper forms under real concurrency (each thread on its own connection, its writes committed; everything is
removed afterwards): simultaneous issuing never repeats a serial, and simultaneous uploads of the same filled
forms store each form once, every other copy reporting DUPLICATE."""
from __future__ import annotations

import csv
import io
import threading

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from haochaping.accounts.models import User
from haochaping.evaluations.models import Evaluation, PaperForm, Questionnaire
from haochaping.evaluations.paper import import_paper_batch, issue_paper_forms
from haochaping.organizations import services as orgs
from haochaping.organizations.models import ServiceOrg
from haochaping.rectification.models import Rectification

from conftest import delete_rectifications, run_committed

THREADS = 4


def race(work, n: int = THREADS) -> list:
    """n threads on fresh connections, released together; each result or exception."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture
def station(db):
    """A committed station of its own in alpha; it, its forms and what was entered on them are removed after."""

    def setup():
        with schema_context("alpha"):
            org = orgs.save_org(orgs.OrgInput(kind="STATION", code="CONC-S", name="并发测试站点"))
            orgs.save_window(orgs.WindowInput(org_id=org.pk, code="W01", name="并发测试窗口"))
            return {"org": org.pk, "had_default": Questionnaire.objects.filter(item__isnull=True).exists()}

    data = run_committed(setup)
    yield data

    def cleanup():
        with schema_context("alpha"):
            evaluations = Evaluation.objects.filter(paper_form__org_id=data["org"])
            delete_rectifications(Rectification.objects.filter(evaluation__in=evaluations))
            evaluations.delete()
            PaperForm.objects.filter(org_id=data["org"]).delete()
            org = ServiceOrg.objects.get(pk=data["org"])
            org.windows.all().delete()
            org.delete()
            if not data["had_default"]:
                Questionnaire.objects.filter(item__isnull=True).exclude(
                    pk__in=Evaluation.objects.filter(questionnaire__isnull=False).values("questionnaire_id")).delete()
            return PaperForm.objects.filter(org_id=data["org"]).count()

    assert run_committed(cleanup) == 0


def test_simultaneous_issuing_never_repeats_a_serial(station):
    def issue(i):
        with schema_context("alpha"):
            return [f.serial for f in issue_paper_forms(station["org"], 5)]

    results = race(issue)
    assert not [r for r in results if isinstance(r, BaseException)], results
    serials = [s for batch in results for s in batch]
    assert len(serials) == len(set(serials)) == THREADS * 5
    assert sorted(int(s.split("-")[-2]) for s in serials) == list(range(1, THREADS * 5 + 1))


def test_simultaneous_uploads_store_each_form_once(station):
    def issue():
        with schema_context("alpha"):
            return [f.serial for f in issue_paper_forms(station["org"], 3)]

    serials = run_committed(issue)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["serial", "grade", "comment"])
    writer.writerows([[serials[0], 5, ""], [serials[1], 1, "排队太久"], [serials[2], 3, ""]])
    content = out.getvalue().encode()
    users = ["handler", "agency", "tenant_admin", "handler"]

    def upload(i):
        with schema_context("alpha"):
            report = import_paper_batch("same.csv", content, User.objects.get(username=users[i]))
            return [(r.serial, r.status, [e.code for e in r.errors]) for r in report.rows]

    results = race(upload)
    assert not [r for r in results if isinstance(r, BaseException)], results
    for n, serial in enumerate(serials):
        outcomes = [rows[n] for rows in results]
        assert [o for o in outcomes if o[1] == "STORED"] == [(serial, "STORED", [])], outcomes
        assert sorted(o[1] for o in outcomes) == ["DUPLICATE"] * (THREADS - 1) + ["STORED"], outcomes

    def stored():
        with schema_context("alpha"):
            return (Evaluation.objects.filter(paper_form__org_id=station["org"]).count(),
                    Rectification.objects.filter(evaluation__paper_form__org_id=station["org"]).count())

    assert run_committed(stored) == (3, 1)
