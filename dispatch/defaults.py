"""Seed 003's cadence rules and the default cut-off, as the first migration installs them.

Kept here too so that a database emptied by a flush (transactional tests do that) can get them
back; the migration keeps its own frozen copy.
"""

from datetime import time
from typing import Any

from .models import CadenceRule, Settings

RULES: list[tuple[str, dict[str, Any], int, str]] = [
    ("daily", {"above_scale": True}, 10, "规模以上工业企业 above designated size"),
    ("daily", {"tag": "leading"}, 20, "重点行业龙头企业 leading enterprises"),
    ("daily", {"tag": "backbone"}, 30, "重点行业骨干企业 backbone enterprises"),
    ("weekly", {"in_park": True}, 40, "工业园区企业 park enterprises"),
    ("weekly", {"key_project": True}, 50, "重点项目 key projects"),
]


def ensure() -> None:
    """Install the default rules and settings where there are none."""
    if not CadenceRule.objects.exists():
        for cadence, condition, position, note in RULES:
            CadenceRule.objects.create(cadence=cadence, position=position, note=note, **condition)
    if not Settings.objects.exists():
        Settings.objects.create(cutoff=time(17, 0))
