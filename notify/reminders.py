"""Reminders to enterprises that have not reported: at most one event per enterprise and day.

After a reporting day's cut-off, every enterprise expected that day without a report that counts
(stats.queries.not_reported, the dashboard's "not yet reported" list) gets one event, to its
reporters, keyed "reminder:<uscc>:<date>". An official's "Remind" on the dashboard (a
dispatch.Reminder row) goes out through the same event at the next run, before the cut-off too,
and is marked delivered; whichever comes first, the enterprise hears once that day. A weekly
reporter whose last report is older than its week is reminded once in seven days, not daily.
Enterprises without a reporter account have nobody to tell and are left out (an official's
reminder for one stays undelivered).

Batched: one query for the not-reported set, one each for the reminders, the reporters and the
keys already used, then bulk inserts (notify.services.publish_many). Running it again creates
nothing, so the worker runs it every few minutes.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from dispatch.calendar import cutoff_at
from dispatch.models import Cadence, Reminder
from stats.queries import View, not_reported

from .models import Event, Kind
from .services import Draft, publish_many

WEEK = timedelta(days=7)


def reminder_key(uscc: str, day: date) -> str:
    return f"reminder:{uscc}:{day.isoformat()}"


def _text(name: str, cadence: str, day: date, cutoff: datetime, now: datetime, manual: bool) -> str:
    if cadence == Cadence.WEEKLY:
        return f"{name}：近7日尚未收到贵企业的复工复产周报，请登录复工平台填报。" + (
            "（主管部门提醒）" if manual else ""
        )
    local = timezone.localtime(cutoff)
    when = f"{day.month}月{day.day}日"
    if now < cutoff:
        return (
            f"{name}：尚未收到贵企业{when}的复工复产日报，主管部门提醒您在"
            f"{local:%H:%M}前登录复工平台填报；与上次相比没有变化的，可一键提交“无变化”。"
        )
    return (
        f"{name}：截至{local:%H:%M}（填报截止时间）尚未收到贵企业{when}的复工复产日报，"
        "请登录复工平台补报；与上次相比没有变化的，可一键提交“无变化”。"
        + ("（主管部门提醒）" if manual else "")
    )


def _title(cadence: str, day: date) -> str:
    if cadence == Cadence.WEEKLY:
        return "请填报复工复产周报"
    return f"请填报{day.month}月{day.day}日复工复产日报"


def send_cutoff_reminders(day: date | None = None, now: datetime | None = None) -> int:
    """Publish the reminders due for `day` (default: today) as of `now`; the number of events."""
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    cutoff = cutoff_at(day)
    with transaction.atomic():
        missing = {
            eid: (uscc, name, cadence, county)
            for eid, uscc, name, cadence, county in not_reported(View(), day)
            .order_by()
            .values_list(
                "enterprise_id", "enterprise__uscc", "enterprise__name", "cadence", "county"
            )
        }
        manual: dict[int, list[int]] = defaultdict(list)  # enterprise → its reminder rows
        for pk, eid in Reminder.objects.filter(date=day, delivered_at__isnull=True).values_list(
            "pk", "enterprise_id"
        ):
            if eid in missing:  # one that has reported since needs no reminder
                manual[eid].append(pk)
        chosen = set(manual)
        if now >= cutoff:
            automatic = set(missing) - chosen
            weekly = {missing[e][0]: e for e in automatic if missing[e][2] == Cadence.WEEKLY}
            start = timezone.make_aware(
                datetime.combine(day - WEEK + timedelta(days=1), cutoff.time())
            )
            recently = Event.objects.filter(
                kind=Kind.REPORT_REMINDER, ref__in=list(weekly), created_at__gte=start
            ).values_list("ref", flat=True)
            chosen |= automatic - {weekly[uscc] for uscc in recently}
        if not chosen:
            return 0
        reporters: dict[int, list[User]] = defaultdict(list)
        for user in User.objects.filter(
            role=Role.REPORTER, enterprise_id__in=chosen, is_active=True
        ).order_by("pk"):
            reporters[user.enterprise_id or 0].append(user)
        drafts = []
        for eid in sorted(chosen):
            if not reporters[eid]:
                continue
            uscc, name, cadence, county = missing[eid]
            drafts.append(
                Draft(
                    kind=Kind.REPORT_REMINDER,
                    recipients=reporters[eid],
                    title=_title(cadence, day),
                    text=_text(name, cadence, day, cutoff, now, manual=eid in manual),
                    url=f"/dispatch/report/?date={day.isoformat()}",
                    ref=uscc,
                    key=reminder_key(uscc, day),
                    region_code=county,
                )
            )
        events = publish_many(drafts, now=now)
        # An official's reminder is delivered by the day's event, new or already sent.
        delivered = [pk for eid, pks in manual.items() if reporters[eid] for pk in pks]
        Reminder.objects.filter(pk__in=delivered).update(delivered_at=now)
        return len(events)
