"""Writing the audit trail. Services call `record` inside their own transaction, so an action and its audit
row commit or roll back together. Who acted comes from `acting_as` (set per request by the GraphQL view) unless
the caller names the actor."""
from __future__ import annotations

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction

from .models import AuditEvent


@dataclass(frozen=True)
class Actor:
    kind: str  # AuditEvent.ActorKind
    name: str


SYSTEM = Actor(AuditEvent.ActorKind.SYSTEM, "system")
_current: contextvars.ContextVar[Actor] = contextvars.ContextVar("audit_actor", default=SYSTEM)


def actor_for(user=None, token=None) -> Actor:
    if user is not None:
        return Actor(AuditEvent.ActorKind.USER, f"{user.username}#{user.pk}")
    if token is not None:
        return Actor(AuditEvent.ActorKind.TOKEN, f"{token.name} ({token.prefix})"[:150])
    return SYSTEM


@contextmanager
def acting_as(actor: Actor):
    reset = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(reset)


def current_actor() -> Actor:
    return _current.get()


def record(action: str, target, *, target_type: str | None = None, target_label: str = "", tenant: str | None = None,
           detail: dict | None = None, actor: Actor | None = None) -> AuditEvent:
    """Append one event in the current schema. Never pass secrets in `detail`."""
    who = actor or current_actor()
    with transaction.atomic():  # joins the caller's transaction
        return AuditEvent.objects.create(
            actor_kind=who.kind, actor=who.name[:150], action=action,
            target_type=target_type or type(target).__name__, target_id=str(getattr(target, "pk", target))[:64],
            target_label=(target_label or str(target))[:200], tenant=tenant or connection.schema_name,
            detail=detail or {},
        )
