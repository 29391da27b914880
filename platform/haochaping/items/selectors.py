from django.db.models import Q, QuerySet

from .models import ServiceGuide, ServiceItem


def items(search: str | None = None) -> QuerySet[ServiceItem]:
    qs = ServiceItem.objects.filter(is_active=True).select_related("catalog_item")
    if search:
        qs = qs.filter(Q(catalog_item__name__icontains=search) | Q(catalog_item__code__icontains=search))
    return qs


def current_guide(item: ServiceItem) -> ServiceGuide | None:
    return item.guides.order_by("-version").first()
