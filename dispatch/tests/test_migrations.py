"""Migration 0006: a report never corrected becomes its own first version, and back again."""

from datetime import date

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from .factories import BASE

BEFORE = [("dispatch", "0005_idempotencykey_user_index_in_unique")]
AFTER = [("dispatch", "0006_report_source_first_version_in_report")]
# A report's values as a version holds them: the factories' report with the free fields.
VALUES = {**BASE, "difficulties": ["labour"], "over_headcount_reason": "", "note": ""}


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_first_versions_move_into_their_reports_and_back(world):
    apps = migrate(BEFORE)
    try:
        Report = apps.get_model("dispatch", "Report")
        ReportVersion = apps.get_model("dispatch", "ReportVersion")
        now = timezone.now()
        made = {}
        for enterprise, version, source in ((world.steel, 1, "web"), (world.textile, 2, "api")):
            made[source] = r = Report.objects.create(
                enterprise_id=enterprise.pk,
                county=enterprise.region_id,
                date=date(2020, 2, 21),
                on_time=True,
                version=version,
                submitted_at=now,
                updated_at=now,
                submitted_by_id=world.dave.pk,
                **VALUES,
            )
            for v in range(1, version + 1):
                ReportVersion.objects.create(
                    report=r,
                    version=v,
                    actor_id=world.dave.pk,
                    at=now,
                    source=source if v == 1 else "batch",
                    values=VALUES,
                    changes={} if v == 1 else {"note": ["", "x"]},
                )

        apps = migrate(AFTER)
        Report = apps.get_model("dispatch", "Report")
        ReportVersion = apps.get_model("dispatch", "ReportVersion")
        assert dict(Report.objects.values_list("pk", "source")) == {
            made["web"].pk: "web",
            made["api"].pk: "api",
        }
        # The uncorrected report's stored first version is gone; the corrected one keeps both.
        assert sorted(ReportVersion.objects.values_list("report_id", "version", "source")) == [
            (made["api"].pk, 1, "api"),
            (made["api"].pk, 2, "batch"),
        ]

        apps = migrate(BEFORE)
        ReportVersion = apps.get_model("dispatch", "ReportVersion")
        first = ReportVersion.objects.get(report_id=made["web"].pk)
        assert (first.version, first.actor_id, first.at, first.source) == (
            1,
            world.dave.pk,
            now,
            "web",
        )
        assert first.values == VALUES and first.changes == {}
        assert ReportVersion.objects.filter(report_id=made["api"].pk).count() == 2
    finally:
        migrate(AFTER)
