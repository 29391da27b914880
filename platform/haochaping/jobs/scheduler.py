"""The worker's own periodic jobs: a cheap scheduler inside run_worker. Every interval it enqueues one scan job
per active tenant, deduped by tenant and time bucket, so any number of workers enqueue each scan once."""
from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django_tenants.utils import get_public_schema_name, schema_context

from .services import enqueue

# Job kinds run periodically in every active tenant's schema.
PERIODIC_TENANT_JOBS = ["rectification.scan", "analytics.concentration"]
# Job kinds run once a day per active tenant; the day starts at 03:00 Asia/Shanghai (19:00 UTC), off-peak.
DAILY_TENANT_JOBS = ["privacy.retention"]
DAY, DAY_OFFSET = 86400, 5 * 3600
_clock = time.time  # wall clock: buckets line up across workers


def tenant_schemas() -> list[str]:
    from tenants.models import Tenant

    with schema_context(get_public_schema_name()):
        return list(Tenant.objects.filter(is_active=True)
                    .exclude(schema_name__in=[get_public_schema_name(), settings.TENANT_BASE_SCHEMA])
                    .order_by("pk").values_list("schema_name", flat=True))


def enqueue_periodic(interval: float, now: float | None = None) -> int:
    """Enqueue this time bucket's periodic jobs; returns how many were new (0 when another worker did it)."""
    now = _clock() if now is None else now
    bucket = int(now // max(interval, 1))
    day = int((now + DAY_OFFSET) // DAY)
    created = 0
    with schema_context(get_public_schema_name()), transaction.atomic():
        for schema in tenant_schemas():
            for kind in PERIODIC_TENANT_JOBS:
                if enqueue(kind, {"bucket": bucket}, schema_name=schema, dedupe_key=f"{kind}:{int(interval)}:{bucket}",
                           max_attempts=1):
                    created += 1
            for kind in DAILY_TENANT_JOBS:
                if enqueue(kind, {"day": day}, schema_name=schema, dedupe_key=f"{kind}:day:{day}", max_attempts=3):
                    created += 1
    return created
