"""The national routing defaults (category → department kind), as the data migration installs them.

Kept here too so that a database emptied by a flush (transactional tests do that) can get them
back; the migration keeps its own frozen copy. Administrators change them, or add rules for a
region, in the admin.
"""

from .models import RoutingRule

# category → department kind (seeds 001, 003: 人社 for labour, 交通运输 for transport, 金融办 and
# the central bank's branch for financing, 海关 for customs, 工信 for what is its own).
RULES: dict[str, str] = {
    "labour": "human_resources",
    "raw_materials": "industry",
    "energy": "development_reform",
    "funds": "finance_office",
    "transport": "transport",
    "warehousing": "commerce",
    "delivery": "commerce",
    "customs": "customs",
    "approvals": "development_reform",
    "backlog": "commerce",
    "qualification": "market_regulation",
    "inspection": "market_regulation",
    "prevention_supplies": "industry",
    "policy": "industry",
    "other": "industry",
}


def ensure() -> int:
    """Install the national default of every category that has none; returns how many."""
    have = set(RoutingRule.objects.filter(region__isnull=True).values_list("category", flat=True))
    missing = [RoutingRule(category=c, kind=k) for c, k in RULES.items() if c not in have]
    RoutingRule.objects.bulk_create(missing)
    return len(missing)
