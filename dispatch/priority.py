"""Priority industries and risk-level guidance (分区分级, 分类指导) for an enterprise's page.

Sources:
- Priority industries: seed 004, the MIIT guidance of 24 February 2020 《关于有序推动工业通信业
  企业复工复产的指导意见》, §二 (medical and protective supplies), §五 (necessities and farm
  inputs) and §六 (long-chain key industries, strategic emerging industries). The data file
  dispatch/data/priority_industries.csv maps them to GB/T 4754-2017 codes (divisions, groups or
  classes; every code is in industries/data/gbt4754_2017.csv, which a test checks); its `basis`
  column quotes the seed's words (given there in traditional characters, quoted here in the
  simplified characters of the original notice).
- Guidance by risk level: seed 004 §十 加强分类指导, quoted in `Guidance.basis`, and seed 001
  ("支持低风险地区企业全面复工复产,中风险地区企业尽快有序复工复产,高风险地区根据疫情态势逐步复工复产"):
  low risk → full resumption, medium → orderly resumption, high → gradual resumption as the
  epidemic allows (DESIGN.md, capability 5).

Choices worth knowing: veterinary medicines (2750) are left out of the medical supplies, as the
seed speaks of treating patients; alcoholic drinks (151) are left out of the necessities, while
soft drinks and bottled water (152) and household chemicals (268, soap and detergents: 日用品) are
in. An industry can be in more than one category (a new-energy vehicle maker, 3612, is both a
long-chain and a strategic emerging industry). Power equipment (电力装备) is the generator, motor
and transmission-and-distribution classes, not the whole group 382, which also holds photovoltaic
devices (3825): those are the seed's 智能光伏, a strategic emerging industry.
"""

import csv
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import CountyRisk, RiskLevel

DATA = Path(__file__).resolve().parent / "data" / "priority_industries.csv"

# The four categories in the seed's order: key, English label (translated in the UI), Chinese name.
CATEGORIES: dict[str, tuple[Promise, str]] = {
    "medical_supplies": (_("medical and protective supplies"), "医疗防护物资"),
    "livelihood_farm": (_("necessities and farm inputs"), "民生与农资"),
    "long_chain": (_("long-chain key industries"), "产业链长的重点产业"),
    "strategic_emerging": (_("strategic emerging industries"), "战略性新兴产业"),
}


@dataclass(frozen=True)
class Entry:
    """One row of the data file."""

    code: str  # a GB/T 4754-2017 division, group or class
    category: str
    category_name: str
    basis: str


@dataclass(frozen=True)
class Match:
    """An industry's place in one category: the most specific entry of that category covering it."""

    category: str
    label: Promise
    category_name: str
    code: str
    basis: str


@cache
def entries() -> tuple[Entry, ...]:
    with DATA.open(encoding="utf-8", newline="") as f:
        return tuple(
            Entry(r["code"].strip(), r["category"].strip(), r["category_name"].strip(), r["basis"])
            for r in csv.DictReader(f)
        )


def matches(industry_code: str) -> list[Match]:
    """Every category covering the industry, each with its longest-prefix entry, in seed order."""
    best: dict[str, Entry] = {}
    code = (industry_code or "").strip()
    if not code:
        return []
    for entry in entries():
        if code.startswith(entry.code):
            held = best.get(entry.category)
            if held is None or len(entry.code) > len(held.code):
                best[entry.category] = entry
    return [
        Match(key, label, name, best[key].code, best[key].basis)
        for key, (label, name) in CATEGORIES.items()
        if key in best
    ]


def categories_for(industry_code: str) -> list[str]:
    """The priority categories of a GB/T 4754 code (longest-prefix matches), in seed order;
    [] when the industry is not a priority one."""
    return [m.category for m in matches(industry_code)]


def is_priority(industry_code: str) -> bool:
    return bool(matches(industry_code))


# --- guidance by risk level ----------------------------------------------------------------------


@dataclass(frozen=True)
class Guidance:
    level: str
    headline: Promise
    explanation: Promise
    basis: str  # the seed's words (seed 004 §十)


GUIDANCE: dict[str, Guidance] = {
    RiskLevel.LOW: Guidance(
        RiskLevel.LOW,
        # Translators: seed 001 says 全面复工复产
        _("Full resumption"),
        _(
            "Keep the prevention measures in place; procedures are simplified and enterprises "
            "return to normal production."
        ),
        "落实好相关防控措施，简化程序，强化服务，指导企业复工复产，全面恢复正常生产生活秩序",
    ),
    RiskLevel.MEDIUM: Guidance(
        RiskLevel.MEDIUM,
        # Translators: seed 001 says 尽快有序复工复产
        _("Orderly resumption"),
        _(
            "With prevention in place first, resumption is arranged step by step and normal "
            "production is restored in order as soon as possible."
        ),
        "在做好疫情防控前提下，合理安排企业复工复产，尽快有序恢复正常生产生活秩序",
    ),
    RiskLevel.HIGH: Guidance(
        RiskLevel.HIGH,
        # Translators: seed 001 says 根据疫情态势逐步复工复产
        _("Gradual resumption as the epidemic allows"),
        _(
            "Epidemic control comes first; production is restored gradually as the situation "
            "allows."
        ),
        "继续集中精力抓好疫情防控工作，根据疫情态势逐步恢复生产生活秩序",
    ),
}


def guidance(level: str) -> Guidance:
    return GUIDANCE.get(level, GUIDANCE[RiskLevel.LOW])


def enterprise_context(enterprise: Any, day: date | None = None) -> dict[str, Any]:
    """What the enterprise page shows about resumption policy: its county's risk level in effect
    on `day` (default today) with the guidance for it, and its priority categories.

    One query (the county's level in effect); the categories come from the data file in memory.
    """
    from .calendar import today

    day = day or today()
    current = (
        CountyRisk.objects.filter(region_id=enterprise.region_id, effective_from__lte=day)
        .order_by("-effective_from")
        .values_list("level", "effective_from")
        .first()
    )
    # A county never graded is low risk: full resumption is the default (seed 004 §十).
    level, since = current if current else (RiskLevel.LOW, None)
    return {
        "day": day,
        "level": level,
        "level_label": RiskLevel(level).label,
        "since": since,
        "graded": current is not None,
        "guidance": guidance(level),
        "priority": matches(enterprise.industry_id),
    }
