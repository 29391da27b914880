"""Board tests commit real ratings (websocket consumers read on channels' own database thread), so every test
that commits cleans up exactly what it added: `committed` records the high-water marks and deletes beyond them."""
from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.db import connections
from django_tenants.utils import schema_context

from conftest import delete_rectifications, run_committed

TENANT_SCHEMAS = ("alpha", "beta")


def _tenant_models():
    from django.contrib.sessions.models import Session

    from haochaping.accounts.models import ApiToken
    from haochaping.boards.models import BoardAlert, HallBoard
    from haochaping.evaluations.models import Evaluation, Questionnaire
    from haochaping.notifications.models import Notification
    from haochaping.organizations.models import ServiceOrg, Window

    # Deletion order: dependants first.
    return [BoardAlert, HallBoard, Evaluation, Questionnaire, Notification, Session, ApiToken, Window, ServiceOrg]


def _public_models():
    from haochaping.integrity.models import SuspicionFlag
    from haochaping.jobs.models import Job

    return [Job, SuspicionFlag]


def _marks():
    from haochaping.rectification.models import Rectification

    marks = {}
    for schema in TENANT_SCHEMAS:
        with schema_context(schema):
            for model in [Rectification, *_tenant_models()]:
                marks[(schema, model._meta.label)] = list(model._base_manager.values_list("pk", flat=True))
    for model in _public_models():
        marks[("public", model._meta.label)] = list(model._base_manager.values_list("pk", flat=True))
    return marks


def _restore(marks):
    from haochaping.rectification.models import Rectification

    for schema in TENANT_SCHEMAS:
        with schema_context(schema):
            delete_rectifications(Rectification.objects.exclude(pk__in=marks[(schema, "rectification.Rectification")]))
            for model in _tenant_models():
                model._base_manager.exclude(pk__in=marks[(schema, model._meta.label)]).delete()
    for model in _public_models():
        model._base_manager.exclude(pk__in=marks[("public", model._meta.label)]).delete()


@pytest.fixture
def committed(db):
    """Lets a test commit rows in alpha, beta and public; removes them afterwards."""
    marks = run_committed(_marks)
    yield
    run_committed(_restore, marks)


@pytest.fixture(autouse=True)
def _fresh_channel_layer():
    """channels keeps one layer object per process, and channels-redis's receive lock and buffers belong to the event
    loop that used them; every async test has its own loop, so each test gets its own layer (a server has one loop)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(scope="session", autouse=True)
def _close_channels_database_thread(django_db_setup, django_db_blocker):
    """channels runs database_sync_to_async on one shared thread with its own connection: close it before
    pytest-django drops the test database (this fixture depends on the database, so it is torn down first)."""
    yield
    with django_db_blocker.unblock():
        async_to_sync(database_sync_to_async(connections.close_all))()


def rate(slug: str, grade: int, window_code: str = "W01", comment: str = "", hall_code: str = "H01"):
    """A hotline rating entered by the tenant admin for a window of the hall (commits when called via run_committed
    or database_sync_to_async)."""
    from haochaping.accounts.models import User
    from haochaping.evaluations.submission import EvaluationInput, Submitter, submit_evaluation
    from haochaping.organizations.models import Window

    with schema_context(slug):
        admin = User.objects.get(username="tenant_admin")
        window = Window.objects.get(org__code=hall_code, code=window_code)
        return submit_evaluation(EvaluationInput(grade=grade, channel="HOTLINE", window_id=window.pk, comment=comment),
                                 Submitter(user=admin)).evaluation


def add_window(slug: str, code: str, name: str, hall_code: str = "H01"):
    from haochaping.organizations.models import ServiceOrg, Window

    with schema_context(slug):
        return Window.objects.create(org=ServiceOrg.objects.get(code=hall_code), code=code, name=name)
