"""The demo's rating history: deterministic, written once, bad reviews through the real rectification workflow."""
from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from haochaping.demo.history import CLOSE_AFTER_DAYS, load_history
from haochaping.evaluations.models import Evaluation
from haochaping.rectification.models import Rectification

pytestmark = pytest.mark.django_db


def test_history_is_written_once_and_bad_reviews_are_followed_up(alpha):
    now = timezone.now()
    with schema_context("alpha"):
        added = load_history(now)
        assert added == Evaluation.objects.count() > 50
        assert load_history(now) == 0  # a second run adds nothing
        assert not Evaluation.objects.filter(rated_at__gte=now).exists()
        bad = Evaluation.objects.filter(is_bad=True)
        assert bad.exists() and Rectification.objects.count() == bad.count()
        old = Rectification.objects.filter(rated_at__lt=now - timezone.timedelta(days=CLOSE_AFTER_DAYS))
        assert old.exists() and all(r.state == "CLOSED" and r.followed_up_at for r in old)
        recent = Rectification.objects.filter(rated_at__gte=now - timezone.timedelta(days=CLOSE_AFTER_DAYS - 1))
        assert all(r.state == "OPEN" for r in recent)
        grades = sorted(Evaluation.objects.values_list("grade", flat=True))
    with schema_context("beta"):
        load_history(now)
        assert sorted(Evaluation.objects.values_list("grade", flat=True)) != grades  # seeded per tenant
