"""An Idempotency-Key row is written with its answer, in the write's own transaction: there are no
claims without an answer any more. Claims left by the earlier scheme are dropped (a retry of
their request runs afresh, as it would have after their 60 s)."""

from django.db import migrations, models


def drop_claims(apps, schema_editor):
    apps.get_model("dispatch", "IdempotencyKey").objects.filter(done=False).delete()


class Migration(migrations.Migration):
    dependencies = [("dispatch", "0003_report_indexes_and_fillfactor")]

    operations = [
        migrations.RunPython(drop_claims, migrations.RunPython.noop),
        migrations.RemoveField(model_name="idempotencykey", name="done"),
        migrations.AlterField(
            model_name="idempotencykey",
            name="status_code",
            field=models.PositiveSmallIntegerField(),
        ),
        migrations.AlterField(model_name="idempotencykey", name="body", field=models.JSONField()),
    ]
