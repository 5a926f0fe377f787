"""The demo reports (dispatch/demo.py): deterministic, idempotent, and on 2020-02-22 the province
stands where seed 003's brief puts it (1792户 resumed, 65%; staff return 64.5%)."""

import io
import os
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from audit.models import AuditEvent
from dispatch import demo, rollups
from dispatch.models import CountyRisk, EmergencyPeriod, PeriodLock, Report, ReportVersion
from registry import demo as registry_demo
from stats import queries

# Pinned so a change to the generator (or to the demo register it reads) shows up here. Update
# it deliberately when the demo reports are meant to change.
PLAN_DIGEST = "97b6f6377354d9f113b172d5c12b084654a2fc91d2ff128cebab217c17e31d55"


@pytest.fixture(scope="module")
def facts() -> list[demo.Facts]:
    return demo.facts_from_plan()


def test_the_plan_is_the_same_every_time_and_in_any_order(facts):
    first = demo.plan_digest(demo.plan(facts))
    assert first == demo.plan_digest(demo.plan(list(reversed(facts))))
    assert first == PLAN_DIGEST


def test_the_plan_does_not_depend_on_the_hash_seed(facts):
    code = (
        "import django; django.setup(); from dispatch import demo; "
        "print(demo.plan_digest(demo.plan(demo.facts_from_plan())))"
    )
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": "4321", "DJANGO_SETTINGS_MODULE": "fugong.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == demo.plan_digest(demo.plan(facts))


def test_the_plan_ends_on_seed_003s_figures(facts):
    planned = demo.plan(facts)
    assert len(facts) == demo.DEMO_ENTERPRISES == 2750
    assert demo.DAYS[0] == date(2020, 2, 3) and demo.DAYS[-1] == date(2020, 2, 22)
    last = [p for p in planned if p.day == demo.END]
    resumed = sum(1 for p in last if p.values["status"] != "not_resumed")
    assert resumed == 1792
    headcount = sum(f.headcount for f in facts)
    staff = sum(p.values["staff_on_site"] for p in last)
    assert abs(staff / headcount - 0.645) < 0.002
    # A few per cent missing and late every day, never nobody and never everybody.
    per_day = Counter(p.day for p in planned)
    assert set(per_day) == set(demo.DAYS)
    assert all(0.90 * 2750 < n < 0.99 * 2750 for n in per_day.values())
    late = sum(1 for p in planned if not p.on_time) / len(planned)
    assert 0.02 < late < 0.10
    # Zero cases almost everywhere, and no confirmed case at all.
    assert sum(1 for p in planned if p.values["fever"]) < 0.005 * len(planned)
    assert all(p.values["confirmed"] == 0 for p in planned)
    assert 0.05 < sum(1 for p in last if p.values["difficulties"]) / len(last) < 0.35


def test_resumption_climbs(facts):
    planned = demo.plan(facts)
    resumed = Counter(p.day for p in planned if p.values["status"] != "not_resumed")
    assert resumed[date(2020, 2, 3)] < resumed[date(2020, 2, 10)] < resumed[date(2020, 2, 17)]
    assert resumed[date(2020, 2, 17)] < resumed[date(2020, 2, 22)]


@pytest.mark.django_db
def test_load_demo_writes_the_reports_once_and_the_figures_hold():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Demo reports 2020-02-03 – 2020-02-22:" in out.getvalue()

    day = demo.END
    province = queries.figures(queries.View(prefix="15"), day)
    assert province["expected"] == 2750
    assert abs(province["resumption_rate"] - 0.65) <= 0.03
    assert province["resumed"] == 1792
    assert abs(province["staff_return_rate"] - 0.645) <= 0.005
    assert 0.95 <= province["completeness"] < 1
    assert province["timeliness"] < province["completeness"]
    assert province["confirmed"] == 0

    # The README quotes the province's brief for that day as the demo writes it.
    from stats import brief

    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    assert f"> {brief.text(queries.View(prefix='15'), day)}\n" in readme

    # Variation by city: Baotou (steel) is back faster than Chifeng.
    cities = {r.key: r.figures for r in queries.by_region(queries.View(prefix="15"), day)}
    assert cities["150200"]["resumption_rate"] > cities["150400"]["resumption_rate"] + 0.1

    # The emergency period makes the Saturday a reporting day; three counties are graded.
    period = EmergencyPeriod.objects.get(start=date(2020, 2, 3))
    assert (period.end, period.note) == (date(2020, 2, 29), "疫情防控期间每日调度")
    assert sorted(CountyRisk.objects.values_list("region_id", "level", "effective_from")) == sorted(
        demo.RISK_LEVELS
    )

    # Times look like February 2020, and the rollups equal a rebuild from the raw reports.
    reports = Report.objects.filter(date=day)
    assert all(
        r.submitted_at == r.updated_at and r.submitted_at.date() >= day for r in reports[:200]
    )
    assert reports.filter(on_time=False).exists() and reports.filter(on_time=True).exists()
    # Never corrected, each report is its own first version (no stored versions).
    assert set(Report.objects.values_list("source", flat=True).distinct()) == {"demo"}
    assert not ReportVersion.objects.exists()
    assert rollups.check() == {}

    # Again: nothing is added.
    counts = (
        Report.objects.count(),
        ReportVersion.objects.count(),
        CountyRisk.objects.count(),
        EmergencyPeriod.objects.count(),
        AuditEvent.objects.filter(action="load_demo_reports").count(),
    )
    again = demo.load()
    assert (again.reports_created, again.reports_kept) == (0, counts[0])
    assert (again.emergency_created, again.risk_levels_created) == (False, 0)
    assert counts == (
        Report.objects.count(),
        ReportVersion.objects.count(),
        CountyRisk.objects.count(),
        EmergencyPeriod.objects.count(),
        AuditEvent.objects.filter(action="load_demo_reports").count(),
    )


@pytest.mark.django_db
def test_a_locked_date_is_left_alone(facts):
    plan = registry_demo.build_plan()
    registry_demo.load(plan)
    PeriodLock.objects.create(region_id="150200", date=date(2020, 2, 10))
    some = [e.uscc for e in plan.enterprises][::5]  # a fifth of the province is enough here
    loaded = demo.load(some)
    chosen = set(some)
    planned = demo.plan([f for f in facts if f.uscc in chosen])
    baotou_on_10th = sum(1 for p in planned if p.day == date(2020, 2, 10) and p.uscc[2:6] == "1502")
    assert baotou_on_10th > 50
    assert loaded.reports_refused == baotou_on_10th
    assert loaded.reports_created == len(planned) - baotou_on_10th
    assert not Report.objects.filter(date=date(2020, 2, 10), county__startswith="1502").exists()
    assert rollups.check() == {}
