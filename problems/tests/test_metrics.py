"""Metrics against a hand-counted fixture: Baotou (150200) over 17–18 February 2020, asked on
the 20th at 09:00. See problems/metrics.py for the definitions.

| problem | raised | desk | what happened | counts as |
|---|---|---|---|---|
| A steel labour | 17th 09:00 | county HR (henry) | accepted 10:00, answered 13:00 (4 h), rated 5 on the 18th 09:00, closed 18th 10:00 | new, due, responded, resolved, rated+satisfied, closed, answered |
| B steel transport | 17th 10:00 | county transport (kate) | accepted late on the 19th 09:00, answered 10:00, rated 2 on the 19th | new, due, resolved (confirmed) |
| C textile labour | 18th 09:00 | city HR (grace) | nothing; accept by the 19th 18:00 | new, due, overdue |
| D steel labour, urgent | 18th 11:00 | county HR | accepted 12:00, answered 20:00 (9 h), rated 3 at 21:00 | new, due, responded, resolved, rated, answered |
| E steel labour | 18th 19:00 | county HR | nothing; after hours: accept by the 20th 18:00 | new |
| F dairy (Hohhot) | 17th 09:00 | province HR | — | outside Baotou |
| G steel labour | 10th 10:00 | county HR | accepted 10:00 the 10th, answer by the 17th 18:00, never answered | overdue |
"""

from datetime import date, datetime

import pytest
from django.utils import timezone

from problems import metrics

from .factories import raise_, step

NOW = timezone.make_aware(datetime(2020, 2, 20, 9, 0))
START, END = date(2020, 2, 17), date(2020, 2, 18)


@pytest.fixture
def fixture(world, desks):
    a = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    step("accept", desks.henry, a, when=(2020, 2, 17, 10, 0))
    step("answer", desks.henry, a, when=(2020, 2, 17, 13, 0), text="已安排")
    step("confirm", world.dave, a, when=(2020, 2, 18, 9, 0), rating=5)
    step("close", desks.henry, a, when=(2020, 2, 18, 10, 0))
    b = raise_(world.dave, world.steel, when=(2020, 2, 17, 10, 0), category="transport")
    step("accept", desks.kate, b, when=(2020, 2, 19, 9, 0))
    step("answer", desks.kate, b, when=(2020, 2, 19, 10, 0), text="已协调")
    step("confirm", world.dave, b, when=(2020, 2, 19, 11, 0), rating=2)
    c = raise_(world.bob, world.textile, when=(2020, 2, 18, 9, 0))
    d = raise_(world.dave, world.steel, when=(2020, 2, 18, 11, 0), urgency="urgent")
    step("accept", desks.henry, d, when=(2020, 2, 18, 12, 0))
    step("answer", desks.henry, d, when=(2020, 2, 18, 20, 0), text="已处理")
    step("confirm", world.dave, d, when=(2020, 2, 18, 21, 0), rating=3)
    e = raise_(world.dave, world.steel, when=(2020, 2, 18, 19, 0))
    f = raise_(world.alice, world.dairy, when=(2020, 2, 17, 9, 0))
    g = raise_(world.dave, world.steel, when=(2020, 2, 10, 10, 0))
    step("accept", desks.henry, g, when=(2020, 2, 10, 10, 30))
    return {"A": a, "B": b, "C": c, "D": d, "E": e, "F": f, "G": g}


def test_figures_of_the_subtree(fixture, django_assert_num_queries):
    with django_assert_num_queries(2):  # one aggregate, one median read of two rows
        got = metrics.figures("1502", START, END, now=NOW)
    assert got == {
        "new": 5,
        "closed": 1,
        "due": 4,
        "responded": 2,
        "resolved": 3,
        "rated": 2,
        "satisfied": 1,
        "overdue": 2,
        "answered": 2,
        "response_rate": 0.5,
        "resolution_rate": 0.6,
        "satisfaction_rate": 0.5,
        "median_hours_to_answer": 6.5,
    }


def test_the_province_includes_hohhot_and_a_county_only_itself(fixture):
    assert metrics.figures("15", START, END, now=NOW)["new"] == 6
    county = metrics.figures("150204", START, END, now=NOW)
    assert (county["new"], county["overdue"], county["due"], county["responded"]) == (1, 1, 1, 0)
    assert county["median_hours_to_answer"] is None and county["response_rate"] == 0.0
    assert county["satisfaction_rate"] is None  # nothing rated: no rate, not 0


def test_by_kind_and_by_handler_filters(fixture, desks):
    transport = metrics.figures("1502", START, END, kind="transport", now=NOW)
    assert (transport["new"], transport["resolved"], transport["due"]) == (1, 1, 1)
    henry = metrics.figures("1502", START, END, handler_id=desks.henry.pk, now=NOW)
    assert (henry["new"], henry["overdue"], henry["median_hours_to_answer"]) == (3, 1, 6.5)


def test_by_department(fixture, desks):
    rows = {r["department"].pk: r for r in metrics.by_department("1502", START, END, now=NOW)}
    assert set(rows) == {desks.county_hr.pk, desks.county_transport.pk, desks.city_hr.pk}
    hr = rows[desks.county_hr.pk]
    assert (hr["new"], hr["closed"], hr["due"], hr["responded"], hr["resolved"]) == (3, 1, 2, 2, 2)
    assert (hr["rated"], hr["satisfied"], hr["overdue"], hr["median_hours_to_answer"]) == (
        2,
        1,
        1,
        6.5,
    )
    assert rows[desks.city_hr.pk]["overdue"] == 1
    assert rows[desks.county_transport.pk]["response_rate"] == 0.0


def test_by_handler(fixture):
    rows = {r["username"]: r for r in metrics.by_handler("1502", START, END, now=NOW)}
    assert set(rows) == {"henry", "kate", "grace"}
    assert (rows["henry"]["new"], rows["kate"]["new"], rows["grace"]["new"]) == (3, 1, 1)
    assert rows["grace"]["overdue"] == 1


def test_category_mix_per_day(fixture):
    assert metrics.category_mix("1502", START, END) == [
        {"date": date(2020, 2, 17), "category": "labour", "count": 1},
        {"date": date(2020, 2, 17), "category": "transport", "count": 1},
        {"date": date(2020, 2, 18), "category": "labour", "count": 3},
    ]


def test_brief_line(fixture):
    assert (
        metrics.brief_line("150200", date(2020, 2, 17)) == "本日新增诉求2件，办结0件，尚无企业评价"
    )
    assert metrics.brief_line("150200", date(2020, 2, 18)) == "本日新增诉求3件，办结1件，满意率50%"
    # by the 19th B's 2 is in: one of three ratings is 4 or 5
    assert (
        metrics.brief_line("150200", date(2020, 2, 19)) == "本日新增诉求0件，办结0件，满意率33.3%"
    )
    assert metrics.brief_line("150000", date(2020, 2, 17)).startswith("本日新增诉求3件")


def test_a_day_is_a_local_day(world, desks):
    # 23:30 local on the 17th is 15:30 UTC: it counts on the 17th, not the 18th
    raise_(world.dave, world.steel, when=(2020, 2, 17, 23, 30))
    assert metrics.figures("1502", date(2020, 2, 17), date(2020, 2, 17), now=NOW)["new"] == 1
    assert metrics.figures("1502", date(2020, 2, 18), date(2020, 2, 18), now=NOW)["new"] == 0
