"""Enterprise size class by 国统字〔2017〕213号 (see data/sme_size_thresholds.csv)."""

import csv
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

DATA = Path(__file__).parent / "data" / "sme_size_thresholds.csv"


class SizeClass(models.TextChoices):
    LARGE = "large", _("large")
    MEDIUM = "medium", _("medium")
    SMALL = "small", _("small")
    MICRO = "micro", _("micro")


@dataclass(frozen=True)
class Threshold:
    sector: str
    codes: tuple[str, ...]
    indicator: str
    large: Decimal
    medium: Decimal
    small: Decimal


@cache
def thresholds() -> tuple[Threshold, ...]:
    with DATA.open(encoding="utf-8") as f:
        return tuple(
            Threshold(
                row["sector"],
                tuple(row["codes"].split(";")),
                row["indicator"],
                Decimal(row["large"]),
                Decimal(row["medium"]),
                Decimal(row["small"]),
            )
            for row in csv.DictReader(f)
        )


def _match(code: str, industry_code: str, section: str) -> int:
    """How specifically a threshold code matches: -1 not at all, 0 the catch-all, longer is better."""
    if code == "*":
        return 0
    if code.isalpha():
        return 1 if code == section else -1
    return 1 + len(code) if industry_code.startswith(code) else -1


@cache
def sector_rules(industry_code: str, section: str) -> tuple[Threshold, ...]:
    """The thresholds of the sector that matches the class code most specifically (cached: an
    import asks once per row, and there are only 1,381 classes)."""
    by_sector: dict[str, list[Threshold]] = {}
    for t in thresholds():
        by_sector.setdefault(t.sector, []).append(t)
    score, rules = max(
        (
            (max(_match(c, industry_code, section) for c in rules[0].codes), rules)
            for rules in by_sector.values()
        ),
        key=lambda pair: pair[0],
    )
    return tuple(rules) if score >= 0 else ()


def size_class(
    industry_code: str, section: str, headcount: int | None, revenue: Decimal | None
) -> SizeClass:
    """Large, medium and small need every known indicator at its bound; otherwise micro."""
    values = {"headcount": headcount, "revenue": revenue}
    rules = [t for t in sector_rules(industry_code, section) if values.get(t.indicator) is not None]
    if not rules:
        return SizeClass.MICRO
    for klass, attr in (
        (SizeClass.LARGE, "large"),
        (SizeClass.MEDIUM, "medium"),
        (SizeClass.SMALL, "small"),
    ):
        if all(Decimal(values[t.indicator]) >= getattr(t, attr) for t in rules):  # type: ignore[arg-type]
            return klass
    return SizeClass.MICRO
