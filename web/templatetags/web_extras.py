from django import template

from haochaping.core.ids import global_id

register = template.Library()


@register.filter
def node_id(pk: int, type_name: str) -> str:
    """`{{ window.pk|node_id:"Window" }}` → the relay global id the API uses for it."""
    return global_id(type_name, pk)
