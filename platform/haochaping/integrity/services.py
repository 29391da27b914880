"""Raising suspicion flags for the county agency: once per pattern and subject within a period."""
from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tenants.resolution import current_tenant

from .models import SuspicionFlag


def raise_flag(kind: str, *, subject: str, detail: str, evaluation_ids: list[int] | None = None,
               quiet_seconds: int = 3600) -> SuspicionFlag | None:
    """A flag unless the same kind was raised for the same subject (window code, device…) in the quiet period."""
    tenant = current_tenant()
    since = timezone.now() - timedelta(seconds=quiet_seconds)
    if SuspicionFlag.objects.filter(tenant=tenant, kind=kind, window_code=subject, created_at__gte=since).exists():
        return None
    return SuspicionFlag.objects.create(tenant=tenant, kind=kind, window_code=subject[:64], detail=detail,
                                        evaluation_ids=evaluation_ids or [])
