"""The problem desk's periodic job for the worker (see lib/jobs.py)."""

from datetime import datetime, timedelta

from lib.jobs import periodic

from . import actions


@periodic("problems.escalate_overdue", every=timedelta(minutes=10), lease=timedelta(minutes=30))
def escalate_overdue(now: datetime) -> None:
    """上联: problems past a deadline go up to the parent region's desk, once per level (each
    problem in its own transaction, so an interrupted run simply continues next time)."""
    actions.escalate_overdue(now=now)
