"""Factories and the named test world shared by every app's tests.

The world, in Inner Mongolia (150000):
- Baotou 包头市 (150200): counties 昆都仑区 150203 and 青山区 150204; Hohhot 呼和浩特市 (150100):
  county 新城区 150102. Shanxi 山西省 (140000) holds an enterprise nobody in Inner Mongolia sees.
- users: alice (official, province 150000), bob (official, Baotou 150200), carol (official,
  county 150203), dave (reporter of steel), erin (park manager of the Kundulun park), frank
  (association, divisions 31 and 14), grace (handler, Baotou), root (administrator).
"""

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from itertools import count
from pathlib import Path

from django.conf import settings

from accounts.models import Role, User
from industries.loader import load_industries
from industries.models import Industry
from lib.uscc import make as make_uscc
from regions.loader import load_regions
from regions.models import Region
from registry.models import Contact, Enterprise, EnterpriseTag, Park
from registry.signals import enterprises_changed

PASSWORD = "correct-horse-battery-9"  # noqa: S105 (test users only)
_serial = count(1)


def load_reference_once() -> None:
    from dispatch import defaults
    from problems import defaults as problem_defaults

    # A transactional test's flush also empties what migrations installed: put it back.
    defaults.ensure()
    problem_defaults.ensure()
    if not Region.objects.exists():
        load_regions()
    if not Industry.objects.exists():
        load_industries()


def subprocess_database_url() -> str | None:
    """The test database (not the development one) as a DATABASE_URL for a worker process the
    test starts; None for an engine a subprocess cannot share."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] in ("django.db.backends.sqlite3", "lib.sqlite"):
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"].endswith("postgresql"):
        auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    return None


def worker_process(**env: str) -> subprocess.Popen:
    """`manage.py run_worker --once` in a process of its own on the test database (skips the
    test where the engine cannot be shared), with `env` added to its environment; its output
    (stdout and stderr together) is piped back."""
    import pytest

    url = subprocess_database_url()
    if url is None:
        pytest.skip(f"no subprocess URL for {settings.DATABASES['default']['ENGINE']}")
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_worker", "--once"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "fugong.settings",
            **env,
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def end_sessions_of_killed_workers(keep: tuple[int, ...] = ()) -> None:
    """After SIGKILLing a worker: PostgreSQL goes on with a statement the dead client had already
    sent (even a COMMIT) until it notices the client is gone. End every other session on the
    test database now, so what the worker had not finished never lands later (SQLite needs
    nothing: the process held its own database)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        keep = (*keep, cursor.fetchone()[0])
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND NOT (pid = ANY(%s))",
            [list(keep)],
        )


def end_other_sessions(seconds: float = 10) -> int:
    """At the end of a run: end the sessions worker processes and threads left on the test
    database, and wait until they are gone (the database cannot be dropped while they last).
    Returns how many there were."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    connection.close()  # a fresh session: this thread's own may have been ended by a test
    others = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    with connection.cursor() as cursor:
        cursor.execute(others)
        (left,) = cursor.fetchone()
    if not left:
        return 0
    end_sessions_of_killed_workers()
    with connection.cursor() as cursor:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            cursor.execute(others)
            if cursor.fetchone()[0] == 0:
                break
            time.sleep(0.05)
    return left


def uscc_for(region: str, n: int | None = None) -> str:
    n = next(_serial) if n is None else n
    return make_uscc(f"91{region}MA{n:07d}")


def enterprise(
    region: str = "150203",
    industry: str = "3110",
    *,
    name: str | None = None,
    headcount: int = 100,
    tags: tuple[str, ...] = (),
    park: Park | None = None,
    above_scale: bool = True,
    phone: str = "13812345678",
    **extra,
) -> Enterprise:
    load_reference_once()
    n = next(_serial)
    e = Enterprise.objects.create(
        uscc=uscc_for(region, n),
        name=name or f"企业{n}",
        region_id=region,
        industry_id=industry,
        headcount=headcount,
        size_class=extra.pop("size_class", "medium"),
        above_scale=above_scale,
        park=park,
        revenue=extra.pop("revenue", Decimal("5000")),
        **extra,
    )
    EnterpriseTag.objects.bulk_create([EnterpriseTag(enterprise=e, tag=t) for t in tags])
    if phone:
        Contact.objects.create(enterprise=e, name="王建国", title="办公室主任", phone=phone)
    enterprises_changed.send(sender=Enterprise, ids=[e.pk])  # its reporting duty follows
    return e


def user(username: str, role: str, **fields) -> User:
    u = User(username=username, role=role, **fields)
    u.set_password(PASSWORD)
    u.save()
    return u


@dataclass
class World:
    steel: Enterprise  # Kundulun 150203, steel 3110, in the park, leading
    textile: Enterprise  # Qingshan 150204, textile 1711
    dairy: Enterprise  # Hohhot Xincheng 150102, dairy 1441, livelihood
    coal: Enterprise  # Shanxi 140105, coal 0610
    park: Park
    alice: User
    bob: User
    carol: User
    dave: User
    erin: User
    frank: User
    grace: User
    root: User

    @classmethod
    def build(cls) -> "World":
        load_reference_once()
        park = Park.objects.create(name="昆区工业园", region_id="150203")
        steel = enterprise(
            "150203", "3110", name="包钢示范钢铁", tags=("leading",), park=park, headcount=800
        )
        textile = enterprise("150204", "1711", name="青山纺织", headcount=120, phone="13900001111")
        dairy = enterprise("150102", "1441", name="新城乳业", tags=("livelihood",), headcount=300)
        coal = enterprise("140105", "0610", name="晋中煤业", headcount=500)
        return cls(
            steel=steel,
            textile=textile,
            dairy=dairy,
            coal=coal,
            park=park,
            alice=user("alice", Role.OFFICIAL, region_id="150000"),
            bob=user("bob", Role.OFFICIAL, region_id="150200"),
            carol=user("carol", Role.OFFICIAL, region_id="150203"),
            dave=user("dave", Role.REPORTER, enterprise=steel),
            erin=user("erin", Role.PARK_MANAGER, park=park),
            frank=user("frank", Role.ASSOCIATION, industry_divisions=["31", "14"]),
            grace=user("grace", Role.HANDLER, region_id="150200", department="人社局"),
            root=user("root", Role.ADMIN, is_staff=True, is_superuser=True),
        )

    def users(self) -> dict[str, User]:
        return {
            n: getattr(self, n)
            for n in ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "root")
        }
