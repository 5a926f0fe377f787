"""Who reports how often: the cadence rules applied to the register, kept in the Duty table.

When an enterprise changes (a new tag, another park, a move to another county), its duty changes;
its expected-report row moves, and so do the contributions of all its past reports, so the rollups
always equal a rebuild from raw reports under the current register.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from registry.models import Enterprise, EnterpriseTag, KeyProject

from . import rollups
from .models import Cadence, CadenceRule, Duty, Report


@dataclass(frozen=True)
class Facts:
    above_scale: bool
    tags: frozenset[str]
    industry: str
    in_park: bool
    key_project: bool


def matches(rule: CadenceRule, facts: Facts) -> bool:
    return (
        (rule.above_scale is None or rule.above_scale == facts.above_scale)
        and (not rule.tag or rule.tag in facts.tags)
        and (not rule.industry_prefix or facts.industry.startswith(rule.industry_prefix))
        and (rule.in_park is None or rule.in_park == facts.in_park)
        and (rule.key_project is None or rule.key_project == facts.key_project)
    )


def ordered_rules() -> list[CadenceRule]:
    """Daily rules first (the stricter duty wins), then by position."""
    rules = list(CadenceRule.objects.all())
    return sorted(rules, key=lambda r: (r.cadence != Cadence.DAILY, r.position, r.pk))


def cadence_for(facts: Facts, rules: list[CadenceRule]) -> str:
    for rule in rules:
        if matches(rule, facts):
            return rule.cadence
    return ""


def weight_of(enterprise: Enterprise) -> int:
    """Capacity recovery weighs by baseline output (10k yuan), else by normal headcount."""
    if enterprise.output_value and enterprise.output_value > 0:
        return max(1, round(enterprise.output_value))
    return enterprise.headcount


def _duties(enterprises: list[Enterprise], rules: list[CadenceRule]) -> list[Duty]:
    ids = [e.pk for e in enterprises]
    tags: dict[int, set[str]] = {}
    for eid, tag in EnterpriseTag.objects.filter(enterprise_id__in=ids).values_list(
        "enterprise_id", "tag"
    ):
        tags.setdefault(eid, set()).add(tag)
    projects = set(
        KeyProject.objects.filter(enterprise_id__in=ids).values_list("enterprise_id", flat=True)
    )
    out = []
    for e in enterprises:
        own = frozenset(tags.get(e.pk, ()))
        facts = Facts(e.above_scale, own, e.industry_id, e.park_id is not None, e.pk in projects)
        out.append(
            Duty(
                enterprise_id=e.pk,
                cadence=cadence_for(facts, rules),
                county=e.region_id,
                division=e.industry_id[:2],
                size=e.size_class,
                tagset=",".join(sorted(own)),
                park_id=e.park_id or 0,
                headcount=e.headcount,
                weight=weight_of(e),
            )
        )
    return out


FIELDS = ("cadence", "county", "division", "size", "tagset", "park_id", "headcount", "weight")
CHUNK = 2000


@transaction.atomic
def sync(enterprise_ids: Iterable[int] | None = None) -> int:
    """Bring the duties of these enterprises (all when None) in line with the register and rules;
    returns how many changed."""
    rules = ordered_rules()
    if enterprise_ids is None:
        ids = list(Enterprise.objects.values_list("pk", flat=True))
        Duty.objects.exclude(enterprise_id__in=Enterprise.objects.values("pk")).delete()
    else:
        ids = sorted(set(enterprise_ids))
    changed = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        enterprises = list(
            Enterprise.objects.filter(pk__in=chunk).only(
                "pk",
                "region_id",
                "industry_id",
                "size_class",
                "above_scale",
                "park_id",
                "headcount",
                "output_value",
            )
        )
        old = {d.pk: d for d in Duty.objects.select_for_update().filter(enterprise_id__in=chunk)}
        register: rollups.Deltas = {}
        reports: rollups.Deltas = {}
        moved: list[tuple[Duty | None, Duty]] = []
        for duty in _duties(enterprises, rules):
            before = old.get(duty.pk)
            if before is not None and all(getattr(before, f) == getattr(duty, f) for f in FIELDS):
                continue
            changed += 1
            moved.append((before, duty))
            if before is not None and before.cadence:
                rollups.add_into(register, {_rkey(before): rollups.register_vector(before)}, -1)
            if duty.cadence:
                rollups.add_into(register, {_rkey(duty): rollups.register_vector(duty)})
        if not moved:
            continue
        # Past reports follow the enterprise to its new row.
        with_reports: dict[int, list[Report]] = {
            eid: []
            for eid in Report.objects.filter(
                enterprise_id__in=[d.pk for _, d in moved]
            ).values_list("enterprise_id", flat=True)
        }
        if with_reports:
            for r in Report.objects.filter(enterprise_id__in=list(with_reports)):
                with_reports[r.enterprise_id].append(r)
        for before, duty in moved:
            past = with_reports.get(duty.pk)
            if past:
                if before is not None:
                    rollups.add_into(reports, rollups.contributions(before, past), -1)
                rollups.add_into(reports, rollups.contributions(duty, past))
                if before is not None and before.county != duty.county:
                    Report.objects.filter(enterprise_id=duty.pk).update(county=duty.county)
        Duty.objects.bulk_create([d for b, d in moved if b is None])
        update = [d for b, d in moved if b is not None]
        if update:
            Duty.objects.bulk_update(update, list(FIELDS))
        rollups.apply_register(register)
        rollups.apply(reports)
    if enterprise_ids is not None:
        # Enterprises that left the register take their duty (and its rollup rows) with them.
        gone = set(ids) - set(Enterprise.objects.filter(pk__in=ids).values_list("pk", flat=True))
        if gone:
            forget(gone)
    return changed


def _rkey(duty: Duty) -> rollups.RegisterKey:
    return (duty.county, duty.cadence, duty.division, duty.size, duty.tagset, duty.park_id)


def forget(enterprise_ids: Iterable[int]) -> None:
    """Remove departed enterprises' duties and contributions (before their rows cascade away)."""
    register: rollups.Deltas = {}
    reports: rollups.Deltas = {}
    for duty in Duty.objects.filter(enterprise_id__in=list(enterprise_ids)):
        if duty.cadence:
            rollups.add_into(register, {_rkey(duty): rollups.register_vector(duty)}, -1)
            past = list(Report.objects.filter(enterprise_id=duty.pk))
            rollups.add_into(reports, rollups.contributions(duty, past), -1)
        duty.delete()
    rollups.apply_register(register)
    rollups.apply(reports)
