"""The background worker: queued imports, the notification outbox and the periodic jobs (cut-off
reminders, the nightly rollup check, clean-ups), until stopped.

Everything it does is claimed in the database with a lease, so several workers may run side by
side and a worker killed mid-job loses nothing: an import rolls back and is taken up again, a
message claimed but not marked sent is sent again (with the same event id), a periodic job runs
again after its lease.
"""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from notify import delivery, schedule
from registry import imports

JOBS_EVERY = 10.0  # seconds between looks at the periodic jobs (they run every few minutes)


class Command(BaseCommand):
    help = (
        "Run queued imports, deliver notifications and run periodic jobs. "
        "Ctrl-C or SIGTERM stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is due now, then exit")
        parser.add_argument("--sleep", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args, once: bool = False, sleep: float = 1.0, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        if not once:
            self.stdout.write("worker: waiting for jobs (Ctrl-C stops it)")
        last_jobs = float("-inf")
        try:
            while not stopping:
                close_old_connections()
                ran = imports.run_pending(limit=1)
                ran += delivery.deliver_due(stop=lambda: stopping)
                if once or time.monotonic() - last_jobs >= JOBS_EVERY:
                    last_jobs = time.monotonic()
                    ran += schedule.run_due()
                if ran:
                    continue
                if once:
                    break
                time.sleep(sleep)
        except KeyboardInterrupt:
            pass
