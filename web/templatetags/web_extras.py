from django import template

from haochaping.core.ids import global_id

register = template.Library()


@register.filter
def node_id(pk: int, type_name: str) -> str:
    """`{{ window.pk|node_id:"Window" }}` → the relay global id the API uses for it."""
    return global_id(type_name, pk)


@register.filter
def percent(value) -> str:
    """A rate in [0, 1] as a percentage with one decimal; "—" for no data."""
    if value is None or value == "":
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.inclusion_tag("web/_downloads.html", takes_context=True)
def downloads(context, table: str = "", label: str = ""):
    """`{% downloads "ledger" %}` → “导出 CSV · 导出 XLSX” links for that table of this page, keeping its filters
    (web.tables serves them)."""
    query = context["request"].GET.copy()
    for key in ("format", "table"):
        query.pop(key, None)
    if table:
        query["table"] = table
    links = []
    for fmt in ("csv", "xlsx"):
        query["format"] = fmt
        links.append((fmt, "?" + query.urlencode()))
    return {"links": links, "label": label}
