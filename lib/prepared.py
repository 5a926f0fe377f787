"""Statements prepared once per connection on PostgreSQL, for the few that run on every request.

Django binds parameters on the client and turns psycopg's preparing off for the connection
(prepare_threshold None, for the sake of connection poolers), so PostgreSQL parses and plans
every statement anew. For a short statement that is most of its cost: the API token's lookup
takes the server about 0.25 ms unprepared and 0.07 ms prepared (a `SELECT 1` takes 0.05).
`cursor()` gives a cursor that binds on the server, and `execute` prepares the statement at its
first use on the connection and reuses it after; preparing is turned on for that statement only.
Elsewhere (SQLite) both are Django's own cursor and execute.

Placeholders are written as Django's (%s, %(name)s) and turned into PostgreSQL's own ($1, $2 …)
once per statement, sent through psycopg's raw cursor: psycopg parses a statement's placeholders
on every execution once it is longer than 4 KB or has more than 50 of them (dispatch.quick's has
both), and that parsing cost more than the rest of the request's database work in Python.

A connection pooler in transaction mode must keep prepared statements per client (PgBouncer
1.21 or later with max_prepared_statements), or run in session mode (README, Production).
"""

import functools
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# The connection itself rather than django.db.connection, a proxy that looks it up again (through
# asgiref's Local) on every attribute: a dozen lookups per statement on the hot path.


@contextmanager
def cursor() -> Iterator[Any]:
    """A cursor for `execute`, with the database's errors as Django's (IntegrityError, …)."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        with db.cursor() as plain:
            yield plain
        return
    import psycopg

    db.close_if_health_check_failed()  # as Django's own cursors do, once per request
    db.ensure_connection()
    with db.wrap_database_errors, psycopg.RawCursor(db.connection) as bound:
        yield bound


def execute(cursor: Any, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> None:
    """Run `sql` (placeholders %s or %(name)s), prepared on PostgreSQL: through the connection's
    execute wrappers and logged in its queries as Django logs its own (under DEBUG, and in the
    tests that count queries)."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    raw = db.connection

    def run(sql: str, params: Any, many: bool, context: dict[str, Any]) -> None:
        native, names = _native(sql)
        if names is not None:
            params = [params[name] for name in names]
        before = raw.prepare_threshold
        raw.prepare_threshold = 0
        try:
            cursor.execute(native, params, prepare=True)
        finally:
            raw.prepare_threshold = before

    executor = run
    for wrapper in reversed(db.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    started = time.monotonic()
    try:
        executor(sql, params, False, {"connection": db, "cursor": cursor})
    finally:
        if db.queries_logged:
            took = time.monotonic() - started
            db.queries_log.append({"sql": sql, "time": f"{took:.3f}"})


_PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%%")


@functools.cache
def _native(sql: str) -> tuple[str, tuple[str, ...] | None]:
    """`sql` with PostgreSQL's placeholders for Django's, and for named ones the names in the
    order of their numbers (a name used twice is one number); None for positional ones."""
    names: dict[str, int] = {}
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        if name is None:
            count += 1
            return f"${count}"
        if name not in names:
            names[name] = len(names) + 1
        return f"${names[name]}"

    native = _PLACEHOLDER.sub(number, sql)
    if names and count:
        raise ValueError("a statement takes %s or %(name)s placeholders, not both")
    return native, (tuple(names) if names else None)
