"""Running the periodic jobs of lib/jobs.py: a row per job says when it runs next and which
worker holds it (a compare-and-set on the lease), so two workers never run a job at once and a
job whose worker was killed runs again once its lease is over."""

import logging
from datetime import datetime

from django.db.models import F, Q
from django.utils import timezone

from lib.jobs import Job, jobs

from .models import JobState

log = logging.getLogger(__name__)


def _ensure_rows(registered: dict[str, Job], now: datetime) -> None:
    known = set(JobState.objects.filter(name__in=registered).values_list("name", flat=True))
    missing = [
        JobState(name=name, next_run_at=job.first_run(now))
        for name, job in registered.items()
        if name not in known
    ]
    if missing:
        JobState.objects.bulk_create(missing, ignore_conflicts=True)  # another worker may race


def _claim(job: Job, now: datetime) -> bool:
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    return (
        JobState.objects.filter(free, name=job.name, next_run_at__lte=now).update(
            leased_until=now + job.lease, last_started=now
        )
        == 1
    )


def run(job: Job, now: datetime) -> bool:
    """Run a claimed job and schedule its next run; True when it finished without an error."""
    error = ""
    try:
        job.func(now)
    except Exception as exc:
        log.exception("periodic job %s failed", job.name)
        error = type(exc).__name__
    JobState.objects.filter(name=job.name).update(
        next_run_at=job.next_run(now),
        leased_until=None,
        last_finished=timezone.now(),
        last_error=error,
        runs=F("runs") + 1,
    )
    return not error


def run_due(now: datetime | None = None) -> int:
    """Run every registered job that is due and free; the number run."""
    now = now or timezone.now()
    registered = jobs()
    _ensure_rows(registered, now)
    ran = 0
    for name in sorted(registered):
        job = registered[name]
        if _claim(job, now):
            run(job, now)
            ran += 1
    return ran
