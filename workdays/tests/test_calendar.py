from datetime import date

from workdays.calendar import add_workdays, is_workday
from workdays.models import DayOverride


def test_package_knows_holidays_and_adjusted_workdays(db):
    assert is_workday(date(2020, 1, 19))  # a Sunday worked before the 2020 Spring Festival
    assert not is_workday(date(2020, 1, 27))  # Spring Festival (extended)
    assert is_workday(date(2020, 2, 10))


def test_override_wins_over_the_package(db):
    DayOverride.objects.create(date=date(2020, 2, 10), is_workday=False, note="local holiday")
    assert not is_workday(date(2020, 2, 10))


def test_years_the_package_lacks_fall_back_to_monday_to_friday_unless_overridden(db, caplog):
    assert is_workday(date(2027, 3, 1))  # a Monday
    assert not is_workday(date(2027, 3, 6))  # a Saturday
    assert "no data for 2027" in caplog.text
    DayOverride.objects.create(date=date(2027, 2, 8), is_workday=False, note="Spring Festival 2027")
    assert not is_workday(date(2027, 2, 8))


def test_add_workdays_skips_holidays(db):
    # 2020-09-30 + 1 working day: National Day holiday runs to 10-08.
    assert add_workdays(date(2020, 9, 30), 1) == date(2020, 10, 9)
