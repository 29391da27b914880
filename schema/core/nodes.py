"""Global ids that carry the tenant schema: `Type:schema:pk`, base64-encoded by relay.

An id minted on tenant B decodes on tenant A's host to "not found", even when the two schemas hold rows
with the same primary key; an id of another type is refused the same way."""
from __future__ import annotations

from collections.abc import Iterable

import strawberry
from django.db import connection
from strawberry import relay

from haochaping.core.errors import NotFound
from haochaping.core.ids import global_id as scoped_global_id


def _split(node_id: str) -> tuple[str, int] | None:
    schema, _, pk = str(node_id).rpartition(":")
    if not schema or not pk.isdigit():
        return None
    return schema, int(pk)


def local_pk(node_id: str) -> int | None:
    """The primary key if this node id belongs to the current schema."""
    parts = _split(node_id)
    if parts is None or parts[0] != connection.schema_name:
        return None
    return parts[1]


class ScopedNode(relay.Node):
    """relay.Node whose ids are scoped to the schema they were minted in."""

    @classmethod
    def resolve_id(cls, root, *, info) -> str:
        return f"{connection.schema_name}:{root.pk}"

    @classmethod
    def _model(cls):
        return cls.__strawberry_django_definition__.model

    @classmethod
    def resolve_nodes(cls, *, info, node_ids: Iterable[str], required: bool = False):
        node_ids = list(node_ids)
        pks = {node_id: local_pk(node_id) for node_id in node_ids}
        found = cls._model()._default_manager.in_bulk([pk for pk in pks.values() if pk is not None])
        results = [found.get(pks[node_id]) for node_id in node_ids]
        if required and any(r is None for r in results):
            raise NotFound("对象", "Object")
        return results

    @classmethod
    def resolve_node(cls, node_id: str, *, info, required: bool = False):
        return cls.resolve_nodes(info=info, node_ids=[node_id], required=required)[0]


def pk_for(global_id: relay.GlobalID | str, type_name: str, *, what_zh: str, what_en: str, field: str = "id") -> int:
    """Decode an id given to a mutation: right type, this schema, else NotFound."""
    try:
        gid = global_id if isinstance(global_id, relay.GlobalID) else relay.GlobalID.from_id(str(global_id))
    except Exception:  # noqa: BLE001 - malformed ids are simply not found
        raise NotFound(what_zh, what_en, field) from None
    pk = local_pk(gid.node_id) if gid.type_name == type_name else None
    if pk is None:
        raise NotFound(what_zh, what_en, field)
    return pk


def global_id(type_name: str, pk: int) -> strawberry.ID:
    return strawberry.ID(scoped_global_id(type_name, pk))
