"""RELIABILITY check 7 against a real server: gunicorn reaches PostgreSQL through a TCP relay
the test controls, so the database can go away and come back under a running server.

- The relay cuts every connection and comes straight back: the server's pooled connection is
  dead, and the next request is answered as usual (CONN_HEALTH_CHECKS), not with an error.
- The relay stays down: every request is a generic 503 with Retry-After, for a page and for the
  API, with no traceback and no SQL.
- The relay is back: the first request is answered as usual (recovery time printed, `pytest -s`).
- The relay accepts connections and never answers (a host gone from the network, not a refused
  connection): the request is a 503 after the connect timeout, not a worker held indefinitely.

PostgreSQL only: a SQLite database is a file of the server's own, it has no connection to lose
(test_errors.py shows the 503 for a SQLite file that cannot be opened).
"""

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings

from lib import testing

DOWN_SECONDS = float(os.getenv("FUGONG_DB_DOWN_SECONDS", "4"))
CONNECT_TIMEOUT = 2
TOKEN = "Bearer fg_" + "a" * 40  # no such token: 401 needs the database, 503 without it


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """Forwards 127.0.0.1:port to the database server; `cut()` closes the listener and every
    connection, `restore()` listens again on the same port, `restore(stalled=True)` accepts
    connections and sends nothing either way."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None
        self.stalled = False

    def restore(self, stalled: bool = False) -> None:
        self.stalled = stalled
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self.lock:
            doomed = [self.listener, *self.sockets] if self.listener else list(self.sockets)
            self.sockets.clear()
            self.listener = None
        for s in doomed:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            if self.stalled:
                with self.lock:
                    self.sockets.append(client)
                continue
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


@pytest.fixture
def server(db, tmp_path):
    if connection_vendor() != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no connection to lose (see test_errors.py)")
    url = urlsplit(testing.subprocess_database_url())
    relay = Relay((url.hostname or "127.0.0.1", url.port or 5432))
    relay.restore()
    relayed = urlunsplit(url._replace(netloc=f"{url.username}@127.0.0.1:{relay.port}"))
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "fugong.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DATABASE_URL": relayed,
            "DJANGO_SETTINGS_MODULE": "fugong.settings",
            "FUGONG_CONN_MAX_AGE": "600",
            "FUGONG_DB_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT),
        },
        stdout=(tmp_path / "gunicorn.log").open("wb"),  # a pipe nobody reads would fill up
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.1)
        yield port, relay
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        relay.cut()


def connection_vendor() -> str:
    from django.db import connection

    return connection.vendor


def ask(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept-Language": "en", **headers})
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
    finally:
        conn.close()


PAGE = ("/enterprises/", {"Cookie": "sessionid=" + "x" * 32})  # the session needs the database
API = ("/api/v1/stats", {"Authorization": TOKEN})
USUAL = {PAGE[0]: 302, API[0]: 401}  # to the login page; no such token


def test_the_database_goes_away_and_comes_back(server):
    port, relay = server
    for path, headers in (PAGE, API):
        assert ask(port, path, headers)[0] == USUAL[path]

    # A restart between two requests: the pooled connection is dead, the request is not hurt.
    relay.cut()
    relay.restore()
    for path, headers in (PAGE, API):
        assert ask(port, path, headers)[0] == USUAL[path], "a dead pooled connection showed"

    relay.cut()
    answers = 0
    down_until = time.monotonic() + DOWN_SECONDS
    while time.monotonic() < down_until:
        for path, headers in (PAGE, API):
            status, head, body = ask(port, path, headers)
            assert status == 503 and head["retry-after"] == "10", (path, status, body[:300])
            assert "cannot use its database" in body
            for leak in ("Traceback", "SELECT", "psycopg", "OperationalError", "127.0.0.1"):
                assert leak not in body, (path, leak)
            answers += 1
        time.sleep(0.2)
    assert head["content-type"] == "application/json"

    relay.restore()
    back = time.monotonic()
    for path, headers in (PAGE, API):
        assert ask(port, path, headers)[0] == USUAL[path], "the first request after recovery"
    recovered = time.monotonic() - back

    relay.cut()
    relay.restore(stalled=True)
    for path, headers in (PAGE, API):
        status, head, body = ask(port, path, headers)
        assert status == 503 and "cannot use its database" in body, (path, status)
    relay.cut()
    print(
        f"\n{answers} answers of 503 in {DOWN_SECONDS:.0f} s down; "
        f"answered as usual {recovered:.3f} s after the database came back"
    )
