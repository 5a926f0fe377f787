"""Writing audit rows (the only way the application adds to the trail)."""

from typing import Any

from django.db import connection
from django.utils import timezone

from lib.rawrows import Writer

from .models import AuditEvent


def client_address(request) -> str | None:
    # REMOTE_ADDR only: a forwarded-for header is the client's word, not a fact.
    return request.META.get("REMOTE_ADDR") if request is not None else None


def record(action: str, **fields: Any) -> AuditEvent:
    """Write the event `build(action, **fields)` makes."""
    event = build(action, **fields)
    # By hand rather than save(): one row on every write, its INSERT not compiled each time.
    (event.pk,) = _WRITER.insert([[getattr(event, a) for a in FIELDS]], returning=True)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def build(
    action: str,
    *,
    actor=None,
    request=None,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    result: str = "ok",
    **detail: Any,
) -> AuditEvent:
    """The event `record` would write, unsaved: for a caller that inserts it in a statement of
    its own (dispatch.quick)."""
    if actor is None and request is not None and getattr(request, "user", None) is not None:
        actor = request.user if request.user.is_authenticated else None
    if obj is not None:
        object_type = object_type or obj._meta.model_name
        object_id = object_id or str(getattr(obj, "uscc", None) or obj.pk)
    return AuditEvent(
        at=timezone.now(),
        actor=actor,
        actor_name=getattr(actor, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        result=result,
        address=client_address(request),
        detail=detail,
    )


FIELDS = tuple(f.attname for f in AuditEvent._meta.concrete_fields if not f.primary_key)
_WRITER = Writer(AuditEvent, FIELDS)
