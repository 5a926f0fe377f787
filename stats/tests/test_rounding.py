"""A rate reads the same wherever it is shown: the dashboard's cards and tables, the map, the
brief and its spreadsheet all round the exact fraction half up to one decimal of a percent.

The figures behind them (stats.queries.derive) keep the fraction unrounded: a rate first
rounded to four places and then to one decimal of a percent reads 54.6% for 6 of 11 (54.545…%).
"""

from fractions import Fraction

import pytest

from stats import numbers, queries, tables, views


def by_hand(part: int, whole: int) -> str:
    """Half up to one decimal of a percent, in exact arithmetic."""
    tenths = (Fraction(part, whole) * 1000 + Fraction(1, 2)).__floor__()
    return f"{tenths // 10}.{tenths % 10}%"


def figures(resumed: int, expected: int) -> dict:
    return queries.derive(
        {"expected": expected, "headcount": expected * 10},
        {"resumed": resumed, "reported": resumed, "on_time": resumed, "staff_on_site": resumed},
    )


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(6, 11, "54.5%"), (15, 19, "78.9%"), (7, 13, "53.8%"), (3, 17, "17.6%"), (1, 16, "6.3%")],
)
def test_known_cases_read_alike_on_the_dashboard_the_map_and_in_the_brief(part, whole, shown):
    rate = figures(part, whole)["resumption_rate"]
    assert rate == part / whole
    assert views._pct(rate) == shown
    assert tables._pct(rate) == float(shown[:-1])
    assert numbers.percent(rate) == shown.replace(".0%", "%")


def test_every_fraction_up_to_400_reads_as_rounded_by_hand():
    for whole in range(1, 400):
        for part in range(whole + 1):
            f = figures(part, whole)
            expected = by_hand(part, whole)
            for key in ("resumption_rate", "completeness", "timeliness"):
                assert views._pct(f[key]) == expected, (part, whole, key)
            assert numbers.percent(f["resumption_rate"]) == expected.replace(".0%", "%")


def test_capacity_recovery_is_not_rounded_before_it_is_shown():
    f = queries.derive(
        {"expected": 3, "headcount": 30},
        {"reported": 3, "capacity_weighted": 6 * 100, "weight": 11},
    )
    assert f["capacity_recovery"] == 600 / 11 / 100  # 54.545…%
    assert views._pct(f["capacity_recovery"]) == "54.5%"


def test_a_change_in_points_is_rounded_half_up_and_never_reads_minus_zero():
    now, before = figures(1, 16), figures(0, 16)  # 6.25 points up
    card = next(c for c in views.kpis(now, before) if c["key"] == "resumption_rate")
    assert (card["delta_text"], card["trend"]) == ("+6.3", "up")
    card = next(c for c in views.kpis(before, now) if c["key"] == "resumption_rate")
    assert (card["delta_text"], card["trend"]) == ("-6.3", "down")
    same = next(
        c
        for c in views.kpis(figures(1000, 3002), figures(1000, 3001))
        if c["key"] == "resumption_rate"
    )
    assert (same["delta_text"], same["trend"]) == ("+0.0", "")  # 0.011 points down
