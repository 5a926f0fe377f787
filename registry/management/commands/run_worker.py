"""The background worker: runs queued imports (and whatever later apps queue) until stopped."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from registry import imports


class Command(BaseCommand):
    help = "Run queued background jobs (enterprise imports). Ctrl-C or SIGTERM stops it."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run what is queued now, then exit")
        parser.add_argument("--sleep", type=float, default=1.0, help="seconds between polls")

    def handle(self, *args, once: bool = False, sleep: float = 1.0, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        if not once:
            self.stdout.write("worker: waiting for jobs (Ctrl-C stops it)")
        last_sweep = 0.0
        try:
            while not stopping:
                close_old_connections()
                ran = imports.run_pending(limit=1)
                if ran:
                    continue
                if time.monotonic() - last_sweep > 3600:
                    imports.forget_old_files()
                    last_sweep = time.monotonic()
                if once:
                    break
                time.sleep(sleep)
        except KeyboardInterrupt:
            pass
