"""Cut-off reminders: after the cut-off, one event per expected enterprise without a report, to
its reporters; officials' reminders go through the same event (still one per enterprise and
day), before the cut-off too; weekly reporters once a week; running again creates nothing."""

from datetime import date, datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from dispatch import actions
from dispatch.models import Reminder
from dispatch.tests.factories import report
from lib import testing
from notify.models import Event, InboxItem, Kind
from notify.reminders import reminder_key, send_cutoff_reminders

FRI = date(2020, 2, 21)  # a working day
SAT = date(2020, 2, 22)
NEXT_THU = date(2020, 2, 27)
NEXT_FRI = date(2020, 2, 28)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


@pytest.fixture
def town(world):
    """Reporters for every enterprise but one; steel reports on Friday morning; a weekly park
    reporter that has not reported for a week."""
    world.tina = testing.user("tina", Role.REPORTER, enterprise=world.textile)
    world.dan = testing.user("dan", Role.REPORTER, enterprise=world.dairy)
    world.cole = testing.user("cole", Role.REPORTER, enterprise=world.coal)
    world.cody = testing.user("cody", Role.REPORTER, enterprise=world.coal)
    world.parkco = testing.enterprise(
        "150203", name="园区小企业", park=world.park, above_scale=False
    )
    world.pam = testing.user("pam", Role.REPORTER, enterprise=world.parkco)
    world.lonely = testing.enterprise("150204", name="无人填报企业")  # no reporter account
    report(world.steel, FRI, actor=world.dave)
    return world


def reminded(day: date) -> dict[str, list[str]]:
    """USCC → recipients' usernames of the reminder events for `day`."""
    out: dict[str, list[str]] = {}
    for e in Event.objects.filter(kind=Kind.REPORT_REMINDER, key__endswith=f":{day}"):
        out[e.ref] = sorted(
            InboxItem.objects.filter(event=e).values_list("user__username", flat=True)
        )
    return out


def test_nothing_before_the_cut_off(town):
    assert send_cutoff_reminders(FRI, now=local(FRI, 16, 59)) == 0
    assert not Event.objects.exists()


def test_after_the_cut_off_each_non_reporter_is_reminded_once(town):
    assert send_cutoff_reminders(FRI, now=local(FRI, 17, 5)) == 4
    assert reminded(FRI) == {
        town.textile.uscc: ["tina"],
        town.dairy.uscc: ["dan"],
        town.coal.uscc: ["cody", "cole"],
        town.parkco.uscc: ["pam"],  # weekly, and nothing for a week
    }
    event = Event.objects.get(ref=town.textile.uscc)
    assert event.key == reminder_key(town.textile.uscc, FRI)
    assert event.title == "请填报2月21日复工复产日报"
    assert "截至17:00（填报截止时间）尚未收到贵企业2月21日的复工复产日报" in event.text
    assert event.text.startswith("青山纺织：")
    assert event.url == "/dispatch/report/?date=2020-02-21"
    assert event.region_code == "150204"
    weekly = Event.objects.get(ref=town.parkco.uscc)
    assert weekly.title == "请填报复工复产周报"
    # again, and again later: nothing new
    assert send_cutoff_reminders(FRI, now=local(FRI, 17, 10)) == 0
    assert send_cutoff_reminders(FRI, now=local(FRI, 23, 55)) == 0
    assert Event.objects.count() == 4


def test_a_report_after_the_cut_off_stops_later_reminders_only(town):
    report(town.textile, FRI, actor=town.tina, when=(2020, 2, 21, 17, 3))
    assert send_cutoff_reminders(FRI, now=local(FRI, 17, 5)) == 3
    assert town.textile.uscc not in reminded(FRI)


def test_weekly_reporters_are_reminded_once_a_week_not_daily(town):
    send_cutoff_reminders(FRI, now=local(FRI, 17, 5))
    # Saturday is no reporting day for daily reporters; the weekly one was told yesterday.
    assert send_cutoff_reminders(SAT, now=local(SAT, 17, 5)) == 0
    assert send_cutoff_reminders(NEXT_THU, now=local(NEXT_THU, 17, 5)) == 4  # daily ones only
    assert town.parkco.uscc not in reminded(NEXT_THU)
    assert send_cutoff_reminders(NEXT_FRI, now=local(NEXT_FRI, 17, 5)) == 5
    assert reminded(NEXT_FRI)[town.parkco.uscc] == ["pam"]  # a week later, again


def test_a_weekly_report_stops_the_weekly_reminder(town):
    report(town.parkco, date(2020, 2, 24), actor=town.pam)
    send_cutoff_reminders(NEXT_FRI, now=local(NEXT_FRI, 17, 5))
    assert town.parkco.uscc not in reminded(NEXT_FRI)


def test_an_officials_reminder_goes_out_at_once_and_is_the_days_only_one(town):
    actions.remind(actor=town.bob, enterprises=[town.textile], day=FRI)
    assert send_cutoff_reminders(FRI, now=local(FRI, 10, 5)) == 1
    event = Event.objects.get()
    assert event.ref == town.textile.uscc
    assert "主管部门提醒您在17:00前登录复工平台填报" in event.text
    row = Reminder.objects.get()
    assert row.delivered_at == local(FRI, 10, 5)
    # after the cut-off: the others, and not textile again
    assert send_cutoff_reminders(FRI, now=local(FRI, 17, 5)) == 3
    assert Event.objects.filter(ref=town.textile.uscc).count() == 1


def test_an_officials_reminder_after_the_days_event_is_delivered_by_it(town):
    send_cutoff_reminders(FRI, now=local(FRI, 17, 5))
    actions.remind(actor=town.bob, enterprises=[town.textile, town.lonely], day=FRI)
    assert send_cutoff_reminders(FRI, now=local(FRI, 17, 30)) == 0
    assert Event.objects.filter(ref=town.textile.uscc).count() == 1
    delivered = dict(Reminder.objects.values_list("enterprise_id", "delivered_at"))
    assert delivered[town.textile.pk] == local(FRI, 17, 30)
    assert delivered[town.lonely.pk] is None  # nobody to tell


def test_an_officials_reminder_for_an_enterprise_that_has_reported_since_is_not_sent(town):
    actions.remind(actor=town.bob, enterprises=[town.textile], day=FRI)
    report(town.textile, FRI, actor=town.tina)
    assert send_cutoff_reminders(FRI, now=local(FRI, 10, 5)) == 0
    assert Reminder.objects.get().delivered_at is None


def test_enterprises_without_reporter_accounts_get_no_event(town):
    send_cutoff_reminders(FRI, now=local(FRI, 17, 5))
    assert town.lonely.uscc not in reminded(FRI)


def test_one_batch_of_queries_whatever_the_number_of_enterprises(
    town, django_assert_max_num_queries
):
    with django_assert_max_num_queries(20) as few:
        send_cutoff_reminders(FRI, now=local(FRI, 17, 5))
    for n in range(40):
        e = testing.enterprise("150203", name=f"批量{n}")
        testing.user(f"r{n}", Role.REPORTER, enterprise=e)
    with django_assert_max_num_queries(len(few.captured_queries) + 4):
        assert send_cutoff_reminders(NEXT_FRI, now=local(NEXT_FRI, 17, 5)) == 45
