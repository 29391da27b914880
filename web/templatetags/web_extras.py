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
