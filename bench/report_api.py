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
where a request's cost lies: one client sends 500 requests of each kind one at a time, and the
CPU time of the gunicorn workers and of the database server's backends (read from /proc, so
where the server runs on this machine) is divided by them.
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

    from accounts.models import ApiToken, Role, User, digest_of
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
            ApiToken(user=u, name="bench", prefix=raw[:10], digest=digest_of(raw))
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


def cpu_split(port: int, url: str, server_pid: int, tokens_path: str, n: int = 500) -> dict:
    """CPU per request of the gunicorn workers and of the database server, one client sending
    one request at a time: where each request's cost lies, with nothing else running. The
    reports go to the last date, which the load phase does not reach."""
    import psycopg

    with open(tokens_path) as f:
        people = json.load(f)[: n + 1]
    workers = [int(p) for p in subprocess.check_output(["pgrep", "-P", str(server_pid)]).split()]
    conn = HTTPConnection("127.0.0.1", port, timeout=60)

    def send(kind: str, k: int) -> None:
        person = people[k]
        payload = json.dumps(body(person["uscc"], person["headcount"], DAYS[-1], k))
        headers = {"Content-Type": "application/json"}
        path = "/bare/"
        if kind == "reports":
            path = "/api/v1/reports"
            headers["Authorization"] = f"Bearer {person['token']}"
            headers["Idempotency-Key"] = str(uuid.uuid4())
        conn.request("POST", path, payload, headers)
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 201):
            raise SystemExit(f"{path} answered {response.status}")

    out = {}
    with psycopg.connect(url, autocommit=True) as db:
        for kind in ("bare", "reports"):
            for k in range(len(workers)):  # each worker's connection open
                send(kind, k)
            backends = [
                row[0]
                for row in db.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
                ).fetchall()
            ]
            before = [_cpu_of(p) or 0.0 for p in workers], [_cpu_of(p) or 0.0 for p in backends]
            for k in range(len(workers), n + 1):
                send(kind, k)
            after = [_cpu_of(p) or 0.0 for p in workers], [_cpu_of(p) or 0.0 for p in backends]
            count = n + 1 - len(workers)
            out[kind] = {
                "workers_ms": (sum(after[0]) - sum(before[0])) / count * 1000,
                "database_ms": (sum(after[1]) - sum(before[1])) / count * 1000,
            }
    conn.close()
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
        split = cpu_split(port, url, server.pid, tokens_path)
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = None
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
        "  CPU per request, one client sending one request at a time "
        "(gunicorn workers + PostgreSQL server):"
    )
    for kind, what in (("bare", "bare view"), ("reports", "POST /api/v1/reports")):
        c = split[kind]
        total = c["workers_ms"] + c["database_ms"]
        print(f"    {what:<32}{c['workers_ms']:>6.2f} + {c['database_ms']:.2f} ms = {total:.2f} ms")
    if any(r["errors"] for r in results.values()):
        print(f"  statuses: { {k: r['statuses'] for k, r in results.items()} }")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "setup":
        print(json.dumps(setup(int(sys.argv[2]), sys.argv[3])))
    else:
        main()
