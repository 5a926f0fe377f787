"""Numbers the Chinese way (stats.numbers): exact cases from seed 003, the 万/亿 boundaries, and
properties: formatting never raises and reads back within its rounding."""

import math
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stats import numbers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, "0人"),
        (750, "750人"),
        (9999, "9999人"),
        (10_000, "1万人"),
        (687_000, "68.7万人"),  # seed 003
        (687_449, "68.7万人"),
        (686_500, "68.7万人"),  # 68.65万: half up, not to even (which gives 68.6)
        (99_950, "10万人"),  # 9.995万 rounds to 10.0: ".0" dropped
        (99_949_000, "9994.9万人"),
        (99_949_999, "9995万人"),
        (99_950_000, "9995万人"),
        (99_999_999, "1亿人"),  # would be "10000万": carried into 亿
        (100_000_000, "1亿人"),
        (140_005_000_000, "1400.1亿人"),
        (-687_000, "-68.7万人"),
        (None, "—"),
    ],
)
def test_people(value, expected):
    assert numbers.people(value) == expected


def test_other_units():
    assert numbers.enterprises(1792) == "1792户"  # seed 003
    assert numbers.enterprises(18_250) == "1.8万户"
    assert numbers.cases(3) == "3例"
    assert numbers.cases(None) == "—"
    assert numbers.count(9999.5, "人") == "1万人"  # a fraction rounds up into 万
    assert numbers.count(Decimal("12.4"), "户") == "12户"


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        (0.65, "65%"),  # seed 003
        (0.645, "64.5%"),  # seed 003
        (0.6445, "64.5%"),  # half up on the decimal value, not the binary float
        (0.6444, "64.4%"),
        (0.6667, "66.7%"),
        (0.5, "50%"),
        (1, "100%"),
        (0, "0%"),
        (1.5, "150%"),
        (0.99996, "100%"),
        (None, "—"),
        (float("nan"), "—"),
        (float("inf"), "—"),
    ],
)
def test_percent(rate, expected):
    assert numbers.percent(rate) == expected


_COUNT = re.compile(r"^(-?)(\d+(?:\.\d)?)(万|亿)?人$")


def read_count(text: str) -> float:
    """The number a formatted count stands for (what a reader takes it to mean)."""
    m = _COUNT.match(text)
    assert m, text
    scale = {"万": 10_000, "亿": 100_000_000, None: 1}[m.group(3)]
    return (-1 if m.group(1) else 1) * float(m.group(2)) * scale


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_counts_read_back_within_rounding(n):
    text = numbers.people(n)
    value = read_count(text)
    if abs(n) < 10_000:
        assert value == n and "." not in text
    else:
        # one decimal of the unit shown: within half a tenth of it
        unit = 100_000_000 if "亿" in text else 10_000
        assert abs(value - n) <= unit * 0.05 + 1e-6 * abs(n)
        assert not text.rstrip("万亿人").endswith(".0")
        assert "亿" in text or abs(value) < 100_000_000  # never "10000万"


@given(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers()))
def test_formatting_never_raises(value):
    for f in (numbers.people, numbers.enterprises, numbers.cases, numbers.percent):
        out = f(value)
        assert isinstance(out, str) and out


@given(st.floats(min_value=-10, max_value=10, allow_nan=False))
def test_percent_reads_back_within_rounding(rate):
    text = numbers.percent(rate)
    assert re.fullmatch(r"-?\d+(\.\d)?%", text), text
    assert abs(float(text[:-1]) - rate * 100) <= 0.05 + 1e-9
    assert not text.endswith(".0%")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_huge_floats_stay_finite_text(value):
    text = numbers.people(value)
    assert text.endswith("人") and not math.isnan(read_count(text))
