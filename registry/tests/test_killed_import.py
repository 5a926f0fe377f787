"""RELIABILITY check 6: an enterprise import killed (SIGKILL) while it writes.

A real worker process (`manage.py run_worker` on the test database) imports a CSV of 2,000
enterprises; the test kills it at a random moment of the writing phase. Then: the import's
enterprises (and their tags, change rows, reporting duties) are all there or none; the job is
left "writing" only until its lease, which the killed worker can no longer renew; once the lease
has run out a new worker claims the job and completes it, without duplicates, and the rollups equal
a rebuild. No job is "running" past its lease at the end.

The lease is shortened for the workers through FUGONG_IMPORT_LEASE_SECONDS. 5 runs by default;
FUGONG_KILLED_IMPORT_RUNS=20 runs the check's 20.
"""

import os
import random
import signal
import subprocess
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from dispatch import rollups
from dispatch.models import Duty
from lib import testing
from registry import imports
from registry.models import Enterprise, EnterpriseChange, EnterpriseTag, ImportJob

RUNS = int(os.getenv("FUGONG_KILLED_IMPORT_RUNS", "5"))
ROWS = 2000
LEASE_SECONDS = 1  # the worker adds a second per 500 rows while it writes
COUNTIES = ("150203", "150204", "150102", "150205", "150206")


def worker() -> subprocess.Popen:
    return testing.worker_process(FUGONG_IMPORT_LEASE_SECONDS=str(LEASE_SECONDS))


def sheet(run: int) -> tuple[bytes, list[str]]:
    usccs, lines = [], [",".join(imports.HEADERS)]
    for n in range(ROWS):
        uscc = testing.uscc_for(COUNTIES[n % len(COUNTIES)], run * 100_000 + n)
        usccs.append(uscc)
        tags = "骨干、外贸" if n % 3 == 0 else ""
        county = COUNTIES[n % len(COUNTIES)]
        above = "是" if n % 2 else "否"
        lines.append(
            f"{uscc},导入企业{run}-{n},{county},3110,{50 + n % 200},3000,,{above},{tags},,"
        )
    return ("\n".join(lines) + "\n").encode("utf-8-sig"), usccs


def rows_of(usccs: list[str]) -> dict[str, int]:
    ids = list(Enterprise.objects.filter(uscc__in=usccs).values_list("pk", flat=True))
    return {
        "enterprises": len(ids),
        "tags": EnterpriseTag.objects.filter(enterprise_id__in=ids).count(),
        "changes": EnterpriseChange.objects.filter(enterprise_id__in=ids).count(),
        "duties": Duty.objects.filter(enterprise_id__in=ids).count(),
    }


def complete(usccs: list[str]) -> dict[str, int]:
    tagged = sum(1 for n in range(ROWS) if n % 3 == 0)
    return {"enterprises": ROWS, "tags": 2 * tagged, "changes": ROWS, "duties": ROWS}


def status_of(job: ImportJob) -> str:
    return ImportJob.objects.filter(pk=job.pk).values_list("status", flat=True).get()


@pytest.mark.django_db(transaction=True)
def test_killed_import_leaves_all_or_nothing_and_is_resumed():
    testing.load_reference_once()  # after a flush: regions, industries, cadence rules
    root = testing.user("root", "admin", is_staff=True, is_superuser=True)
    rng = random.Random(int(os.getenv("FUGONG_KILL_SEED", str(time.time_ns()))))
    window = 0.5  # seconds into the writing phase to kill at; narrowed to what a run measured
    killed = finished_first = committed = 0
    waits: list[float] = []
    delays: list[float] = []
    for run in range(RUNS):
        data, usccs = sheet(run)
        job = imports.submit(actor=root, data=data, filename=f"run{run}.csv", dry_run=False)
        connection.close()  # SQLite: hold nothing open while the worker writes
        proc = worker()
        deadline = time.monotonic() + 60
        while status_of(job) not in (ImportJob.Status.WRITING, *ImportJob.FINISHED):
            alive = time.monotonic() < deadline and proc.poll() is None
            assert alive, proc.communicate()[0].decode(errors="replace")
            time.sleep(0.005)
        writing_seen = time.monotonic()
        delay = rng.uniform(0, window)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        testing.end_sessions_of_killed_workers()
        state = status_of(job)
        if state == ImportJob.Status.DONE:
            # It finished before the kill: a shorter window next time; this run is not a kill.
            finished_first += 1
            window = max(0.05, (time.monotonic() - writing_seen) * 0.8)
            assert rows_of(usccs) == complete(usccs)
            continue
        killed += 1
        delays.append(delay)
        assert state == ImportJob.Status.WRITING
        found = rows_of(usccs)
        # All or nothing: the transaction either committed (just before the kill) or not at all.
        assert found in (complete(usccs), dict.fromkeys(found, 0)), found
        committed += found["enterprises"] == ROWS
        assert rollups.check() == {}
        lease_until = ImportJob.objects.values_list("lease_until", flat=True).get(pk=job.pk)
        assert lease_until is not None
        # The killed job is claimable once its lease is over, and not before.
        early = worker()
        assert early.wait(60) == 0
        if timezone.now() < lease_until - timedelta(seconds=0.5):
            assert status_of(job) == ImportJob.Status.WRITING
        wait = max(0.0, (lease_until - timezone.now()).total_seconds()) + 0.05
        waits.append(wait)
        time.sleep(wait)
        connection.close()
        resumed = worker()
        output = resumed.communicate(timeout=120)[0].decode(errors="replace")
        assert resumed.returncode == 0, output
        job.refresh_from_db()
        assert job.status == ImportJob.Status.DONE, (job.status, job.message, output)
        assert job.attempts == 2
        assert job.created_count + job.unchanged_count == ROWS
        assert rows_of(usccs) == complete(usccs)  # every row once: no duplicates
        assert rollups.check() == {}

    stuck = ImportJob.objects.filter(status__in=ImportJob.RUNNING, lease_until__lt=timezone.now())
    assert not stuck.exists()
    assert not ImportJob.objects.filter(status__in=ImportJob.RUNNING).exists()
    print(
        f"\nkilled import on {connection.vendor}: {RUNS} runs of {ROWS} rows, {killed} killed while "
        f"writing at {', '.join(f'{d:.2f}' for d in delays)} s into it ({committed} just after the "
        f"commit, the rest before it: all or nothing each time), {finished_first} finished before "
        f"the kill; resumed after waiting {max(waits, default=0):.1f} s at most for the lease"
    )
    assert killed >= RUNS // 2  # most runs really were killed mid-write
