"""RELIABILITY check 3: concurrent writers, and rollups that stay exact under them.

20 threads, each with its own database connection, write reports through the real write path
(actions.clean + actions.write: single reports as the form and POST /reports send them, and
batches of three as /reports/batch does) for enterprises they share: daily and weekly reporters in
two counties, so writers meet on the same duties, reports and rollup rows. New reports and
corrections are mixed.

On SQLite the writers run for 15 s (FUGONG_SQLITE_SECONDS=60 runs the full minute of the check)
and no write may fail with "database is locked". On PostgreSQL they run for a few seconds
(FUGONG_POSTGRES_SECONDS) and no write may fail at all (a deadlock would show as an error). On both,
afterwards: every pair was created once, versions equal the writes that changed something, and
the incrementally kept rollups equal a rebuild from raw reports (rollups.check() == {}).
"""

import os
import random
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection

from accounts.models import Role
from dispatch import actions, calendar, rollups
from dispatch.models import Report
from lib import testing
from registry.models import Park

from .factories import BASE, versions_kept

WRITERS = 20
SECONDS = {
    "sqlite": float(os.getenv("FUGONG_SQLITE_SECONDS", "15")),
    "postgresql": float(os.getenv("FUGONG_POSTGRES_SECONDS", "4")),
}
DAYS = 10


def _values(rng: random.Random, headcount: int) -> dict:
    status = rng.choice(["not_resumed", "partial", "full"])
    return {
        **BASE,
        "status": status,
        "staff_on_site": rng.randint(1, headcount),
        "capacity_pct": 0 if status == "not_resumed" else rng.randint(1, 150),
        "fever": rng.randint(0, 2),
        "suspected": rng.choice([0, 0, 0, 1]),
        "confirmed": 0,
        "mask_days": rng.randint(0, 30),
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_rollups_exact():
    vendor = connection.vendor
    if vendor not in SECONDS:
        pytest.skip(f"no budget for {vendor}")
    testing.load_reference_once()  # after a flush: regions, industries, cadence rules
    park = Park.objects.create(name="并发园区", region_id="150203")
    enterprises = [
        # daily: above designated size
        *(testing.enterprise("150203", "3110", headcount=200) for _ in range(10)),
        *(testing.enterprise("150204", "1711", headcount=50, tags=("leading",)) for _ in range(6)),
        # weekly: park enterprises below designated size
        *(
            testing.enterprise("150203", "3110", headcount=80, park=park, above_scale=False)
            for _ in range(8)
        ),
    ]
    cadences = {e.duty.cadence for e in enterprises}  # type: ignore[attr-defined]
    assert cadences == {"daily", "weekly"}
    alice = testing.user("alice", Role.OFFICIAL, region_id="150000")
    today = calendar.today()
    seconds = SECONDS[vendor]
    connection.close()  # SQLite: hold no connection of our own while the writers write

    lock = threading.Lock()
    tally = {"writes": 0, "items": 0, "created": 0, "changed": 0, "unchanged": 0, "rejected": 0}
    created: dict[tuple[int, object], int] = {}
    failures: list[str] = []
    stop_at = time.monotonic() + seconds
    start_line = threading.Barrier(WRITERS)

    def writer(n: int) -> None:
        rng = random.Random(n)
        try:
            start_line.wait()
            while time.monotonic() < stop_at:
                picked = rng.sample(enterprises, 3 if rng.random() < 0.2 else 1)
                items = []
                for index, e in enumerate(picked):
                    day = today - timedelta(days=rng.randrange(DAYS))
                    cleaned = actions.clean({**_values(rng, e.headcount), "date": day}, e)
                    assert not cleaned.errors, cleaned.errors
                    items.append(actions.Item(e, cleaned.values, index))
                try:
                    outcomes = actions.write(items, actor=alice, source="test")
                except Exception as exc:  # every failure is counted and shown
                    with lock:
                        failures.append(f"{exc.__class__.__name__}: {exc}")
                    continue
                with lock:
                    tally["writes"] += 1
                    tally["items"] += len(items)
                    for item, o in zip(items, outcomes, strict=True):
                        if o.errors:
                            tally["rejected"] += 1
                        elif o.created:
                            tally["created"] += 1
                            pair = (item.enterprise.pk, item.values["date"])
                            created[pair] = created.get(pair, 0) + 1
                        if o.changed:
                            tally["changed"] += 1
                        elif not o.errors:
                            tally["unchanged"] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    locked = [f for f in failures if "database is locked" in f]
    deadlocks = [f for f in failures if "deadlock" in f.lower()]
    print(
        f"\nconcurrent writers on {vendor}: {WRITERS} threads for {seconds:g} s: "
        f"{tally['writes']} transactions ({tally['writes'] / seconds:.0f}/s), {tally['items']} "
        f"reports: {tally['created']} new, {tally['changed'] - tally['created']} corrected, "
        f"{tally['unchanged']} unchanged; {len(locked)} 'database is locked', "
        f"{len(deadlocks)} deadlocks, {len(failures)} failures"
    )
    assert locked == []
    assert deadlocks == []
    assert failures == [], failures[:5]
    assert tally["writes"] > WRITERS  # they did run, and at the same time
    assert tally["rejected"] == 0  # a pair twice in one batch cannot happen: sample() is distinct
    assert set(created.values()) == {1}
    assert Report.objects.count() == len(created) == tally["created"]
    assert versions_kept() == tally["changed"]
    assert rollups.check() == {}
