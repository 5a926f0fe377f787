"""lib.idempotency.lock_sql: the same lock number in SQL as lock_id in Python, so that a key held
by one path (idempotency.run) is held for the other (dispatch.quick's statement)."""

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from lib import idempotency

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's locks"),
]


@given(
    st.integers(min_value=1, max_value=2**63 - 1),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=255),
)
@settings(max_examples=200, deadline=None)
def test_lock_sql_is_lock_id(user, key):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {idempotency.lock_sql('%s::bigint', '%s')}", [user, key])
        (number,) = cursor.fetchone()
    assert number == idempotency.lock_id(user, key)


def test_lock_sql_covers_both_signs():
    """Keys whose numbers are negative and positive (the top bit is the sign)."""
    keys = [f"k-{i}" for i in range(40)]
    signs = {idempotency.lock_id(7, k) < 0 for k in keys}
    assert signs == {True, False}
    with connection.cursor() as cursor:
        for k in keys:
            cursor.execute(f"SELECT {idempotency.lock_sql('7', '%s')}", [k])
            assert cursor.fetchone()[0] == idempotency.lock_id(7, k)
