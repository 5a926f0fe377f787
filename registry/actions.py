"""Every write to the register: validated, atomic, recorded in the enterprise's history."""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from accounts import scope
from audit.log import record

from . import validation
from .models import Enterprise, EnterpriseChange, EnterpriseTag, KeyProject, Park
from .signals import enterprises_changed

TRACKED = (
    "name",
    "region_id",
    "industry_id",
    "headcount",
    "revenue",
    "output_value",
    "size_class",
    "size_overridden",
    "above_scale",
    "park_id",
)


class InvalidEnterprise(ValueError):
    """Raised with the errors by field; nothing has been written."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


class OutOfScope(LookupError):
    """The actor may not write there; callers answer 404."""


def resolve_park(
    value: Any, region_code: str, *, create: bool = False
) -> tuple[Park | None, str | None]:
    """A park by id or by name within the enterprise's county; an error message when unknown."""
    if value is None or str(value).strip() == "":
        return None, None
    text = str(value).strip()
    if isinstance(value, int) or text.isdigit():
        park = Park.objects.filter(pk=int(text)).first()
        if park is None:
            return None, f"没有编号为{text}的园区 (no park with id {text})"
    else:
        park = Park.objects.filter(region_id=region_code, name=text).first()
        if park is None and create:
            park = Park.objects.create(region_id=region_code, name=text[:128])
        if park is None:
            return None, f"本县区没有名为“{text[:40]}”的园区 (no park of that name in this county)"
    if not region_code.startswith(park.region_id[:4]):
        return None, "园区不在企业所在地区 (the park lies in another region)"
    return park, None


def state(enterprise: Enterprise, tags: Iterable[str]) -> dict[str, Any]:
    """What the history records of an enterprise: the tracked fields and its tags."""
    data = {f: getattr(enterprise, f) for f in TRACKED}
    data["tags"] = sorted(tags)
    return data


def _snapshot(enterprise: Enterprise) -> dict[str, Any]:
    return state(
        enterprise,
        EnterpriseTag.objects.filter(enterprise=enterprise).values_list("tag", flat=True),
    )


def _jsonable(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def created_changes(after: dict[str, Any]) -> dict[str, list[Any]]:
    """The history entry of a new enterprise: every field from nothing."""
    return {k: [None, _jsonable(v)] for k, v in after.items()}


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The history entry of an update: the fields that differ, old and new."""
    return {k: [_jsonable(before[k]), _jsonable(after[k])] for k in after if before[k] != after[k]}


def _set_tags(enterprise: Enterprise, tags: list[str]) -> None:
    EnterpriseTag.objects.filter(enterprise=enterprise).exclude(tag__in=tags).delete()
    have = set(EnterpriseTag.objects.filter(enterprise=enterprise).values_list("tag", flat=True))
    EnterpriseTag.objects.bulk_create(
        [EnterpriseTag(enterprise=enterprise, tag=t) for t in tags if t not in have]
    )


def apply_values(
    enterprise: Enterprise, values: dict[str, Any], lookups: validation.Lookups
) -> None:
    """Copy cleaned values onto the model; the size follows headcount and revenue unless set by hand."""
    for name in ("uscc", "name", "headcount", "revenue", "output_value", "above_scale"):
        if name in values:
            setattr(enterprise, name, values[name])
    if "region" in values:
        enterprise.region_id = values["region"]
    if "industry" in values:
        enterprise.industry_id = values["industry"]
    computed = validation.computed_size(
        {
            "industry": enterprise.industry_id,
            "headcount": enterprise.headcount,
            "revenue": enterprise.revenue,
        },
        lookups,
    )
    if values.get("size_class"):
        # A size equal to the computed one is no override (an exported sheet re-imported keeps
        # every size following headcount and revenue).
        enterprise.size_class = values["size_class"]
        enterprise.size_overridden = values["size_class"] != computed
    elif not enterprise.size_overridden or "size_class" in values:
        enterprise.size_overridden = False
        enterprise.size_class = computed


@transaction.atomic
def create_enterprise(
    *,
    actor,
    raw: dict[str, Any],
    source: str,
    request=None,
    lookups: validation.Lookups | None = None,
) -> Enterprise:
    lookups = lookups or validation.Lookups()
    cleaned = validation.clean(raw, lookups)
    errors = dict(cleaned.errors)
    values = cleaned.values
    if "region" in values and not scope.can_create_in(actor, values["region"]):
        raise OutOfScope(values["region"])
    if "uscc" in values and Enterprise.objects.filter(uscc=values["uscc"]).exists():
        errors["uscc"] = (
            "该统一社会信用代码已登记 (an enterprise with this USCC is already registered)"
        )
    park = None
    if "region" in values and values.get("park") is not None:
        park, message = resolve_park(values["park"], values["region"])
        if message:
            errors["park"] = message
    if errors:
        raise InvalidEnterprise(errors)
    enterprise = Enterprise(park=park)
    apply_values(enterprise, values, lookups)
    enterprise.save()
    _set_tags(enterprise, values.get("tags", []))
    EnterpriseChange.objects.create(
        enterprise=enterprise,
        actor=actor,
        source=source,
        changes=created_changes(_snapshot(enterprise)),
    )
    record("create", actor=actor, request=request, obj=enterprise, source=source)
    enterprises_changed.send(sender=Enterprise, ids=[enterprise.pk])
    return enterprise


@transaction.atomic
def update_enterprise(
    *,
    actor,
    enterprise: Enterprise,
    raw: dict[str, Any],
    source: str,
    request=None,
    lookups: validation.Lookups | None = None,
) -> Enterprise:
    if not scope.can_edit_enterprise(actor, enterprise):
        raise OutOfScope(enterprise.uscc)
    lookups = lookups or validation.Lookups()
    raw = {k: v for k, v in raw.items() if k != "uscc"}  # the key never changes
    cleaned = validation.clean(raw, lookups, partial=True)
    errors = dict(cleaned.errors)
    values = cleaned.values
    if "region" in values and not scope.can_create_in(actor, values["region"]):
        errors["region"] = (
            "不能把企业移出您的管辖范围 (you cannot move an enterprise out of your region)"
        )
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    region = values.get("region", enterprise.region_id)
    park = None
    if "park" in values:
        park, message = resolve_park(values["park"], region)
        if message:
            errors["park"] = message
    if errors:
        raise InvalidEnterprise(errors)
    before = _snapshot(enterprise)
    # Only after the snapshot: a new park is a change like any other (saved, in the history,
    # announced, so a park enterprise becomes a weekly reporter).
    if "park" in values:
        enterprise.park = park
    apply_values(enterprise, values, lookups)
    changed_fields = [f for f in TRACKED if getattr(enterprise, f) != before[f]]
    if changed_fields:
        enterprise.save(update_fields=[*changed_fields, "updated_at"])
    if "tags" in values:
        _set_tags(enterprise, values["tags"])
    after = _snapshot(enterprise)
    diff = changes_between(before, after)
    if diff:
        EnterpriseChange.objects.create(
            enterprise=enterprise, actor=actor, source=source, changes=diff
        )
        record(
            "update",
            actor=actor,
            request=request,
            obj=enterprise,
            source=source,
            fields=sorted(diff),
        )
        enterprises_changed.send(sender=Enterprise, ids=[enterprise.pk])
    return enterprise


# --- the back office ------------------------------------------------------------------------------
# The admin checks its own forms, but what it writes is recorded and announced here like every
# other write: the reporting duty (cadence, county, park…) and the rollups' expected reports
# follow the register in the same transaction.


@transaction.atomic
def save_in_admin(*, actor, enterprise: Enterprise, request=None) -> Enterprise:
    """Save an enterprise the admin's form has changed or created (source "admin")."""
    stored = None
    if enterprise.pk is not None:
        stored = Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
    before = _snapshot(stored) if stored is not None else None
    enterprise.save()
    after = _snapshot(enterprise)
    diff = created_changes(after) if before is None else changes_between(before, after)
    if diff:
        EnterpriseChange.objects.create(
            enterprise=enterprise, actor=actor, source="admin", changes=diff
        )
        record(
            "create" if before is None else "update",
            actor=actor,
            request=request,
            obj=enterprise,
            source="admin",
            fields=sorted(diff),
        )
        enterprises_changed.send(sender=Enterprise, ids=[enterprise.pk])
    return enterprise


@transaction.atomic
def save_key_project(*, actor, project: KeyProject, request=None) -> KeyProject:
    """Save a key project: its enterprise reports weekly while it has one, so the duty of that
    enterprise (and of the one it was moved from) follows."""
    was = None
    if project.pk is not None:
        was = (
            KeyProject.objects.filter(pk=project.pk).values_list("enterprise_id", flat=True).first()
        )
    project.save()
    record(
        "save_key_project",
        actor=actor,
        request=request,
        obj=project,
        enterprise=project.enterprise_id,
        source="admin",
    )
    ids = {project.enterprise_id} | ({was} if was is not None else set())
    enterprises_changed.send(sender=Enterprise, ids=sorted(ids))
    return project


@transaction.atomic
def delete_key_projects(*, actor, projects: QuerySet[KeyProject], request=None) -> int:
    """Delete key projects; their enterprises' duties follow. Returns how many were deleted."""
    rows = list(projects.values_list("pk", "enterprise_id"))
    if not rows:
        return 0
    KeyProject.objects.filter(pk__in=[pk for pk, _ in rows]).delete()
    record(
        "delete_key_project",
        actor=actor,
        request=request,
        object_type="keyproject",
        object_id=",".join(str(pk) for pk, _ in rows)[:64],
        source="admin",
    )
    enterprises_changed.send(sender=Enterprise, ids=sorted({eid for _, eid in rows}))
    return len(rows)
