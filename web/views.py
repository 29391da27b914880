"""Pages that are not GraphQL. They read through the domain selectors, like the API does."""
from django.db import connection
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from haochaping.boards import services as board_services
from haochaping.core.links import tenant_url
from haochaping.analytics.comments import DIMENSIONS
from haochaping.disclosure.selectors import exclusion_counts, published_improvements
from haochaping.items import selectors as item_selectors
from haochaping.organizations import selectors as org_selectors
from tenants.models import Tenant

from .rating_views import POSTER_ROLES
from .tables import Table, day, page_or_download, yes_no


def portal_home(request):
    tenants = Tenant.objects.exclude(schema_name="public").filter(is_active=True).order_by("kind", "official_code")
    counts = exclusion_counts()
    groups = [(label, [(t, tenant_url(t.schema_name), counts.get(t.pk)) for t in tenants if t.kind == kind])
              for kind, label in Tenant.Kind.choices if kind != Tenant.Kind.COUNTY]
    improvements = [(p, DIMENSIONS[p.topic].label if p.topic in DIMENSIONS else p.topic)
                    for p in published_improvements()]
    tables = [
        Table("improvements", _("集中问题整改公开"),
              [_("单位"), _("对象"), _("问题"), _("差评数"), _("整改措施"), _("完成时间"), _("超期")],
              ((p.tenant.name, p.subject_name, topic, p.review_count, p.outcome, day(p.closed_at),
                yes_no(not p.on_time)) for p, topic in improvements)),
        Table("units", _("各单位"),
              [_("类型"), _("名称"), _("代码"), _("主页"), _("差评整改办结"), _("误评，不予采纳"), _("恶意差评，不予采纳")],
              ((label, t.name, t.official_code, url, (c or {}).get("closed", 0), (c or {}).get("mistaken", 0),
                (c or {}).get("malicious", 0)) for label, tenants in groups for t, url, c in tenants)),
    ]
    return page_or_download(request, "web/portal_home.html", {"groups": groups, "county": connection.tenant,
                                                              "improvements": improvements}, tables, name="portal")


def tenant_home(request):
    orgs = org_selectors.orgs().prefetch_related("windows", "ancillary_services")
    can_print_posters = getattr(request.user, "role", None) in POSTER_ROLES
    # Named hall managers with other roles reach their manager view from the alert e-mail.
    can_manage_boards = getattr(request.user, "role", None) in board_services.MANAGER_ROLES
    windows = Table("windows", _("服务窗口"), [_("服务机构"), _("机构类型"), _("窗口"), _("名称"), _("综合窗口")],
                    ((org.name, org.get_kind_display(), w.code, w.name, yes_no(w.is_one_stop))
                     for org in orgs for w in org.windows.all() if w.is_active))
    return page_or_download(request, "web/tenant_home.html", {"tenant": connection.tenant, "orgs": orgs,
                                                              "can_print_posters": can_print_posters,
                                                              "can_manage_boards": can_manage_boards},
                            [windows], name=f"{connection.schema_name}-windows")


def item_list(request):
    query = request.GET.get("q", "").strip()[:50]
    items = item_selectors.items(query or None).prefetch_related("guides")
    table = Table("items", _("政务服务事项清单"), [_("事项编码"), _("事项名称"), _("事项类型"), _("办件类型"),
                                                  _("承诺时限（工作日）")], _item_rows(items))
    return page_or_download(request, "web/item_list.html", {"items": items, "query": query}, [table],
                            name=f"{connection.schema_name}-items")


def _item_rows(items):
    for item in items:
        guide = next(iter(item.guides.all()), None)  # the page's `guides.all|first`
        if guide is None:
            kind, days = "", None
        elif guide.case_kind == "IMMEDIATE":
            kind, days = _("即办件"), None
        else:
            kind, days = _("承诺件"), guide.promised_limit_days
        yield item.code, item.name, item.catalog_item.get_item_type_display(), kind, days


def item_detail(request, code: str):
    item = item_selectors.items().filter(catalog_item__code=code).first()
    if item is None:
        raise Http404("事项不存在 / No such item")
    return render(request, "web/item_detail.html", {"item": item, "guide": item_selectors.current_guide(item)})
