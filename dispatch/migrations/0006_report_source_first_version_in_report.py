"""A report never corrected is its own first version: its ReportVersion rows are written at its
first correction. The report keeps where its first version came from (`source`); the stored first
versions of reports never corrected are removed (the report holds the same who, when, where and
values). A new report is then one row, not two."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

# The report's values as a version holds them (actions.STORED when this was written).
VALUES = (
    "status",
    "staff_on_site",
    "capacity_pct",
    "temperature_checks",
    "disinfection",
    "mask_days",
    "fever",
    "suspected",
    "confirmed",
    "difficulties",
    "over_headcount_reason",
    "note",
)


def forward(apps, schema_editor):
    Report = apps.get_model("dispatch", "Report")
    ReportVersion = apps.get_model("dispatch", "ReportVersion")
    first = ReportVersion.objects.filter(report=OuterRef("pk"), version=1).values("source")[:1]
    Report.objects.update(source=Coalesce(Subquery(first), Value("")))
    ReportVersion.objects.filter(version=1, report__version=1).delete()


def backward(apps, schema_editor):
    Report = apps.get_model("dispatch", "Report")
    ReportVersion = apps.get_model("dispatch", "ReportVersion")
    batch = []
    for r in Report.objects.filter(version=1).iterator(chunk_size=2000):
        values = {name: getattr(r, name) for name in VALUES}
        batch.append(
            ReportVersion(
                report_id=r.pk,
                version=1,
                actor_id=r.submitted_by_id,
                at=r.submitted_at,
                source=r.source,
                values=values,
                changes={},
            )
        )
        if len(batch) >= 2000:
            ReportVersion.objects.bulk_create(batch)
            batch = []
    ReportVersion.objects.bulk_create(batch)


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0005_idempotencykey_user_index_in_unique")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="source",
            field=models.CharField(blank=True, default="", max_length=16, verbose_name="source"),
        ),
        migrations.RunPython(forward, backward),
    ]
