"""The national routing defaults: labour → human resources, transport → transport, funds → the
finance office, customs → customs, and so on. Administrators change them in the admin."""

from django.db import migrations

RULES = {
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


def seed(apps, schema_editor):
    RoutingRule = apps.get_model("problems", "RoutingRule")
    have = set(RoutingRule.objects.filter(region__isnull=True).values_list("category", flat=True))
    for category, kind in RULES.items():
        if category not in have:
            RoutingRule.objects.create(category=category, kind=kind)


class Migration(migrations.Migration):
    dependencies = [("problems", "0001_problems_tables")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
