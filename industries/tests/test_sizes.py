from decimal import Decimal

import pytest

from industries.sizes import SizeClass, sector_rules, size_class


@pytest.mark.parametrize(
    ("headcount", "revenue", "expected"),
    [
        (1000, 40000, SizeClass.LARGE),
        (1000, 39999, SizeClass.MEDIUM),  # large needs both bounds
        (999, 40000, SizeClass.MEDIUM),
        (300, 2000, SizeClass.MEDIUM),
        (299, 2000, SizeClass.SMALL),
        (20, 300, SizeClass.SMALL),
        (19, 300000, SizeClass.MICRO),  # micro needs only one indicator below the small bound
        (20, 299, SizeClass.MICRO),
    ],
)
def test_industry_boundaries(headcount, revenue, expected):
    assert size_class("3110", "C", headcount, Decimal(revenue)) == expected


def test_retail_uses_its_own_thresholds():
    assert size_class("5211", "F", 300, Decimal(20000)) == SizeClass.LARGE
    assert size_class("5211", "F", 50, Decimal(500)) == SizeClass.MEDIUM
    assert size_class("5111", "F", 50, Decimal(5000)) == SizeClass.MEDIUM  # wholesale: 20 and 5000
    assert size_class("5111", "F", 10, Decimal(1000)) == SizeClass.SMALL
    assert size_class("5111", "F", 50, Decimal(500)) == SizeClass.MICRO


def test_agriculture_by_revenue_only_and_missing_revenue_uses_headcount():
    assert size_class("0111", "A", None, Decimal(20000)) == SizeClass.LARGE
    assert size_class("3110", "C", 1200, None) == SizeClass.LARGE


def test_most_specific_sector_wins():
    assert {t.sector for t in sector_rules("7010", "K")} == {"房地产开发经营"}
    assert {t.sector for t in sector_rules("7020", "K")} == {"物业管理"}
    assert {t.sector for t in sector_rules("9411", "S")} == {"其他未列明行业"}
    assert {t.sector for t in sector_rules("0610", "B")} == {"工业"}
