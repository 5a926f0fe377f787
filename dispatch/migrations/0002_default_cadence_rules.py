"""Seed 003's rules: above-scale enterprises and leading/backbone enterprises report daily; park
enterprises and key projects weekly. Officials change them in the admin."""

from django.db import migrations

RULES = [
    ("daily", {"above_scale": True}, 10, "规模以上工业企业 above designated size"),
    ("daily", {"tag": "leading"}, 20, "重点行业龙头企业 leading enterprises"),
    ("daily", {"tag": "backbone"}, 30, "重点行业骨干企业 backbone enterprises"),
    ("weekly", {"in_park": True}, 40, "工业园区企业 park enterprises"),
    ("weekly", {"key_project": True}, 50, "重点项目 key projects"),
]


def seed(apps, schema_editor):
    CadenceRule = apps.get_model("dispatch", "CadenceRule")
    Settings = apps.get_model("dispatch", "Settings")
    if not CadenceRule.objects.exists():
        for cadence, condition, position, note in RULES:
            CadenceRule.objects.create(cadence=cadence, position=position, note=note, **condition)
    if not Settings.objects.exists():
        Settings.objects.create(cutoff="17:00")


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0001_dispatch_tables")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
