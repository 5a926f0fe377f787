"""The worker's periodic jobs for the register (see lib/jobs.py)."""

from datetime import datetime, timedelta

from lib.jobs import periodic

from . import imports


@periodic("registry.forget_old_files", every=timedelta(hours=1))
def forget_old_files(now: datetime) -> None:
    """Uploaded files are kept only while they may still be imported."""
    imports.forget_old_files()
