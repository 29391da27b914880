from django.db.models import QuerySet

from .models import AncillaryService, RatingDevice, ServiceOrg, ServicePlatform, Staff, Window


def orgs(kind: str | None = None) -> QuerySet[ServiceOrg]:
    qs = ServiceOrg.objects.filter(is_active=True)
    return qs.filter(kind=kind) if kind else qs


def windows(org_id: int | None = None) -> QuerySet[Window]:
    qs = Window.objects.filter(is_active=True, org__is_active=True)
    return qs.filter(org_id=org_id) if org_id else qs


def staff(org_id: int | None = None) -> QuerySet[Staff]:
    qs = Staff.objects.filter(is_active=True)
    return qs.filter(org_id=org_id) if org_id else qs


def platforms() -> QuerySet[ServicePlatform]:
    return ServicePlatform.objects.filter(is_active=True)


def devices() -> QuerySet[RatingDevice]:
    return RatingDevice.objects.all()


def ancillary_services() -> QuerySet[AncillaryService]:
    return AncillaryService.objects.filter(org__is_active=True)
