"""Statements prepared once per connection on PostgreSQL, for the few that run on every request.

Django binds parameters on the client and turns psycopg's preparing off for the connection
(prepare_threshold None, for the sake of connection poolers), so PostgreSQL parses and plans
every statement anew. For a short statement that is most of its cost: the API token's lookup
takes the server about 0.25 ms unprepared and 0.07 ms prepared (a `SELECT 1` takes 0.05).
`cursor()` gives a cursor that binds on the server, and `execute` prepares the statement at its
first use on the connection and reuses it after; preparing is turned on for that statement only.
Elsewhere (SQLite) both are Django's own cursor and execute.

A connection pooler in transaction mode must keep prepared statements per client (PgBouncer
1.21 or later with max_prepared_statements), or run in session mode (README, Production).
"""

import functools
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection


@contextmanager
def cursor() -> Iterator[Any]:
    """A cursor for `execute`, with the database's errors as Django's (IntegrityError, …)."""
    if connection.vendor != "postgresql":
        with connection.cursor() as plain:
            yield plain
        return
    import psycopg

    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as bound:
        yield bound


def execute(cursor: Any, sql: str, params: Sequence[Any] | Mapping[str, Any]) -> None:
    """Run `sql` (placeholders %s or %(name)s), prepared on PostgreSQL: through the connection's
    execute wrappers and logged in its queries as Django logs its own (under DEBUG, and in the
    tests that count queries)."""
    if connection.vendor != "postgresql":
        cursor.execute(sql, params)
        return
    raw = connection.connection

    def run(sql: str, params: Any, many: bool, context: dict[str, Any]) -> None:
        before = raw.prepare_threshold
        raw.prepare_threshold = 0
        try:
            cursor.execute(sql, params, prepare=True)
        finally:
            raw.prepare_threshold = before

    executor = run
    for wrapper in reversed(connection.execute_wrappers):
        executor = functools.partial(wrapper, executor)
    started = time.monotonic()
    try:
        executor(sql, params, False, {"connection": connection, "cursor": cursor})
    finally:
        if connection.queries_logged:
            took = time.monotonic() - started
            connection.queries_log.append({"sql": sql, "time": f"{took:.3f}"})
