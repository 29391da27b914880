"""Pages that are not GraphQL. They read through the domain selectors, like the API does."""
from django.db import connection
from django.http import Http404
from django.shortcuts import render

from haochaping.boards import services as board_services
from haochaping.core.links import tenant_url
from haochaping.analytics.comments import DIMENSIONS
from haochaping.disclosure.selectors import exclusion_counts, published_improvements
from haochaping.items import selectors as item_selectors
from haochaping.organizations import selectors as org_selectors
from tenants.models import Tenant

from .rating_views import POSTER_ROLES


def portal_home(request):
    tenants = Tenant.objects.exclude(schema_name="public").filter(is_active=True).order_by("kind", "official_code")
    counts = exclusion_counts()
    groups = [(label, [(t, tenant_url(t.schema_name), counts.get(t.pk)) for t in tenants if t.kind == kind])
              for kind, label in Tenant.Kind.choices if kind != Tenant.Kind.COUNTY]
    improvements = [(p, DIMENSIONS[p.topic].label if p.topic in DIMENSIONS else p.topic)
                    for p in published_improvements()]
    return render(request, "web/portal_home.html", {"groups": groups, "county": connection.tenant,
                                                    "improvements": improvements})


def tenant_home(request):
    orgs = org_selectors.orgs().prefetch_related("windows", "ancillary_services")
    can_print_posters = getattr(request.user, "role", None) in POSTER_ROLES
    # Named hall managers with other roles reach their manager view from the alert e-mail.
    can_manage_boards = getattr(request.user, "role", None) in board_services.MANAGER_ROLES
    return render(request, "web/tenant_home.html", {"tenant": connection.tenant, "orgs": orgs,
                                                    "can_print_posters": can_print_posters,
                                                    "can_manage_boards": can_manage_boards})


def item_list(request):
    query = request.GET.get("q", "").strip()[:50]
    items = item_selectors.items(query or None).prefetch_related("guides")
    return render(request, "web/item_list.html", {"items": items, "query": query})


def item_detail(request, code: str):
    item = item_selectors.items().filter(catalog_item__code=code).first()
    if item is None:
        raise Http404("事项不存在 / No such item")
    return render(request, "web/item_detail.html", {"item": item, "guide": item_selectors.current_guide(item)})
