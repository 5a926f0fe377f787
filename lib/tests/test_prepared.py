"""lib.prepared: statements prepared once per connection on PostgreSQL, Django's cursor elsewhere."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken
from lib import prepared

LOOK = "SELECT count(*) FROM accounts_apitoken WHERE user_id = %s"


def _run(sql: str, params) -> list:
    with prepared.cursor() as cursor:
        prepared.execute(cursor, sql, params)
        return cursor.fetchall()


def test_answers_logged_and_wrapped_like_djangos_own(world):
    ApiToken.issue(world.dave)
    seen: list[str] = []

    def spy(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as done, connection.execute_wrapper(spy):
        assert _run(LOOK, [world.dave.pk]) == [(1,)]
        assert _run(LOOK, [world.carol.pk]) == [(0,)]
    assert seen == [LOOK, LOOK]
    logged = [q["sql"] for q in done.captured_queries]  # with its values on SQLite
    assert len(logged) == 2 and all(sql.startswith(LOOK[:40]) for sql in logged)


def test_database_errors_are_djangos(world):
    token, _ = ApiToken.issue(world.dave)
    insert = (
        "INSERT INTO accounts_apitoken (user_id, name, prefix, digest, created_at) "
        "VALUES (%s, '', 'x', %s, %s)"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        with prepared.cursor() as cursor:
            prepared.execute(cursor, insert, [world.dave.pk, token.digest, token.created_at])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="preparing is PostgreSQL's")
def test_prepared_once_per_connection_and_only_there(world):
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    for user in (world.dave, world.carol, world.alice):
        _run(LOOK, [user.pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
        # Django's own statements stay unprepared: preparing is on for ours only.
        cursor.execute("SELECT count(*) FROM accounts_user")
        cursor.execute("SELECT count(*) FROM accounts_user")
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        (after,) = cursor.fetchone()
    assert len(statements) == 1 and "accounts_apitoken WHERE user_id = $1" in statements[0]
    assert after == 1
    assert connection.connection.prepare_threshold is None
