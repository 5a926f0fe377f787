"""POST /api/v1/reports throughput against a bare Django view that inserts one row, same server.

    python -m bench report_api          # as part of `make bench`, or alone

One gunicorn (sync workers, FUGONG_BENCH_WORKERS, default 3) serves the application on a fresh
PostgreSQL database with persistent database connections (FUGONG_CONN_MAX_AGE) and DEBUG off,
through bench.bare_settings: the application's settings plus a `bare/` view that parses the
JSON body and inserts one row into a plain table. A load generator of FUGONG_BENCH_CLIENTS
(default 8) processes, each one keep-alive HTTP connection (http.client), sends requests for
FUGONG_BENCH_SECONDS (default 10) to each target in turn:

- bare: POST /bare/ with a report's body;
- reports: POST /api/v1/reports, each for a distinct (enterprise, date), a valid body, an
  Idempotency-Key, and the bearer token of that enterprise's own reporter.

Printed: requests/s, p50 and p99 latency, errors, and the reports' share of the bare rate; then
the floor under both: the SQL statements of one report, captured from a real request and
replayed through psycopg alone (no Django, each replay rolled back), beside the bare view's one
INSERT, with the server's CPU time per replay where the server runs on this machine.
"""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from http.client import HTTPConnection
from multiprocessing import Pool
from typing import Any

from bench import common

NAME = "fugong_bench_api"
DAYS = [date(2020, 2, d) for d in (17, 18, 19, 20, 21, 24, 25, 26, 27, 28)]
ENTERPRISES = 20_000  # × 10 dates: more distinct (enterprise, date) pairs than any run sends


def setup(n: int, tokens_path: str) -> dict:
    """Enterprises, one reporter with a bearer token each, and the bare view's table."""
    common.setup_django()
    common.migrate()
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from accounts.models import ApiToken, Role, User, _digest
    from bench.bare_urls import TABLE

    reg = common.Register(n, common.counties(), common.classes())
    common.copy_register(reg)
    unusable = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=f"bench{i}", role=Role.REPORTER, enterprise_id=i, password=unusable)
            for i in range(1, n + 1)
        ],
        batch_size=5000,
    )
    raws = ["fg_" + secrets.token_urlsafe(32) for _ in users]
    ApiToken.objects.bulk_create(
        [
            ApiToken(user=u, name="bench", prefix=raw[:10], digest=_digest(raw))
            for u, raw in zip(users, raws, strict=True)
        ],
        batch_size=5000,
    )
    with connection.cursor() as c:
        c.execute(
            f"CREATE TABLE {TABLE} (id bigserial PRIMARY KEY, enterprise varchar(18) NOT NULL, "
            "date date NOT NULL, body text NOT NULL, "
            "created_at timestamptz NOT NULL DEFAULT now())"
        )
        c.execute("ANALYZE")
    with open(tokens_path, "w") as f:
        json.dump(
            [
                {"uscc": reg.uscc(i), "headcount": reg.headcount[i], "token": raws[i - 1]}
                for i in range(1, n + 1)
            ],
            f,
        )
    return {"enterprises": n}


def floor(tokens_path: str, replays: int = 1000) -> dict:
    """The statements of one report (a real request, captured), and the cost of replaying them."""
    common.setup_django()
    import psycopg
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client

    from bench.bare_urls import TABLE

    person = json.load(open(tokens_path))[0]
    headers = {"Authorization": f"Bearer {person['token']}", "Idempotency-Key": "floor"}
    payload = json.dumps(body(person["uscc"], person["headcount"], DAYS[-1], 1))
    settings.ALLOWED_HOSTS = ["*"]
    captured: list[tuple[str, Any, bool]] = []

    def capture(execute, sql, params, many, context):
        # (statement, parameters, bound on the server): dispatch.quick's statements are
        # prepared and bound on the server, Django's bound on the client. The savepoints are
        # the capture's own transaction's.
        if not sql.startswith(("SAVEPOINT", "RELEASE")):
            captured.append((sql, params, isinstance(context["cursor"], psycopg.Cursor)))
        return execute(sql, params, many, context)

    # Captured inside a transaction rolled back afterwards, so each replay finds what it found.
    with transaction.atomic(), connection.execute_wrapper(capture):
        answer = Client().post(
            "/api/v1/reports", payload, content_type="application/json", headers=headers
        )
        transaction.set_rollback(True)
    if answer.status_code != 201:
        raise SystemExit(f"the captured request answered {answer.status_code}")
    bare = [
        (
            f"INSERT INTO {TABLE} (enterprise, date, body) VALUES (%s, %s, %s)",  # noqa: S608
            ["x", date(2020, 2, 28), "{}"],
            False,
        )
    ]
    out: dict = {"statements": len(captured)}
    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        client, server = psycopg.ClientCursor(conn), conn.cursor()
        for name, statements in (("reports", captured), ("bare", bare)):
            cpu = _cpu_of(pid)
            started = time.perf_counter()
            for _ in range(replays):
                with conn.transaction(force_rollback=True):
                    for sql, params, prepared in statements:
                        if prepared:
                            server.execute(sql, params, prepare=True)
                        else:
                            client.execute(sql, params)
            out[name] = {
                "ms": (time.perf_counter() - started) / replays * 1000,
                "server_ms": (
                    None if cpu is None else (_cpu_of(pid) - cpu) / replays * 1000  # type: ignore[operator]
                ),
            }
    return out


def _cpu_of(pid: int) -> float | None:
    """A local process's CPU seconds (user + system), or None when it is not on this machine."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def body(uscc: str, headcount: int, day: date, k: int) -> dict:
    staff = max(1, headcount * (30 + k % 60) // 100)
    return {
        "enterprise": uscc,
        "date": day.isoformat(),
        "status": "partial" if k % 3 else "full",
        "staff_on_site": staff,
        "capacity_pct": 40 + k % 60,
        "temperature_checks": True,
        "disinfection": True,
        "mask_days": k % 30,
        "fever": 0,
        "suspected": 0,
        "confirmed": 0,
        "difficulties": ["labour"] if k % 5 == 0 else [],
        "note": "",
    }


def client(args: tuple) -> dict:
    """One keep-alive client: POST until the deadline; returns latencies (ms) and statuses."""
    kind, port, deadline, warmup_until, slot, clients, tokens_path = args
    with open(tokens_path) as f:
        people = json.load(f)
    mine = people[slot::clients]
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    reconnects = 0
    k = 0
    while time.time() < deadline:
        person = mine[k % len(mine)]
        day = DAYS[k // len(mine)]
        payload = json.dumps(body(person["uscc"], person["headcount"], day, k)).encode()
        headers = {"Content-Type": "application/json"}
        if kind == "reports":
            path = "/api/v1/reports"
            headers["Authorization"] = f"Bearer {person['token']}"
            headers["Idempotency-Key"] = str(uuid.uuid4())
        else:
            path = "/bare/"
        started = time.perf_counter()
        if conn.sock is None:
            reconnects += 1
        conn.request("POST", path, payload, headers)
        response = conn.getresponse()
        response.read()
        elapsed = (time.perf_counter() - started) * 1000
        k += 1
        if time.time() < warmup_until:
            continue
        latencies.append(elapsed)
        statuses[response.status] = statuses.get(response.status, 0) + 1
    conn.close()
    return {"latencies": latencies, "statuses": statuses, "reconnects": reconnects, "sent": k}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(port: int, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            conn = HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/v1/openapi.json")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer")


def load(kind: str, port: int, clients: int, seconds: float, tokens_path: str) -> dict:
    warmup = 1.0
    start = time.time()
    deadline = start + warmup + seconds
    with Pool(clients) as pool:
        parts = pool.map(
            client,
            [
                (kind, port, deadline, start + warmup, slot, clients, tokens_path)
                for slot in range(clients)
            ],
        )
    latencies = sorted(x for p in parts for x in p["latencies"])
    statuses: dict[int, int] = {}
    for p in parts:
        for code, count in p["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    good = sum(c for code, c in statuses.items() if code in (200, 201))
    return {
        "rps": good / seconds,
        "p50": common.quantile(latencies, 0.5),
        "p99": common.quantile(latencies, 0.99),
        "requests": len(latencies),
        "errors": len(latencies) - good,
        "statuses": statuses,
        "reconnects": sum(p["reconnects"] for p in parts),
    }


def main() -> None:
    workers = int(os.getenv("FUGONG_BENCH_WORKERS", "3"))
    clients = int(os.getenv("FUGONG_BENCH_CLIENTS", "8"))
    seconds = float(os.getenv("FUGONG_BENCH_SECONDS", "10"))
    print(
        f"\n== POST /api/v1/reports vs a bare insert view: gunicorn, {workers} sync workers, "
        f"PostgreSQL, persistent connections, DEBUG off; {clients} keep-alive clients, "
        f"{seconds:.0f} s each"
    )
    url = common.postgres_url(NAME)
    if url is None:
        return
    scratch = tempfile.TemporaryDirectory()
    tokens_path = os.path.join(scratch.name, "tokens.json")
    server = None
    try:
        common.run_worker("bench.report_api", ["setup", str(ENTERPRISES), tokens_path], url)
        port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": "bench.bare_settings",
            "FUGONG_DEBUG": "False",
            "FUGONG_CONN_MAX_AGE": "600",
        }
        server = subprocess.Popen(
            [
                os.path.join(os.path.dirname(sys.executable), "gunicorn"),
                "fugong.wsgi:application",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=common.ROOT,
            env=env,
        )
        _wait_for(port)
        results = {
            kind: load(kind, port, clients, seconds, tokens_path) for kind in ("bare", "reports")
        }
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = None
        floors = common.run_worker(
            "bench.report_api",
            ["floor", tokens_path],
            url,
            DJANGO_SETTINGS_MODULE="bench.bare_settings",
        )
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        common.drop(NAME)
        scratch.cleanup()
    bare = results["bare"]["rps"]
    print(f"  {'what':<34}{'req/s':>9}{'p50':>10}{'p99':>10}{'errors':>8}{'vs bare':>9}")
    for kind, what in (
        ("bare", "bare view (one INSERT)"),
        ("reports", "POST /api/v1/reports"),
    ):
        r = results[kind]
        print(
            f"  {what:<34}{r['rps']:>9,.0f}{r['p50']:>7.1f} ms{r['p99']:>7.1f} ms"
            f"{r['errors']:>8}{r['rps'] / bare:>8.0%}"
        )
    print(
        f"  floor: one report's {floors['statements']} SQL statements replayed through psycopg "
        "alone (no Django), against the bare view's INSERT:"
    )
    for kind, what in (("bare", "bare view's INSERT"), ("reports", "one report's statements")):
        f = floors[kind]
        cpu = "" if f["server_ms"] is None else f", server CPU {f['server_ms']:.2f} ms"
        print(f"    {what:<32}{f['ms']:>7.2f} ms per request{cpu}")
    if any(r["errors"] for r in results.values()):
        print(f"  statuses: { {k: r['statuses'] for k, r in results.items()} }")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        print(json.dumps(setup(int(sys.argv[2]), sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "floor":
        print(json.dumps(floor(sys.argv[2])))
    else:
        main()
