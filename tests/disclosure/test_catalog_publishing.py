"""Item lists and guides, ancillary-service fees and overdue-case reasons reach the public schema in the same
transaction as the tenant's write, redacted where free text is involved; `publish_catalog` republishes idempotently."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from conftest import guide_input
from haochaping.disclosure.models import PublishedFee, PublishedItem, PublishedOverdueReason
from haochaping.evaluations.cases import record_overdue_reason
from haochaping.evaluations.models import ServiceCase
from haochaping.items.models import ServiceItem
from haochaping.items.services import adopt_item, publish_guide
from haochaping.organizations import services as orgs
from haochaping.organizations.models import ServiceOrg

pytestmark = pytest.mark.django_db

PHONE, ID_NUMBER = "13812345678", "110101199003071234"


def late_case(tenant, number="ALPHA-LATE-0001") -> ServiceCase:
    now = timezone.now()
    return ServiceCase.objects.create(
        case_number=number, item=ServiceItem.objects.get(catalog_item__code="TEST-001"), accepting_unit=tenant,
        handling_unit=tenant, applicant_kind="INDIVIDUAL", applicant_name="王小明", applicant_phone="13900001111",
        status="COMPLETED", accepted_at=now - timedelta(days=10), promised_at=now - timedelta(days=3),
        completed_at=now - timedelta(days=1), is_overdue=True)


def test_the_seeded_items_and_fees_were_published_by_their_writes(alpha, beta):
    for tenant in (alpha, beta):
        codes = set(PublishedItem.objects.filter(tenant=tenant).values_list("item_code", flat=True))
        assert codes == {"TEST-001", "TEST-002"}
        assert PublishedFee.objects.get(tenant=tenant, service_name="文印").fee == "0.5元/页"


def test_adopting_an_item_publishes_it_and_a_new_guide_version_replaces_the_public_guide(alpha):
    with schema_context("alpha"):
        item = adopt_item(catalog_code="TEST-003", guide=guide_input(materials=["身份证", "户口簿"]))
        published = PublishedItem.objects.get(tenant=alpha, item_code="TEST-003")
        assert published.name == "测试事项3" and published.guide_version == 1
        assert published.guide["materials"] == ["身份证", "户口簿"] and published.guide["promised_limit_days"] == 5
        assert published.guide["evaluation_channels"] and published.guide["case_kind"] == "PROMISED"
        publish_guide(item=item, guide=guide_input(promised_limit_days=3, fees="工本费10元"))
    published = PublishedItem.objects.get(tenant=alpha, item_code="TEST-003")
    assert published.guide_version == 2 and published.guide["promised_limit_days"] == 3
    assert published.guide["fees"] == "工本费10元"
    assert PublishedItem.objects.filter(tenant=alpha, item_code="TEST-003").count() == 1
    assert not PublishedItem.objects.filter(item_code="TEST-003").exclude(tenant=alpha).exists()


def test_publishing_is_part_of_the_write_transaction(alpha, monkeypatch):
    """If publishing fails the adoption is rolled back too: the tenant row and the public copy commit together."""
    import haochaping.items.services as item_services

    def broken(item):
        raise RuntimeError("public schema unavailable")

    monkeypatch.setattr(item_services, "publish_item", broken)
    with schema_context("alpha"), pytest.raises(RuntimeError):
        adopt_item(catalog_code="TEST-004", guide=guide_input())
    with schema_context("alpha"):
        assert not ServiceItem.objects.filter(catalog_item__code="TEST-004").exists()
    assert not PublishedItem.objects.filter(item_code="TEST-004").exists()


def test_a_new_ancillary_service_publishes_its_fee(alpha):
    with schema_context("alpha"):
        hall = ServiceOrg.objects.get(code="H01")
        orgs.create_ancillary_service(org_id=hall.pk, name="邮寄", is_free=False, fee="10元/件", fee_basis="快递协议价")
        orgs.create_ancillary_service(org_id=hall.pk, name="复印", is_free=True)
    fee = PublishedFee.objects.get(tenant=alpha, service_name="邮寄")
    assert (fee.org_code, fee.org_name, fee.is_free, fee.fee, fee.fee_basis) == (
        "H01", "alpha便民服务中心", False, "10元/件", "快递协议价")
    assert PublishedFee.objects.get(tenant=alpha, service_name="复印").is_free


def test_an_overdue_reason_is_published_redacted_with_the_case_number_masked(alpha):
    with schema_context("alpha"):
        case = late_case(alpha)
        record_overdue_reason(case=case, reason=f"申请人张先生补正材料延误，联系电话{PHONE}，身份证{ID_NUMBER}。")
    published = PublishedOverdueReason.objects.get(tenant=alpha, case_id=case.pk)
    assert PHONE not in published.reason and ID_NUMBER not in published.reason and "张先生" not in published.reason
    assert "[电话]" in published.reason and "[证件号]" in published.reason and "补正材料延误" in published.reason
    assert published.case_number_masked == "ALPH*********01" and published.item_name == "测试事项1"
    assert published.promised_at == case.promised_at and published.completed_at == case.completed_at
    # Nothing about the applicant is copied.
    values = " ".join(str(v) for v in PublishedOverdueReason.objects.filter(pk=published.pk).values().first().values())
    assert "王小明" not in values and "13900001111" not in values


def test_publish_catalog_is_idempotent_and_removes_what_is_gone(alpha, beta):
    with schema_context("alpha"):
        record_overdue_reason(case=late_case(alpha), reason="系统故障")
    PublishedItem.objects.create(tenant=alpha, item_code="GONE-001", name="已取消事项")
    PublishedFee.objects.filter(tenant=beta).delete()  # as if published before this feature existed

    def snapshot():
        return (sorted(PublishedItem.objects.values_list("tenant_id", "item_code", "guide_version", "guide")),
                sorted(PublishedFee.objects.values_list("tenant_id", "org_code", "service_name", "fee")),
                sorted(PublishedOverdueReason.objects.values_list("tenant_id", "case_id", "reason")))

    call_command("publish_catalog", stdout=open("/dev/null", "w"))
    first = snapshot()
    call_command("publish_catalog", stdout=open("/dev/null", "w"))
    assert snapshot() == first
    items, fees, reasons = first
    assert ("GONE-001" not in {code for _, code, _, _ in items})
    assert {(t, code) for t, code, _, _ in items} == {(t.pk, c) for t in (alpha, beta) for c in ("TEST-001", "TEST-002")}
    assert (beta.pk, "H01", "文印", "0.5元/页") in fees
    assert [(t, r) for t, _, r in reasons] == [(alpha.pk, "系统故障")]
