"""Idempotency-Key for API writes (Stripe's semantics, and the IETF draft's): the first answer to a
key is stored in the same transaction as the write and replayed for the same key; the same key with
a different request is refused (422); a key whose first request is still running gets 409."""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from ninja import Status

HEADER = "Idempotency-Key"
MAX_KEY = 255
# A claim older than this belongs to a request that died (its process was killed): take it over.
STALE = timedelta(seconds=60)


def _error(status: int, loc: str, msg: str, kind: str) -> Status:
    return Status(status, {"detail": [{"loc": ["header", loc], "msg": msg, "type": kind}]})


def fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def run(request, compute: Callable[[], tuple[int, Any]]) -> Status:
    """Answer `compute()` once per key; without the header, simply answer it."""
    from dispatch.models import IdempotencyKey

    key = request.headers.get(HEADER, "")
    if not key:
        status, body = compute()
        return Status(status, body)
    if len(key) > MAX_KEY:
        return _error(422, HEADER, f"at most {MAX_KEY} characters", "value_error")
    claim, answer = _claim(IdempotencyKey, request.user, key, fingerprint(request))
    if answer is not None:
        return answer
    try:
        with transaction.atomic():
            status, body = compute()
            body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
            IdempotencyKey.objects.filter(pk=claim.pk).update(
                done=True, status_code=status, body=body
            )
    except BaseException:
        # Nothing was written; let a retry with the same key run afresh.
        IdempotencyKey.objects.filter(pk=claim.pk, done=False).delete()
        raise
    return Status(status, body)


def _claim(model, user, key: str, fp: str):
    for _ in range(3):
        try:
            with transaction.atomic():
                return model.objects.create(user=user, key=key, fingerprint=fp), None
        except IntegrityError:
            pass
        row = model.objects.filter(user=user, key=key).first()
        if row is None:
            continue  # the first request gave up its claim just now: try again
        if row.fingerprint != fp:
            return None, _error(
                422,
                HEADER,
                "此Idempotency-Key已用于另一个请求 (this key was used for a different request)",
                "idempotency_mismatch",
            )
        if row.done:
            # The first answer again; a creation is replayed as 200 (DESIGN.md).
            return None, Status(200 if row.status_code == 201 else row.status_code, row.body)
        now = timezone.now()
        if row.created_at < now - STALE:
            taken = model.objects.filter(pk=row.pk, done=False, created_at=row.created_at).update(
                created_at=now
            )
            if taken:
                return row, None
        return None, _error(
            409,
            HEADER,
            "同一Idempotency-Key的请求正在处理 (a request with this key is still being processed)",
            "idempotency_in_progress",
        )
    return None, _error(409, HEADER, "please retry", "idempotency_in_progress")


def forget_older_than(days: int = 7) -> int:
    from dispatch.models import IdempotencyKey

    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
