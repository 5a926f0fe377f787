"""dispatch.validation.headcount_needed: the least headcount with which clean() accepts a report,
which dispatch.quick's statement compares with the enterprise's own."""

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch import validation

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
