"""Scale-out tests commit ratings through real server processes and let a real worker fold them, so `committed` takes
the boards' high-water marks (ratings, board rows, questionnaires, jobs, flags) and, for the counts the fold moves,
a full copy of every row: afterwards the new rows are deleted and the old ones put back exactly as they were (the fold
adds to cells that may already exist, which deleting new rows alone would not undo)."""
from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from boards.conftest import TENANT_SCHEMAS, _marks, _restore
from conftest import run_committed


def _count_models():
    from haochaping.analytics.models import TenantCount
    from haochaping.disclosure.models import PublicCount, PublicDailyTotal, PublicMonthlyCount, PublicName

    return ([(schema, TenantCount) for schema in TENANT_SCHEMAS]
            + [("public", model) for model in (PublicCount, PublicMonthlyCount, PublicDailyTotal, PublicName)])


def _row(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields if not field.primary_key}


def _snapshot_counts() -> dict:
    snapshot = {}
    for schema, model in _count_models():
        with schema_context(schema):
            snapshot[(schema, model._meta.label)] = {obj.pk: _row(obj) for obj in model._base_manager.all()}
    return snapshot


def _restore_counts(snapshot: dict) -> None:
    for schema, model in _count_models():
        before = snapshot[(schema, model._meta.label)]
        with schema_context(schema):
            model._base_manager.exclude(pk__in=list(before)).delete()
            for obj in model._base_manager.filter(pk__in=list(before)):
                if _row(obj) != before[obj.pk]:
                    model._base_manager.filter(pk=obj.pk).update(**before[obj.pk])


@pytest.fixture
def committed(db):
    """Lets a test commit ratings in alpha and beta and fold them; removes them and restores the counts afterwards."""
    marks = run_committed(lambda: (_marks(), _snapshot_counts()))
    yield
    run_committed(_restore_counts, marks[1])
    run_committed(_restore, marks[0])
