"""Idempotency-Key for API writes (Stripe's semantics, and the IETF draft's): the first answer to a
key is stored in the same transaction as the write and replayed for the same key; the same key with
a different request is refused (422); a key whose first request is still running gets 409.

One transaction per request, not a claim committed ahead of the write: the key is held while the
write runs, and a concurrent request with the same key is told 409 at once. On PostgreSQL the hold
is a transaction-scoped advisory lock on the key, tried without waiting. On SQLite, whose writers
take turns at the database's one write lock and whose server is one process, it is the process's
set of keys in flight (a request from another process waits its turn and gets the replay). A
request whose process dies leaves nothing behind: its transaction, key and all, is rolled back.
"""

import functools
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from ninja import Status

from lib.rawrows import Writer

HEADER = "Idempotency-Key"
MAX_KEY = 255
MISMATCH = "此Idempotency-Key已用于另一个请求 (this key was used for a different request)"
RUNNING = "同一Idempotency-Key的请求正在处理 (a request with this key is still being processed)"


def _error(status: int, loc: str, msg: str, kind: str) -> Status:
    return Status(status, {"detail": [{"loc": ["header", loc], "msg": msg, "type": kind}]})


def fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def lock_id(user_id: int, key: str) -> int:
    """The advisory lock's number for a user's key: 64 bits of its SHA-256, signed as bigint."""
    digest = hashlib.sha256(f"{user_id}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_sql(user: str, key: str) -> str:
    """lock_id on PostgreSQL, for a statement that learns the user as it runs (dispatch.quick):
    `user` and `key` are SQL expressions; the bits are lock_id's, signed the same way."""
    digest = f"sha256(convert_to({user}::text || E'\\n' || {key}, 'UTF8'))"
    return f"('x' || left(encode({digest}, 'hex'), 16))::bit(64)::bigint"


def run(request, compute: Callable[[], tuple[int, Any]]) -> Status:
    """Answer `compute()` once per key; without the header, simply answer it."""
    key = request.headers.get(HEADER, "")
    if not key:
        status, body = compute()
        return Status(status, body)
    if len(key) > MAX_KEY:
        return _error(422, HEADER, f"at most {MAX_KEY} characters", "value_error")
    user_id = request.user.pk
    if connection.vendor == "postgresql":
        return _run(request, compute, user_id, key)
    with _in_flight(user_id, key) as held:
        if not held:
            return busy()
        return _run(request, compute, user_id, key)


_flying: set[tuple[int, str]] = set()
_flying_lock = threading.Lock()


@contextmanager
def _in_flight(user_id: int, key: str) -> Iterator[bool]:
    """Hold a key in this process while its request runs; False if another request holds it."""
    with _flying_lock:
        if (user_id, key) in _flying:
            held = False
        else:
            _flying.add((user_id, key))
            held = True
    try:
        yield held
    finally:
        if held:
            with _flying_lock:
                _flying.discard((user_id, key))


def _run(request, compute: Callable[[], tuple[int, Any]], user_id: int, key: str) -> Status:
    from dispatch.models import IdempotencyKey

    table = IdempotencyKey._meta.db_table
    fp = fingerprint(request)
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The lock and the look in one statement. Its snapshot can predate the
                # lock by a moment: a first request committing just then is caught by the
                # key's unique constraint (below) instead.
                cursor.execute(
                    "SELECT pg_try_advisory_xact_lock(%s), k.fingerprint, k.status_code, "  # noqa: S608
                    f"k.body FROM (SELECT 1) AS one LEFT JOIN {table} k "
                    "ON k.user_id = %s AND k.key = %s",
                    [lock_id(user_id, key), user_id, key],
                )
                locked, *answer = cursor.fetchone()
                first = answer if answer[0] is not None else None  # LEFT JOIN: none yet
                if not locked:
                    return busy()
            else:
                cursor.execute(
                    f"SELECT fingerprint, status_code, body FROM {table} "  # noqa: S608
                    "WHERE user_id = %s AND key = %s",
                    [user_id, key],
                )
                first = cursor.fetchone()
        if first is not None:
            return replay(first[0], first[1], first[2], fp)
        status, body = compute()
        stored = json.dumps(body, cls=DjangoJSONEncoder)
        body = json.loads(stored)  # the first answer as every replay will give it
        try:
            _writer(IdempotencyKey).insert([(user_id, key, fp, timezone.now(), status, body)])
        except IntegrityError:
            # Another request stored this key between our look and our answer: our write is
            # rolled back with the transaction, and the client's retry gets the first answer.
            transaction.set_rollback(True)
            return busy()
    return Status(status, body)


@functools.cache
def _writer(model) -> Writer:
    return Writer(model, ["user", "key", "fingerprint", "created_at", "status_code", "body"])


def busy() -> Status:
    """409: a request with this key is still running (or stored its answer a moment ago)."""
    return _error(409, HEADER, RUNNING, "idempotency_in_progress")


def replay(stored_fp: str, status: int, body: Any, fp: str) -> Status:
    """The stored answer for a key, or 422 when this request is not the one that stored it."""
    if stored_fp != fp:
        return _error(422, HEADER, MISMATCH, "idempotency_mismatch")
    if isinstance(body, str):  # a raw cursor hands JSON back as text
        body = json.loads(body)
    # The first answer again; a creation is replayed as 200 (DESIGN.md).
    return Status(200 if status == 201 else status, body)


def forget_older_than(days: int = 7) -> int:
    from dispatch.models import IdempotencyKey

    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
