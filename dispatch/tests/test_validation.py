"""dispatch.validation: headcount_needed, the least headcount with which clean() accepts a report
(dispatch.quick's statement compares it with the enterprise's own), and clean()'s short way for
well-typed input, which must give the long way's answer or leave the input to it."""

from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dispatch import validation
from dispatch.tests.factories import BASE

TODAY = date(2020, 2, 22)
_REPORTS = st.fixed_dictionaries(
    {
        "date": st.just("2020-02-21"),
        "status": st.sampled_from(["not_resumed", "partial", "full"]),
        "staff_on_site": st.integers(min_value=0, max_value=400),
        "capacity_pct": st.integers(min_value=0, max_value=150),
        "temperature_checks": st.booleans(),
        "disinfection": st.booleans(),
        "mask_days": st.integers(min_value=0, max_value=30),
        "fever": st.integers(min_value=0, max_value=400),
        "suspected": st.integers(min_value=0, max_value=5),
        "confirmed": st.integers(min_value=0, max_value=5),
        "over_headcount_reason": st.sampled_from(["", "  ", "春节后返岗高峰"]),
    }
)


@given(_REPORTS, st.integers(min_value=0, max_value=500))
@settings(max_examples=500, deadline=None)
def test_a_report_passes_with_a_headcount_exactly_from_the_one_it_needs(raw, headcount):
    unbounded = validation.clean(raw, headcount=10**12, today=TODAY)
    checked = validation.clean(raw, headcount=headcount, today=TODAY)
    if unbounded.errors:  # a rule that does not read the headcount: no headcount helps
        assert checked.errors
        return
    needed = validation.headcount_needed(unbounded.values)
    assert (not checked.errors) is (headcount >= needed)
    if not checked.errors:
        assert checked.values == unbounded.values


def test_what_a_report_needs():
    base = {
        "date": "2020-02-21",
        "status": "partial",
        "capacity_pct": 50,
        "temperature_checks": True,
        "disinfection": True,
        "mask_days": 7,
        "suspected": 0,
        "confirmed": 0,
    }

    def needed(**over) -> int:
        cleaned = validation.clean({**base, **over}, headcount=10**12, today=TODAY)
        return validation.headcount_needed(cleaned.values)

    assert needed(staff_on_site=120, fever=0) == 120
    assert needed(staff_on_site=120, fever=0, over_headcount_reason="返岗高峰") == 0
    assert needed(staff_on_site=10, fever=30) == 30
    assert needed(staff_on_site=10, fever=30, over_headcount_reason="返岗高峰") == 30


# Well-typed reports (the short way's), some of their fields then replaced by values it leaves to
# the long way (words, numbers as text, floats, blanks, NUL, numbers out of range, unknown
# difficulties), to hold the two ways to one answer.
_TYPED = st.fixed_dictionaries(
    {
        "date": st.sampled_from(["2020-02-21", "2020-02-22", "2020-02-23", "1999-12-31"]),
        "status": st.sampled_from(["not_resumed", "partial", "full", "全面复工", "部分复工"]),
        "staff_on_site": st.integers(min_value=0, max_value=600),
        "capacity_pct": st.integers(min_value=0, max_value=151),
        "temperature_checks": st.booleans(),
        "disinfection": st.booleans(),
        "mask_days": st.integers(min_value=0, max_value=30),
        "fever": st.integers(min_value=0, max_value=600),
        "suspected": st.integers(min_value=0, max_value=3),
        "confirmed": st.integers(min_value=0, max_value=3),
        "difficulties": st.lists(
            st.sampled_from([*validation.DIFFICULTY_CODES, "用工", "资金"]), max_size=5
        ),
        "note": st.sampled_from(["", " 缺电 ", "n" * 2000]),
        "over_headcount_reason": st.sampled_from(["", "  ", "返岗高峰"]),
    }
)
_ODD = st.sampled_from(
    [None, "", " 3 ", "7", 2.0, 2.5, True, -1, 1_000_001, "是", " full", "a\x00b", "n" * 2001]
)
_ANY_REPORTS = st.tuples(
    _TYPED, st.dictionaries(st.sampled_from(sorted(validation.FIELDS)), _ODD, max_size=2)
).map(lambda pair: {**pair[0], **pair[1]})


@given(
    _ANY_REPORTS,
    st.integers(min_value=0, max_value=600),
    st.sampled_from(["", "fever", "staff_on_site"]),
    st.integers(min_value=-1, max_value=1),
)
@settings(max_examples=3000, deadline=None)
def test_the_short_way_gives_the_long_ways_answer_or_none(raw, headcount, near, by):
    if near and type(raw[near]) is int:  # a headcount at a rule's edge
        headcount = max(0, raw[near] + by)
    short = validation._clean_fast(raw, headcount, TODAY)
    long = validation._clean(raw, headcount=headcount, today=TODAY)
    if short is not None:
        assert not long.errors and short.values == long.values and not short.errors
        assert {k: type(v) for k, v in short.values.items()} == {
            k: type(v) for k, v in long.values.items()
        }


@given(_REPORTS, st.lists(st.sampled_from(validation.DIFFICULTY_CODES), max_size=6))
@settings(max_examples=500, deadline=None)
def test_well_typed_valid_reports_take_the_short_way(raw, difficulties):
    raw = {**raw, "difficulties": difficulties, "note": " 缺电 "}
    if validation._clean(raw, headcount=10**6, today=TODAY).errors:
        return
    short = validation._clean_fast(raw, 10**6, TODAY)
    assert short is not None
    assert short.values["difficulties"] == [
        c for c in validation.DIFFICULTY_CODES if c in difficulties
    ]


# Numbers as text: only ASCII digits make a number. str.isdigit() also takes "²" and "①", which
# int() then refuses, and int() refuses text of more than 4,300 digits: both answered 500.
WHOLE = "应为整数 (a whole number)"
_VALID = {**BASE, "date": "2020-02-21"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("²", WHOLE),
        ("①", WHOLE),
        ("٣", WHOLE),  # an Arabic-Indic three: a decimal digit, but not one we take
        ("12²", WHOLE),
        ("-²", WHOLE),
        ("9" * 5000, "between 0 and 1000000"),
        ("-" + "9" * 5000, "between 0 and 1000000"),
        ("0" * 5000 + "7", None),
        (" 1,200 ", None),
        ("35%", None),
        ("7.0", None),
        ("１２０", None),  # full-width, as a Chinese input method types them
        ("５０％", None),
        ("１，２００", None),
        ("－１", "between 0 and 1000000"),
    ],
)
def test_numbers_as_text_take_ascii_digits_only(text, message):
    cleaned = validation.clean({**_VALID, "staff_on_site": text}, headcount=10**6, today=TODAY)
    if message is None:
        assert "staff_on_site" not in cleaned.errors
    else:
        assert message in cleaned.errors["staff_on_site"]


def test_full_width_digits_read_as_the_number_they_write():
    for text, value in (("１２０", 120), ("５０％", 50), ("１，２００", 1200), ("０７", 7)):
        cleaned = validation.clean({**_VALID, "staff_on_site": text}, headcount=10**6, today=TODAY)
        assert cleaned.values["staff_on_site"] == value, text


@given(st.text(max_size=30) | st.integers().map(str), st.sampled_from(validation.COUNTS))
@example("²", "staff_on_site")
@example("9" * 5000, "fever")
@settings(max_examples=1000, deadline=None)
def test_any_text_for_a_number_gives_a_number_or_an_error(text, name):
    """RELIABILITY check 18: only validation errors escape the rule set."""
    cleaned = validation.clean({**_VALID, name: text}, headcount=10**6, today=TODAY)
    if name in cleaned.errors:
        return
    assert type(cleaned.values[name]) is int and 0 <= cleaned.values[name] <= validation.MAX_CASES
    # "²", "①", "٣" are refused; full-width digits are read as the digits they are
    assert not any(
        c.isdigit() and not c.isascii() and c not in "０１２３４５６７８９" for c in text
    )
