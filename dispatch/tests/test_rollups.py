"""Rollups kept by delta equal a rebuild from raw reports, and the figures are exact."""

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dispatch import duties, rollups
from dispatch.models import CountyDay, Duty, EmergencyPeriod, Report, ReportVersion
from lib import testing
from stats import queries

from .factories import report

FRI, SAT, MON = date(2020, 2, 21), date(2020, 2, 22), date(2020, 2, 24)
WEEKLY_DAY = date(2020, 2, 17)


@pytest.fixture
def baotou(world):
    """Three expected reporters in Baotou (two daily, one weekly) and one with no duty."""
    weekly = testing.enterprise("150203", above_scale=False, park=world.park, headcount=50)
    free = testing.enterprise("150204", above_scale=False, headcount=40)
    report(world.steel, FRI, status="full", staff_on_site=700, capacity_pct=90)
    report(world.textile, FRI, when=(2020, 2, 21, 18, 30), staff_on_site=60, capacity_pct=50)
    report(weekly, WEEKLY_DAY, staff_on_site=30, capacity_pct=60)
    report(free, FRI, staff_on_site=40, capacity_pct=100, status="full")
    return world, weekly, free


def test_duties_follow_the_rules(baotou):
    world, weekly, free = baotou
    cadence = dict(Duty.objects.values_list("enterprise_id", "cadence"))
    assert cadence[world.steel.pk] == "daily"
    assert cadence[weekly.pk] == "weekly"
    assert cadence[free.pk] == ""


def test_figures_are_hand_counted(baotou):
    view = queries.View(prefix="1502")
    f = queries.figures(view, FRI)
    assert (f["expected"], f["reported"], f["resumed"], f["full"]) == (3, 3, 3, 1)
    assert f["headcount"] == 800 + 120 + 50
    assert f["staff_on_site"] == 700 + 60 + 30
    assert f["staff_return_rate"] == 790 / 970
    assert f["capacity_recovery"] == (90 * 800 + 50 * 120 + 60 * 50) / 970 / 100
    assert f["on_time"] == 2  # textile came in after the 17:00 cut-off
    assert f["timeliness"] == 2 / 3
    assert f["resumption_rate"] == 1.0
    assert f == queries.from_raw(view, FRI)


def test_non_reporting_day_counts_weekly_reporters_only(baotou):
    f = queries.figures(queries.View(prefix="1502"), SAT)
    assert (f["expected"], f["reported"]) == (1, 1)
    f = queries.figures(queries.View(prefix="1502"), MON)
    assert (f["expected"], f["reported"]) == (3, 0)  # the weekly report of the 17th has lapsed


def test_emergency_makes_every_day_a_reporting_day(baotou):
    EmergencyPeriod.objects.create(start=date(2020, 2, 1))
    f = queries.figures(queries.View(prefix="1502"), SAT)
    assert (f["expected"], f["reported"]) == (3, 1)


def test_correction_moves_the_figures_and_keeps_versions(baotou):
    world, _, _ = baotou
    outcome = report(world.textile, FRI, status="full", staff_on_site=100, capacity_pct=80)
    assert not outcome.created and outcome.report.version == 2
    f = queries.figures(queries.View(prefix="1502"), FRI)
    assert (f["full"], f["staff_on_site"], f["on_time"]) == (2, 830, 2)
    versions = ReportVersion.objects.filter(report=outcome.report).order_by("version")
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].changes["staff_on_site"] == [60, 100]
    assert rollups.check() == {}


def test_unchanged_resubmission_writes_nothing(baotou):
    world, _, _ = baotou
    outcome = report(world.steel, FRI, status="full", staff_on_site=700, capacity_pct=90)
    assert not outcome.changed
    assert Report.objects.get(enterprise=world.steel, date=FRI).version == 1


def test_register_change_moves_past_reports(baotou):
    world, _, _ = baotou
    world.steel.region_id = "150204"
    world.steel.save()
    duties.sync([world.steel.pk])
    assert CountyDay.objects.get(county="150204", date=FRI, cadence="daily").reported == 2
    assert rollups.check() == {}


STATUSES = st.sampled_from(["not_resumed", "partial", "full"])
WRITE = st.tuples(
    st.integers(0, 3),  # which enterprise
    st.integers(0, 13),  # which day
    STATUSES,
    st.integers(1, 50),  # staff
    st.integers(0, 150),  # capacity
    st.booleans(),  # late
)


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(writes=st.lists(WRITE, min_size=1, max_size=25))
def test_incremental_equals_rebuild(world, writes):
    """Random writes and corrections (same enterprise and date again) by daily and weekly
    reporters, on time and late: the kept rollups equal a rebuild from raw reports."""
    Report.objects.all().delete()
    rollups.rebuild()
    pool = [
        world.steel,
        world.dairy,
        testing.enterprise("150203", above_scale=False, park=world.park, headcount=60),
        testing.enterprise("150102", above_scale=False, headcount=60, tags=("backbone",)),
    ]
    start = date(2020, 2, 3)
    for who, offset, status, staff, capacity, late in writes:
        day = start + timedelta(days=offset)
        capacity = 0 if status == "not_resumed" else capacity
        report(
            pool[who],
            day,
            when=(day.year, day.month, day.day, 20 if late else 8, 0),
            status=status,
            staff_on_site=staff,
            capacity_pct=capacity,
        )
    assert rollups.check() == {}
    for day in (start + timedelta(days=i) for i in range(14)):
        assert queries.figures(queries.View(prefix="15"), day) == queries.from_raw(
            queries.View(prefix="15"), day
        )
