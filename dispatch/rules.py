"""Changing who reports how often and when: cadence rules, the cut-off, emergency periods.

These settings are the deployment's, so only administrators change them, and a province-level
official while the deployment is that province's (no enterprise registered elsewhere: in a
deployment of several provinces one province's official would change the others' duties);
every change is audited, and a rule change moves every enterprise's duty (and its past reports'
place in the aggregates) in the same transaction.
"""

from datetime import date, time
from typing import Any

from django.db import transaction
from django.db.models import Q

from accounts import scope
from accounts.models import Role
from audit.log import record
from regions.models import Level

from . import duties
from .models import Cadence, CadenceRule, EmergencyPeriod, Settings


class NotAllowed(PermissionError):
    """Callers answer 404: the page does not exist for this user."""


def can_change(user) -> bool:
    if scope.is_admin(user):
        return True
    if not (
        user.is_authenticated
        and user.role == Role.OFFICIAL
        and user.region_id
        and user.region.level == Level.PROVINCE
    ):
        return False
    from registry.models import Enterprise

    prefix = scope.region_prefix(user) or ""
    if not prefix:
        return False
    # Codes are six digits: outside the province is below its first or above its last code (two
    # index range scans, where "not starting with" would read the whole register).
    first, last = prefix.ljust(6, "0"), prefix.ljust(6, "9")
    return not Enterprise.objects.filter(Q(region_id__lt=first) | Q(region_id__gt=last)).exists()


def _check(user) -> None:
    if not can_change(user):
        raise NotAllowed


@transaction.atomic
def set_cutoff(*, actor, cutoff: time, request=None) -> Settings:
    _check(actor)
    row = Settings.objects.select_for_update().first() or Settings()
    old = row.cutoff
    row.cutoff = cutoff
    row.save()
    record(
        "set_cutoff",
        actor=actor,
        request=request,
        object_type="settings",
        object_id="cutoff",
        old=str(old),
        new=str(cutoff),
    )
    return row


@transaction.atomic
def emergency_on(*, actor, start: date, note: str = "", request=None) -> EmergencyPeriod:
    _check(actor)
    period = EmergencyPeriod.objects.create(start=start, note=note[:200], created_by=actor)
    record("emergency_on", actor=actor, request=request, obj=period, start=str(start))
    return period


@transaction.atomic
def emergency_off(*, actor, end: date, request=None) -> int:
    """Close every open period on `end` (the last day that still counts as an emergency day)."""
    _check(actor)
    closed = EmergencyPeriod.objects.filter(end__isnull=True, start__lte=end).update(end=end)
    record(
        "emergency_off",
        actor=actor,
        request=request,
        object_type="emergencyperiod",
        object_id=str(end),
        closed=closed,
    )
    return closed


RULE_FIELDS = (
    "cadence",
    "above_scale",
    "tag",
    "industry_prefix",
    "in_park",
    "key_project",
    "position",
    "note",
)


@transaction.atomic
def save_rule(
    *, actor, values: dict[str, Any], rule: CadenceRule | None = None, request=None
) -> tuple[CadenceRule, int]:
    """Create or change a rule; returns it and how many enterprises' duties changed."""
    _check(actor)
    if values.get("cadence") not in Cadence.values:
        raise ValueError("cadence")
    rule = rule or CadenceRule()
    for name in RULE_FIELDS:
        if name in values:
            setattr(rule, name, values[name])
    rule.save()
    changed = duties.sync(None)
    record("save_rule", actor=actor, request=request, obj=rule, duties_changed=changed)
    return rule, changed


@transaction.atomic
def delete_rule(*, actor, rule: CadenceRule, request=None) -> int:
    _check(actor)
    pk = rule.pk
    rule.delete()
    changed = duties.sync(None)
    record(
        "delete_rule",
        actor=actor,
        request=request,
        object_type="cadencerule",
        object_id=str(pk),
        duties_changed=changed,
    )
    return changed
