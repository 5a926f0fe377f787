"""GET /api/v1/stats: the DESIGN.md figures, scoped; equal to a count from raw reports."""

from datetime import date

import pytest
from django.test import Client

from accounts.models import ApiToken
from dispatch.tests.factories import report
from lib import testing

DAY = date(2020, 2, 21)


def api(user) -> Client:
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def reported(world):
    report(world.steel, DAY, status="full", staff_on_site=600, capacity_pct=80)
    report(world.dairy, DAY, when=(2020, 2, 21, 17, 1), staff_on_site=150, capacity_pct=40)
    report(world.coal, DAY, status="not_resumed", staff_on_site=5, capacity_pct=0)
    return world


def test_stats_for_the_province(reported):
    r = api(reported.alice).get("/api/v1/stats?region=150000&date=2020-02-21")
    assert r.status_code == 200
    data = r.json()
    assert data["expected"] == 3  # steel, textile, dairy (coal is in Shanxi)
    assert (data["reported"], data["resumed"], data["on_time"]) == (2, 2, 1)
    assert data["resumption_rate"] == 2 / 3
    assert data["headcount"] == 800 + 120 + 300 and data["staff_on_site"] == 750
    assert data["staff_return_rate"] == 750 / 1220
    assert data["capacity_recovery"] == (80 * 800 + 40 * 300) / 1100 / 100
    assert data["completeness"] == 2 / 3 and data["timeliness"] == 1 / 3
    assert data["reporting_day"] is True


def test_stats_scope(reported):
    bob = api(reported.bob)
    assert bob.get("/api/v1/stats?region=150100&date=2020-02-21").status_code == 404
    assert bob.get("/api/v1/stats?region=150203&date=2020-02-21").json()["expected"] == 1
    assert bob.get("/api/v1/stats?date=2020-02-21").json()["expected"] == 2
    assert api(reported.dave).get("/api/v1/stats?date=2020-02-21").status_code == 404
    assert Client().get("/api/v1/stats").status_code == 401
    # the association sees its divisions (31 steel, 14 dairy) across regions
    data = api(reported.frank).get("/api/v1/stats?date=2020-02-21").json()
    assert (data["expected"], data["reported"]) == (2, 2)
    assert (
        api(reported.root).get("/api/v1/stats?region=140000&date=2020-02-21").json()["resumed"] == 0
    )


def test_a_park_outside_the_callers_subtree_is_404_and_its_name_never_shown(reported):
    from registry.models import Park

    shanxi = Park.objects.create(name="晋中某园区", region_id="140000")
    q = "date=2020-02-21&park="
    carol, bob = Client(), Client()  # carol: county 150203; bob: Baotou
    carol.force_login(reported.carol)
    bob.force_login(reported.bob)
    for path in ("/api/v1/stats", "/api/v1/brief", "/stats/", "/stats/brief/", "/stats/brief.xlsx"):
        assert carol.get(f"{path}?{q}{shanxi.pk}").status_code == 404, path
        assert carol.get(f"{path}?{q}999999").status_code == 404, path  # no such park
        assert carol.get(f"{path}?{q}{reported.park.pk}").status_code == 200, path  # her county's
    assert "晋中某园区" in api(reported.root).get(f"/api/v1/brief?{q}{shanxi.pk}").json()["text"]
    assert "园区" not in bob.get(f"/api/v1/brief?{q}0").json()["text"]  # no park asked for


def test_stats_filters(reported):
    alice = api(reported.alice)
    data = alice.get("/api/v1/stats?region=150000&date=2020-02-21&tag=livelihood").json()
    assert (data["expected"], data["reported"]) == (1, 1)
    data = alice.get("/api/v1/stats?region=150000&date=2020-02-21&industry=31").json()
    assert (data["expected"], data["reported"], data["staff_on_site"]) == (1, 1, 600)
    data = alice.get(f"/api/v1/stats?region=150000&date=2020-02-21&park={reported.park.pk}").json()
    assert data["expected"] == 1
    testing.enterprise("150203", "3110", park=reported.park)
    data = alice.get(f"/api/v1/stats?region=150000&date=2020-02-21&park={reported.park.pk}").json()
    assert data["expected"] == 2


def test_api_figures_with_weekly_reporter_correction_replay_and_late_report(world):
    """Hand-counted for Kundulun (150203) on Friday 2020-02-21: steel (daily, 800 people) reports
    late and then corrects; a weekly park enterprise (50 people) reported on Monday the 17th;
    a replay of steel's correction with the same key counts once."""
    from dispatch.tests.factories import BASE, at

    weekly = testing.enterprise("150203", above_scale=False, park=world.park, headcount=50)
    report(weekly, date(2020, 2, 17), status="full", staff_on_site=45, capacity_pct=100)
    dave = api(world.dave)
    first = {**BASE, "enterprise": world.steel.uscc, "date": "2020-02-21"}
    with at(2020, 2, 21, 18, 5):  # after the 17:00 cut-off
        assert (
            dave.post("/api/v1/reports", first, content_type="application/json").status_code == 201
        )
    fixed = {**first, "status": "full", "staff_on_site": 640, "capacity_pct": 75}
    with at(2020, 2, 21, 19, 0):
        for _ in range(2):
            r = dave.post(
                "/api/v1/reports",
                fixed,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="fix-1",
            )
            assert r.status_code == 200 and r.json()["version"] == 2
    data = api(world.carol).get("/api/v1/stats?date=2020-02-21").json()
    assert (data["expected"], data["reported"], data["resumed"], data["full"]) == (2, 2, 2, 2)
    assert (data["on_time"], data["timeliness"]) == (1, 0.5)  # the weekly report was on time
    assert data["staff_on_site"] == 640 + 45 and data["headcount"] == 850
    assert data["capacity_recovery"] == (75 * 800 + 100 * 50) / 850 / 100
    # Saturday is no working day: only the weekly reporter is expected
    data = api(world.carol).get("/api/v1/stats?date=2020-02-22").json()
    assert (data["expected"], data["reported"]) == (1, 1)


def test_fields_an_enterprise_may_not_set_change_nothing(world):
    """RELIABILITY 21: on_time, version, county in the body are ignored."""
    from dispatch.models import Report
    from dispatch.tests.factories import BASE, at

    body = {
        **BASE,
        "enterprise": world.steel.uscc,
        "date": "2020-02-21",
        "on_time": True,
        "version": 9,
        "county": "140105",
    }
    with at(2020, 2, 22, 10):
        r = api(world.dave).post("/api/v1/reports", body, content_type="application/json")
    assert r.status_code == 201
    saved = Report.objects.get()
    assert (saved.on_time, saved.version, saved.county) == (False, 1, "150203")


def test_brief_api(reported):
    r = api(reported.bob).get("/api/v1/brief?region=150200&date=2020-02-21")
    assert r.status_code == 200
    data = r.json()
    assert data["region"] == "150200" and data["date"] == "2020-02-21"
    assert data["text"].startswith("截至2月21日，包头市")
    assert "应报2户，已报1户" in data["text"]
    assert api(reported.bob).get("/api/v1/brief?region=150100&date=2020-02-21").status_code == 404
