"""Six weeks of fictional rating history for the demo county, so the boards, rankings, coverage report and portal
have something to show on a first `make run`. Deterministic (seeded per tenant), written once: a tenant that already
holds evaluations is left alone. Bad reviews go through the real rectification workflow: each opens a rectification;
the older ones are followed up and answered, the recent ones stay open in the handling unit's ledger."""
from __future__ import annotations

import random
import secrets
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from haochaping.accounts.models import Role, User
from haochaping.evaluations import grades
from haochaping.evaluations.models import Evaluation
from haochaping.organizations.models import Window
from haochaping.rectification import services as rect
from tenants.resolution import current_tenant

DAYS = 42
CHANNELS = ["WINDOW_DEVICE"] * 5 + ["QR_CODE"] * 3 + ["PAPER_FORM", "WEB", "MOBILE_APP", "SMS"]
GOOD_COMMENTS = ["", "", "", "", "服务热情，办得很快", "一次就办好了，点赞", "工作人员很耐心", "指引清楚"]
BAD_COMMENTS = ["排队等了一个多小时", "材料要求反复变，跑了三趟", "工作人员态度冷淡，不耐烦", "自助机系统老是卡顿",
                "办事指南写得不清楚", "窗口推诿，让我去别的部门"]
CLOSE_AFTER_DAYS = 5


def _real_name(rng: random.Random) -> dict:
    if rng.random() >= 0.25:
        return {}
    return {"real_name_basis": Evaluation.RealNameBasis.SMS_VERIFIED, "rater_phone": f"1390000{rng.randint(0, 9999):04d}",
            "rater_name": f"演示评价人{rng.randint(1, 999)}"}


def load_history(now: datetime | None = None) -> int:
    """Create the history in the current tenant schema; returns how many evaluations were added (0 if it had any)."""
    now = now or timezone.now()
    if Evaluation.objects.filter(rated_at__lt=now - timedelta(days=1)).exists():  # history is there already
        return 0
    tenant = current_tenant()
    rng = random.Random(f"haochaping-demo-{tenant.schema_name}")
    quality = rng.uniform(0.01, 0.09)  # this unit's share of bad reviews
    windows = list(Window.objects.filter(is_active=True).prefetch_related("staff", "items")[:8])
    handler = User.objects.filter(role__in=[Role.HANDLER, Role.TENANT_ADMIN], is_active=True).order_by("role").first()
    created: list[Evaluation] = []
    # About a quarter of raters verified a phone (实名): the county's call-backs (回访) sample only those. Its own
    # generator, so the ratings themselves stay as they were.
    real_names = random.Random(f"haochaping-demo-real-names-{tenant.schema_name}")
    for days_ago in range(DAYS, 0, -1):
        day = (now - timedelta(days=days_ago)).date()
        if day.weekday() >= 5:
            continue
        for window in windows:
            staff, items = list(window.staff.all()), list(window.items.all())
            for _ in range(rng.randint(0, 6)):
                bad = rng.random() < quality
                grade = rng.choice([1, 2]) if bad else rng.choices([5, 4, 3], weights=[70, 22, 8])[0]
                rated_at = timezone.make_aware(datetime.combine(day, time(rng.randint(9, 16), rng.randint(0, 59))))
                created.append(Evaluation(
                    window=window, staff=rng.choice(staff) if staff else None, item=rng.choice(items) if items else None,
                    grade=grade, channel=rng.choice(CHANNELS), comment=rng.choice(BAD_COMMENTS if bad else GOOD_COMMENTS),
                    receipt_code=secrets.token_hex(6).upper(), is_bad=grades.is_bad(grade), rated_at=rated_at,
                    **_real_name(real_names)))
    with transaction.atomic():
        Evaluation.objects.bulk_create(created, batch_size=1000)
        actor = rect.Actor.of(handler) if handler else None
        for evaluation in [e for e in created if e.is_bad]:
            r = rect.open_for_evaluation(evaluation, tenant)
            if actor is None or evaluation.rated_at > now - timedelta(days=CLOSE_AFTER_DAYS):
                continue
            rect.record_follow_up(r.pk, None, actor, method="PHONE", rater_said="反映的问题属实，已向评价人致歉",
                                  contacted_at=evaluation.rated_at + timedelta(hours=20))
            rect.explain(r.pk, None, actor, feedback="已核实并整改：加强窗口引导、优化流程，感谢您的监督。")
    return len(created)
