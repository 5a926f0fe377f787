"""Periodic jobs for the worker: each app declares its own in a `jobs.py` module.

    from lib.jobs import periodic

    @periodic("cutoff_reminders", every=timedelta(minutes=5))
    def cutoff_reminders(now): ...

    @periodic("rollup_check", at=time(2, 0))  # once a day, at this local time
    def rollup_check(now): ...

A job is a plain function of the current time. Which jobs are due, and who runs them, is kept in
the database by notify.schedule (a leased row per job), so two workers never run the same job at
once and a job whose worker was killed runs again once its lease is over. Jobs must therefore be
safe to run again after an interruption (idempotent, or one transaction).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

JobFunc = Callable[[datetime], object]


@dataclass(frozen=True)
class Job:
    name: str
    func: JobFunc
    every: timedelta | None = None  # run again this long after the last start
    at: time | None = None  # or: once a day at this local time
    lease: timedelta = timedelta(minutes=15)  # longer than a run can take

    def first_run(self, now: datetime) -> datetime:
        """When a job never seen before first runs: interval jobs at once, daily ones at their
        next time of day (a fresh worker does not start with the nightly check)."""
        return now if self.at is None else self.next_run(now)

    def next_run(self, now: datetime) -> datetime:
        if self.at is None:
            assert self.every is not None
            return now + self.every
        local = timezone.localtime(now)
        candidate = timezone.make_aware(datetime.combine(local.date(), self.at))
        if candidate <= now:
            candidate = timezone.make_aware(
                datetime.combine(local.date() + timedelta(days=1), self.at)
            )
        return candidate


_registry: dict[str, Job] = {}


def periodic(
    name: str,
    *,
    every: timedelta | None = None,
    at: time | None = None,
    lease: timedelta = timedelta(minutes=15),
) -> Callable[[JobFunc], JobFunc]:
    """Register `func(now)` as a periodic job named `name` (every `every`, or daily `at`)."""
    if (every is None) == (at is None):
        raise ValueError("a periodic job needs exactly one of every= or at=")
    if every is not None and every <= timedelta(0):
        raise ValueError("every= must be positive")

    def register(func: JobFunc) -> JobFunc:
        if name in _registry and _registry[name].func is not func:
            raise ValueError(f"two periodic jobs are named {name!r}")
        _registry[name] = Job(name=name, func=func, every=every, at=at, lease=lease)
        return func

    return register


_discovered = False


def jobs() -> dict[str, Job]:
    """Every registered job, after importing each installed app's `jobs` module once."""
    global _discovered
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True
    return dict(_registry)
