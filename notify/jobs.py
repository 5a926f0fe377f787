"""The worker's periodic jobs for notifications and the figures (see lib/jobs.py)."""

import logging
from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role, User
from dispatch import rollups
from lib.jobs import periodic

from . import reminders
from .models import Delivery, Kind
from .services import publish

log = logging.getLogger(__name__)
KEEP_SENT = timedelta(days=30)


@periodic("notify.cutoff_reminders", every=timedelta(minutes=5), lease=timedelta(minutes=10))
def cutoff_reminders(now: datetime) -> None:
    """Idempotent (one event per enterprise and day), so running it often costs only a query."""
    reminders.send_cutoff_reminders(now=now)


@periodic("dispatch.rollup_check", at=time(2, 0), lease=timedelta(hours=2))
def rollup_check(now: datetime) -> None:
    """Compare the rollup tables with a rebuild from raw reports; tell administrators when they
    differ (they never should: the rollups are kept in the writing transaction)."""
    differing = rollups.check()
    if not differing:
        return
    summary = "，".join(f"{table} {count}行" for table, count in sorted(differing.items()))
    log.warning("rollup check: rows differ from a rebuild (%s)", summary)
    admins = User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True)
    day = timezone.localdate(now)
    with transaction.atomic():
        publish(
            Kind.ROLLUP_CHECK,
            recipients=admins,
            title=f"{day.month}月{day.day}日夜间核对：汇总数据与原始报告不一致",
            text=f"汇总表与按原始报告重算的结果不一致：{summary}。"
            "请运行 python manage.py rebuild_rollups 重建，并检查近期的数据写入。",
            key=f"rollup-check:{day.isoformat()}",
        )


@periodic("notify.cleanup", every=timedelta(hours=6))
def cleanup(now: datetime) -> None:
    """Sent deliveries are kept a month (for questions about them), then deleted; the events
    and inboxes stay."""
    Delivery.objects.filter(status=Delivery.Status.SENT, sent_at__lt=now - KEEP_SENT).delete()
