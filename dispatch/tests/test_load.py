"""RELIABILITY check 1: many API clients at once against a real (live) server.

K clients, each a thread with its own keep-alive connection and its own bearer token, send 20
reports each to POST /api/v1/reports; 10 % are sent again with the same Idempotency-Key, and every
tenth client also sends one report twice at the same moment. Each client's last report targets the
next client's first (enterprise, date) with the same body, so pairs are raced across clients too.

Holds when: rows in dispatch_report equal the distinct (enterprise, date) pairs accepted, each pair
created exactly once and with one version (0 duplicates), every replay answers the first answer's
body, no response is a 5xx. The p95 latency and the counts are printed (`pytest -s`), not asserted.

K is 50 here, so that the reliability tests stay within about three minutes on SQLite (1,105
requests, about 25 s); FUGONG_LOAD_CLIENTS=200 runs the check's 200 clients (4,420 requests, about
70 s on SQLite on this 2-core machine).
"""

import http.client
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from accounts.models import ApiToken
from dispatch import calendar, rollups
from dispatch.models import IdempotencyKey, Report, ReportVersion
from lib import testing
from regions.models import Level, Region

from .factories import BASE, versions_kept

CLIENTS = int(os.getenv("FUGONG_LOAD_CLIENTS", "50"))
PER_CLIENT = 20
REPLAYED = (3, 13)  # 2 of 20: 10 % sent again with the same key
RACED = 7  # every tenth client sends this one twice at once
PATH = "/api/v1/reports"


@dataclass
class Answer:
    status: int
    body: Any
    seconds: float


@dataclass
class Client:
    """One API client: its token, its connection to the live server, what it was answered."""

    host: str
    port: int
    token: str
    conn: http.client.HTTPConnection | None = None
    reconnects: int = 0
    answers: list[Answer] = field(default_factory=list)

    def connect(self) -> None:
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        self.conn.connect()

    def post(self, payload: dict[str, Any], key: str) -> Answer:
        data = json.dumps(payload).encode()
        headers = {
            "Authorization": f"Bearer {self.token}",
            "Content-Type": "application/json",
            "Idempotency-Key": key,
        }
        for attempt in range(3):
            if self.conn is None:
                self.connect()
            assert self.conn is not None
            start = time.perf_counter()
            try:
                self.conn.request("POST", PATH, body=data, headers=headers)
                response = self.conn.getresponse()
                raw = response.read()
            except (http.client.HTTPException, ConnectionError):
                # The server dropped the kept-alive connection: send again on a new one. Safe,
                # since every request carries its Idempotency-Key (that is the point of it).
                self.conn.close()
                self.conn = None
                self.reconnects += 1
                if attempt == 2:
                    raise
                continue
            answer = Answer(response.status, _json(raw), time.perf_counter() - start)
            self.answers.append(answer)
            return answer
        raise AssertionError("unreachable")


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode(errors="replace")


def _body(uscc: str, e_index: int, back: int) -> dict[str, Any]:
    """The report of enterprise number `e_index` for `back` days ago; the same for the same pair."""
    day = calendar.today() - timedelta(days=back)
    return {
        **BASE,
        "enterprise": uscc,
        "date": day.isoformat(),
        "staff_on_site": 10 + (e_index * 7 + back) % 80,
        "capacity_pct": (e_index + back * 3) % 101,
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


@pytest.mark.django_db(transaction=True)
def test_many_clients_with_replays(live_server):
    testing.load_reference_once()
    world = testing.World.build()
    counties = list(
        Region.objects.filter(code__startswith="15", level=Level.COUNTY)
        .order_by("code")
        .values_list("code", flat=True)
    )
    enterprises = [testing.enterprise(counties[i % len(counties)]) for i in range(CLIENTS)]
    host, port = live_server.thread.host, live_server.thread.port
    clients = [Client(host, port, ApiToken.issue(world.alice)[1]) for _ in range(CLIENTS)]
    for c in clients:  # connect one by one: the live server's listen backlog is short
        c.connect()
    connection.close()  # SQLite: hold no connection of our own while the server writes

    # (client, report number) -> ((enterprise, date), the first answer)
    firsts: dict[tuple[int, int], tuple[tuple[str, str], Answer]] = {}
    replays: list[tuple[Answer, Answer]] = []
    raced: list[tuple[Answer, ...]] = []
    lock = threading.Lock()
    start_line = threading.Barrier(CLIENTS)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        me = clients[i]
        try:
            start_line.wait()
            for j in range(PER_CLIENT):
                if j == PER_CLIENT - 1:  # the next client's first pair, same body: a race
                    n = (i + 1) % CLIENTS
                    payload = _body(enterprises[n].uscc, n, 1)
                else:
                    payload = _body(enterprises[i].uscc, i, j + 1)
                key = str(uuid.uuid4())
                if j == RACED and i % 10 == 0:
                    answers = _race(me, payload, key)
                    first = answers[0]
                    with lock:
                        raced.append(answers)
                else:
                    first = me.post(payload, key)
                pair = (payload["enterprise"], payload["date"])
                with lock:
                    firsts[(i, j)] = (pair, first)
                if j in REPLAYED:
                    again = me.post(payload, key)
                    with lock:
                        replays.append((first, again))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    for c in clients:
        if c.conn is not None:
            c.conn.close()
    assert not errors, errors[:3]

    every = [a for c in clients for a in c.answers]
    server_errors = [a for a in every if a.status >= 500]
    accepted = {pair for pair, a in firsts.values() if a.status in (200, 201)}
    created: dict[tuple[str, str], int] = {}
    for pair, a in firsts.values():
        if a.status == 201:
            created[pair] = created.get(pair, 0) + 1
    statuses: dict[int, int] = {}
    for a in every:
        statuses[a.status] = statuses.get(a.status, 0) + 1
    print(
        f"\nload: {CLIENTS} clients x {PER_CLIENT} reports on {connection.vendor}: "
        f"{len(every)} requests in {elapsed:.1f} s ({len(every) / elapsed:.0f} req/s), "
        f"p95 {_p95([a.seconds for a in every]) * 1000:.0f} ms; "
        f"statuses {sorted(statuses.items())}; "
        f"{len(replays)} replays, {len(raced)} raced keys, "
        f"{sum(c.reconnects for c in clients)} reconnects; {len(accepted)} distinct pairs accepted"
    )

    assert server_errors == [], [(a.status, str(a.body)[:300]) for a in server_errors[:5]]
    # Every first answer is a write accepted (the bodies are valid and in alice's scope).
    assert {a.status for _, a in firsts.values()} <= {200, 201}
    expected_pairs = CLIENTS * (PER_CLIENT - 1)  # the last report of each client repeats a pair
    assert len(accepted) == expected_pairs
    assert Report.objects.count() == expected_pairs
    # Each pair created once, by exactly one request; racing it with the same body added nothing.
    assert set(created.values()) == {1} and len(created) == expected_pairs
    assert versions_kept() == expected_pairs  # each its own one version: none stored
    assert not ReportVersion.objects.exists()
    # Replays: the first answer again (a creation replays as 200), body for body.
    for first, again in replays:
        assert again.status == (200 if first.status == 201 else first.status)
        assert again.body == first.body
    assert len(replays) == CLIENTS * len(REPLAYED)
    # Raced sends of one key: one ran; the other waited for it (409) or replayed its answer.
    for answers in raced:
        ran = [a for a in answers if a.status == 201]
        assert len(ran) == 1, [a.status for a in answers]
        for a in answers:
            assert a.status in (200, 201, 409)
            if a.status == 200:
                assert a.body == ran[0].body
    assert len(raced) == (CLIENTS + 9) // 10
    keys = CLIENTS * PER_CLIENT
    assert IdempotencyKey.objects.count() == keys  # each with its answer; none left half-done
    assert rollups.check() == {}


def _race(me: Client, payload: dict[str, Any], key: str) -> tuple[Answer, ...]:
    """Send one request twice at the same moment, on two connections; a 409 is retried."""
    other = Client(me.host, me.port, me.token)
    other.connect()
    together = threading.Barrier(2)
    out: dict[str, Answer] = {}

    def send(who: Client, name: str) -> None:
        together.wait()
        out[name] = who.post(payload, key)

    helper = threading.Thread(target=send, args=(other, "other"))
    helper.start()
    send(me, "me")
    helper.join()
    answers = [out["me"], out["other"]]
    for a in answers[:2]:
        if a.status == 409:  # the first was still running: ask again until it answers
            for _ in range(50):
                time.sleep(0.1)
                a = me.post(payload, key)
                if a.status != 409:
                    break
            answers.append(a)
    me.answers.extend(other.answers)
    if other.conn is not None:
        other.conn.close()
    # the 201 first, so the caller can treat answers[0] as the first answer
    answers.sort(key=lambda a: a.status != 201)
    return tuple(answers)
