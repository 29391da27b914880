from django.db.models import Q, QuerySet

from .models import CatalogItem


def catalog_items(search: str | None = None, *, include_inactive: bool = False) -> QuerySet[CatalogItem]:
    qs = CatalogItem.objects.all()
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(code__icontains=search))
    return qs.order_by("code")
