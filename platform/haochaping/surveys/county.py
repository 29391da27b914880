"""The county agency's surveys: one definition copied into each chosen unit's schema under a shared key (the
responses carry personal data and stay in the unit), revised and sent in every copy at once."""
from __future__ import annotations

import uuid

from django.db import transaction
from django_tenants.utils import schema_context

from haochaping.accounts.models import PLATFORM_ROLES, User
from haochaping.core.errors import DomainError, NotFound
from haochaping.items.models import ServiceItem

from . import surveys
from .models import Survey


def require_county(user: User | None) -> str:
    if user is None or not user.is_active or user.role not in PLATFORM_ROLES:
        raise DomainError("NOT_ALLOWED", "当前角色不允许此操作", "This action is not allowed for your role")
    return f"县级：{user.display_name or user.username}"


def _units_required(tenants) -> None:
    if not tenants:
        raise DomainError("REQUIRED", "至少选择一个单位", "Choose at least one unit", "tenants")


def create_county_survey(data: surveys.SurveyInput, tenants: list, county_user: User) -> str:
    by = require_county(county_user)
    _units_required(tenants)
    codes = [c.strip() for c in data.item_codes or [] if c and c.strip()]
    questions = None
    for tenant in tenants:  # validate in every unit first: a unit without the items changes nothing anywhere
        with schema_context(tenant.schema_name):
            known = set(ServiceItem.objects.filter(catalog_item__code__in=codes)
                        .values_list("catalog_item__code", flat=True))
        try:
            questions = surveys.validate(data, known_codes=known)
        except DomainError as error:
            raise DomainError(errors=[e if e.code != "UNKNOWN_ITEM" else
                                      type(e)(e.code, f"{tenant.name}：{e.message}", f"{tenant.schema_name}: {e.message_en}",
                                              e.field) for e in error.errors]) from None
    key = uuid.uuid4().hex
    with transaction.atomic():
        for tenant in tenants:
            with schema_context(tenant.schema_name):
                surveys.create_survey(data, by=by, origin=Survey.Origin.COUNTY, county_key=key, questions=questions)
    return key


def _copies(key: str, tenants) -> list[tuple[object, int]]:
    found = []
    for tenant in tenants:
        with schema_context(tenant.schema_name):
            pk = Survey.objects.filter(county_key=key, origin=Survey.Origin.COUNTY).values_list("pk", flat=True).first()
        if pk is not None:
            found.append((tenant, pk))
    if not key or not found:
        raise NotFound("调查", "Survey", "key")
    return found


def revise_county_survey(key: str, questions, tenants, county_user: User, text_prompt: str = "") -> int:
    by = require_county(county_user)
    copies = _copies(key, tenants)
    with transaction.atomic():
        version = 0
        for tenant, pk in copies:
            with schema_context(tenant.schema_name):
                version = surveys.revise_survey(pk, questions, by=by, text_prompt=text_prompt, for_county=True).version
    return version


def send_county_survey(key: str, tenants, county_user: User) -> dict[str, int]:
    require_county(county_user)
    _units_required(tenants)  # the page sends to chosen units: none chosen is "choose one", not "not found"
    copies = _copies(key, tenants)
    sent = {}
    with transaction.atomic():
        for tenant, pk in copies:
            with schema_context(tenant.schema_name):
                sent[tenant.schema_name] = surveys.send_survey(pk, for_county=True)
    return sent
