"""Publishing events into the outbox, the inbox, and users' e-mail choices.

`publish` runs inside the caller's transaction: the event, every recipient's inbox item and one
pending delivery per e-mail address and group robot are written with the business change or not
at all. Nothing is sent here; the worker delivers the outbox after the commit (notify.delivery),
so a slow or failing endpoint never holds up or fails the write that caused the event.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from accounts.models import User
from audit.log import record
from lib.masking import mask_text

from .models import Channel, Delivery, Event, InboxItem, Kind, Preference, Robot

CHUNK = 500
_REGION = re.compile(r"^(\d{6})?$")


@dataclass
class Draft:
    """An event before it is stored (publish_many takes many at once)."""

    kind: str
    recipients: list[User]
    title: str
    text: str
    url: str = ""
    ref: str = ""
    key: str | None = None
    region_code: str = ""


def publish(
    kind: str,
    *,
    recipients: Iterable[User],
    title: str,
    text: str,
    url: str = "",
    ref: str = "",
    key: str | None = None,
    region_code: str = "",
) -> Event | None:
    """Store an event for `recipients` (call it inside the transaction of the change it is
    about). With a `key`, a second publish of the same key does nothing and returns None.

    `url` is a path on this site. Titles and texts are built by callers without names or phone
    numbers; any mobile or identity number that slips in is masked here all the same, because
    messages leave the site (e-mail, group chats)."""
    draft = Draft(
        kind=kind,
        recipients=list(recipients),
        title=title,
        text=text,
        url=url,
        ref=ref,
        key=key,
        region_code=region_code,
    )
    events = publish_many([draft])
    return events[0] if events else None


def _single_line(text: str) -> str:
    return " ".join(text.split())


def _clean(text: str, limit: int) -> str:
    return mask_text(text.replace("\x00", ""))[:limit]


def _check(draft: Draft) -> None:
    if draft.kind not in Kind.values:
        raise ValueError(f"unknown event kind {draft.kind!r}")
    if draft.url and (not draft.url.startswith("/") or draft.url.startswith("//")):
        raise ValueError("url must be a path on this site")
    if len(draft.url) > 300 or len(draft.ref) > 100:
        raise ValueError("url or ref too long")
    if draft.key is not None and not 0 < len(draft.key) <= 200:
        raise ValueError("key must be 1 to 200 characters")
    if not _REGION.match(draft.region_code):
        raise ValueError("region_code must be a six-digit code or empty")


def _build(draft: Draft, now: datetime) -> Event:
    return Event(
        kind=draft.kind,
        title=_clean(_single_line(draft.title), 200),
        text=_clean(draft.text.strip(), 2000),
        url=draft.url,
        ref=draft.ref,
        key=draft.key,
        region_code=draft.region_code,
        created_at=now,
    )


def _taken_keys(keys: list[str]) -> set[str]:
    taken: set[str] = set()
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        taken.update(
            k for k in Event.objects.filter(key__in=chunk).values_list("key", flat=True) if k
        )
    return taken


def _store(events: list[Event]) -> list[Event]:
    """Insert the events; when a concurrent publisher took one of their keys meanwhile, insert
    them one by one and leave that one out."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives a conflict
            Event.objects.bulk_create(events, batch_size=CHUNK)
        return events
    except IntegrityError:
        stored = []
        for event in events:
            try:
                with transaction.atomic():
                    event.save(force_insert=True)
                stored.append(event)
            except IntegrityError:
                continue
        return stored


def publish_many(drafts: Sequence[Draft], now: datetime | None = None) -> list[Event]:
    """Store many events at once (a few reads, then inserts in batches: never a query per
    event); drafts whose key is already taken are skipped. Returns the events stored."""
    now = now or timezone.now()
    for draft in drafts:
        _check(draft)
    taken = _taken_keys([d.key for d in drafts if d.key])
    chosen: list[tuple[Event, list[User]]] = []
    for draft in drafts:
        if draft.key is not None:
            if draft.key in taken:
                continue
            taken.add(draft.key)
        users = list({u.pk: u for u in draft.recipients if u.pk is not None}.values())
        chosen.append((_build(draft, now), users))
    if not chosen:
        return []
    with transaction.atomic():
        stored = {e.pk for e in _store([e for e, _ in chosen])}
        chosen = [(e, users) for e, users in chosen if e.pk in stored]
        InboxItem.objects.bulk_create(
            [
                InboxItem(user=u, event=e, created_at=e.created_at)
                for e, users in chosen
                for u in users
            ],
            batch_size=CHUNK,
        )
        Delivery.objects.bulk_create(
            _email_deliveries(chosen, now) + _robot_deliveries([e for e, _ in chosen], now),
            batch_size=CHUNK,
        )
    return [e for e, _ in chosen]


def email_enabled() -> bool:
    return bool(getattr(settings, "FUGONG_EMAIL", False))


def _email_deliveries(chosen: list[tuple[Event, list[User]]], now: datetime) -> list[Delivery]:
    if not email_enabled():
        return []
    wanted = [(e, u) for e, users in chosen for u in users if u.email and u.is_active]
    if not wanted:
        return []
    user_ids = list({u.pk for _, u in wanted})
    off: set[tuple[int, str]] = set()
    for start in range(0, len(user_ids), CHUNK):
        off.update(
            Preference.objects.filter(
                user_id__in=user_ids[start : start + CHUNK], email=False
            ).values_list("user_id", "kind")
        )
    return [
        Delivery(event=e, channel=Channel.EMAIL, user=u, next_attempt_at=now, created_at=now)
        for e, u in wanted
        if (u.pk, e.kind) not in off
    ]


def _robot_deliveries(events: list[Event], now: datetime) -> list[Delivery]:
    robots = list(Robot.objects.filter(active=True))  # a handful; kinds are matched here
    return [
        Delivery(event=e, channel=r.kind, robot=r, next_attempt_at=now, created_at=now)
        for e in events
        for r in robots
        if r.takes(e.kind, e.region_code)
    ]


# --- the inbox -----------------------------------------------------------------------------------


def inbox(user: User) -> QuerySet[InboxItem]:
    """The user's items, unread first, then newest first."""
    return (
        InboxItem.objects.filter(user=user)
        .select_related("event")
        .annotate(
            read_order=Case(
                When(read_at__isnull=True, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("read_order", "-created_at", "-id")
    )


def unread_count(user: User) -> int:
    return InboxItem.objects.filter(user=user, read_at__isnull=True).count()


def item_of(user: User, item_id: int) -> InboxItem:
    """One of the user's own items; anyone else's is InboxItem.DoesNotExist (404)."""
    return InboxItem.objects.select_related("event").get(pk=item_id, user=user)


def mark_read(user: User, item_id: int, now: datetime | None = None) -> InboxItem:
    item = item_of(user, item_id)
    if item.read_at is None:
        item.read_at = now or timezone.now()
        InboxItem.objects.filter(pk=item.pk, read_at__isnull=True).update(read_at=item.read_at)
    return item


def mark_all_read(user: User, now: datetime | None = None) -> int:
    return InboxItem.objects.filter(user=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


# --- e-mail choices ------------------------------------------------------------------------------


def kinds_for(user: User) -> list[tuple[str, Any]]:
    """The kinds of event a user can choose about (the nightly check is for administrators)."""
    admin = user.is_superuser or user.role == "admin"
    return [(k, label) for k, label in Kind.choices if admin or not k.startswith("system.")]


def email_choices(user: User) -> dict[str, bool]:
    """Kind → whether the user gets e-mail for it (no choice made: yes)."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "email"))
    return {k: chosen.get(k, True) for k, _ in kinds_for(user)}


@transaction.atomic
def set_preferences(user: User, *, email: str, kinds_on: Iterable[str], request=None) -> None:
    """Save a user's e-mail address and the kinds they want by e-mail (the rest: inbox only)."""
    on = set(kinds_on)
    kinds = [k for k, _ in kinds_for(user)]
    existing = {p.kind: p for p in Preference.objects.select_for_update().filter(user=user)}
    for kind in kinds:
        want = kind in on
        row = existing.get(kind)
        if row is None:
            Preference.objects.create(user=user, kind=kind, email=want)
        elif row.email != want:
            row.email = want
            row.save(update_fields=["email"])
    address_changed = email != user.email
    if address_changed:
        user.email = email
        user.save(update_fields=["email"])
    record(
        "notification_preferences",
        actor=user,
        request=request,
        object_type="user",
        object_id=str(user.pk),
        email_kinds=sorted(k for k in kinds if k in on),
        address_changed=address_changed,
    )
