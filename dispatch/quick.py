"""One new report through the API on PostgreSQL, the common case, in two statements.

The API's commonest write is an enterprise's own reporter sending a new report for a date. The
general path (idempotency.run → actions.submit → actions.write) answers it with ten statements
inside its transaction, each built, sent, parsed and planned on its own: together they cost more
than the rows they write. Here the same case takes two, each prepared once per connection
(lib/prepared.py), with the same rules (validation.clean), the same rows and the same answer:

1. the look: the Idempotency-Key's lock and earlier answer (as idempotency.run takes them), the
   reporter's own enterprise, the cut-off, the enterprise's duty locked FOR UPDATE (as write()
   locks it), whether a period lock closes the date, whether the date already has a report;
2. the write: the report (its own first version: see Report), inserted unless the date has one
   (ON CONFLICT DO NOTHING), and, fed from its new row, its Rollup then its CountyDay delta (the
   order in which every writer takes them), the audit row and the key's answer.

Every other case leaves before writing anything, its transaction rolled back, and goes the
general way, which answers every case: another role, a correction or an unchanged report, a
locked date, an enterprise that is not a daily reporter, a rule broken, an enterprise not the
reporter's own. So does a report written by another request since the look (its snapshot came
before the duty lock was granted): the insert then does nothing, and nothing else is written.
tests/test_quick.py holds the two paths to the same rows and answers, case by case.
"""

import functools
import json
from collections.abc import Callable
from datetime import date
from types import SimpleNamespace
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from ninja import Status

from accounts import scope
from accounts.models import Role
from audit import log
from audit.models import AuditEvent
from lib import idempotency, prepared
from registry.models import Enterprise

from . import actions, calendar, rollups, validation
from .models import (
    MEASURES,
    Cadence,
    CountyDay,
    Duty,
    IdempotencyKey,
    PeriodLock,
    Report,
    Rollup,
    Settings,
)

SOURCE = "api"


class _Elsewhere(Exception):
    """Not this path's case: its transaction is rolled back and the general path answers."""


def submit(
    request, uscc: str, raw: dict[str, Any], answer: Callable[[Report], dict[str, Any]]
) -> Status | None:
    """The answer to one report (`raw`: its fields but the enterprise), or None when the
    general path must give it. `answer` makes the response body of a written report."""
    user = request.user
    if (
        connection.vendor != "postgresql"
        or user.role != Role.REPORTER
        or not user.enterprise_id
        or not user.is_active
        or scope.is_admin(user)
    ):
        return None
    key = request.headers.get(idempotency.HEADER, "")
    if len(key) > idempotency.MAX_KEY or "\x00" in key or "\x00" in uscc:
        return None
    day, problem = (None, "") if raw.get("date") is None else validation.parse_date(raw["date"])
    if day is None or problem:
        return None
    try:
        with transaction.atomic():
            return _submit(request, user, key, uscc, day, raw, answer)
    except _Elsewhere:
        return None


def _submit(request, user, key: str, uscc: str, day: date, raw, answer) -> Status:
    look = {"enterprise": user.enterprise_id, "uscc": uscc, "day": day}
    if key:
        look.update(lock=idempotency.lock_id(user.pk, key), user=user.pk, key=key)
    with prepared.cursor() as cursor:
        prepared.execute(cursor, _look_sql(bool(key)), look)
        found = cursor.fetchone()
    assert found is not None  # one row always (FROM held)
    locked, stored_fp, stored_status, stored_body, *rest = found
    if not locked:
        return idempotency.busy()
    fp = idempotency.fingerprint(request)
    if stored_fp is not None:
        return idempotency.replay(stored_fp, stored_status, stored_body, fp)
    enterprise_row, cutoff, duty_row, (closed, taken) = (
        rest[:5],
        rest[5],
        rest[6 : 6 + len(_DUTY_FIELDS)],
        rest[6 + len(_DUTY_FIELDS) :],
    )
    if enterprise_row[0] is None or closed or taken:
        raise _Elsewhere  # not the reporter's enterprise (404), a locked date, a correction
    duty = dict(zip(_DUTY_FIELDS, duty_row, strict=True))
    if duty["cadence"] != Cadence.DAILY:
        raise _Elsewhere  # weekly: its report counts over a window of its other reports
    enterprise = actions.Reportable._make(enterprise_row)
    cleaned = actions.clean(raw, enterprise)
    if cleaned.errors or cleaned.values["date"] != day:
        raise _Elsewhere  # the general path words the errors (and stores them under the key)
    values = {f: cleaned.values[f] for f in actions.STORED}
    now = timezone.now()
    on_time = now <= calendar.cutoff_at(day, cutoff or calendar.DEFAULT_CUTOFF)
    report = Report(
        id=0,
        enterprise_id=enterprise.pk,
        county=enterprise.region_id,
        date=day,
        on_time=on_time,
        version=1,
        submitted_at=now,
        updated_at=now,
        submitted_by_id=user.pk,
        source=SOURCE,
        **values,
    )
    event = log.build(
        "submit",
        actor=user,
        request=request,
        object_type="report",
        object_id=f"{enterprise.uscc}:{day}",
        source=SOURCE,
        created=1,
        corrected=0,
    )
    measures = rollups.vector(SimpleNamespace(on_time=on_time, **values), duty["weight"])
    params = {
        **{name: _db(Report, name, getattr(report, name)) for name in actions.REPORT_FIELDS},
        **{f"duty_{name}": duty[name] for name in _DUTY_KEYS},
        **{f"sum_{m}": v for m, v in zip(MEASURES, measures, strict=True)},
        **{f"audit_{name}": _db(AuditEvent, name, getattr(event, name)) for name in log.FIELDS},
    }
    body = answer(report)
    if key:  # the answer stored with the key, its id set by the statement
        stored = json.dumps(body, cls=DjangoJSONEncoder)
        params.update(key=key, fingerprint=fp, body=stored)
    try:
        with prepared.cursor() as cursor:
            prepared.execute(cursor, _write_sql(bool(key)), params)
            row = cursor.fetchone()
    except IntegrityError:
        # The key's unique constraint: another request stored it since the look (see
        # idempotency.run). Everything here rolls back; the client's retry gets that answer.
        transaction.set_rollback(True)
        return idempotency.busy()
    if row is None:
        raise _Elsewhere  # a report for the date was written since the look
    if key:
        body = json.loads(stored)  # the first answer as every replay will give it
    body["id"] = row[0]
    return Status(201, body)


def _db(model, name: str, value: Any) -> Any:
    """A value as the database takes it: JSON and addresses adapted as the ORM adapts them; the
    rest (numbers, text, dates, aware datetimes) psycopg sends as they are."""
    field = _adapted(model).get(name)
    return value if field is None else field.get_db_prep_save(value, connection)


@functools.cache
def _adapted(model) -> dict[str, Any]:
    """The model's fields whose values psycopg cannot take as they are, by attname."""
    kinds = ("JSONField", "GenericIPAddressField")
    return {f.attname: f for f in model._meta.concrete_fields if f.get_internal_type() in kinds}


_DUTY_FIELDS = ("cadence", "county", "division", "size", "tagset", "park_id", "weight")
_DUTY_KEYS = ("county", "cadence", "division", "size", "tagset", "park_id")  # Rollup's key but date


def _insert(model, values: dict[str, str], source: str) -> str:
    """INSERT INTO model's table (its columns named by attname) SELECT the expressions FROM
    source."""
    columns = ", ".join(_columns(model)[name] for name in values)
    return (
        f"INSERT INTO {model._meta.db_table} ({columns}) "  # noqa: S608 (our own names)
        f"SELECT {', '.join(values.values())} FROM {source}"
    )


@functools.cache
def _columns(model) -> dict[str, str]:
    """The model's quoted column names, by attname."""
    q = connection.ops.quote_name
    return {f.attname: q(f.column) for f in model._meta.concrete_fields}


def _named(names) -> dict[str, str]:
    return {name: f"%({name})s" for name in names}


@functools.cache
def _look_sql(with_key: bool) -> str:
    """Parameters: enterprise, uscc, day; with a key, lock, user, key. The key's lock is tried
    first and the duty locked only when it was had: a request whose key is held elsewhere is
    told 409 at once, not made to wait for the duty that request holds."""
    duty = [_columns(Duty)[f] for f in _DUTY_FIELDS]
    if with_key:
        held = "pg_try_advisory_xact_lock(%(lock)s)"
        answer = "k.fingerprint, k.status_code, k.body"
        join_key = (
            f"LEFT JOIN {IdempotencyKey._meta.db_table} k "
            "ON k.user_id = %(user)s AND k.key = %(key)s"
        )
    else:
        held, answer, join_key = "true", "NULL, NULL, NULL::jsonb", ""
    return (
        f"WITH held AS (SELECT {held} AS locked), "  # noqa: S608 (our own names)
        f"duty AS (SELECT {', '.join(f'd.{c}' for c in duty)} FROM {Duty._meta.db_table} d, held "
        "WHERE d.enterprise_id = %(enterprise)s AND held.locked FOR UPDATE OF d) "
        f"SELECT held.locked, {answer}, e.id, e.uscc, e.region_code, e.headcount, e.park_id, "
        f"(SELECT cutoff FROM {Settings._meta.db_table} ORDER BY id LIMIT 1), "
        f"{', '.join(f'duty.{c}' for c in duty)}, "
        f"EXISTS (SELECT 1 FROM {PeriodLock._meta.db_table} p WHERE p.date = %(day)s AND "
        "p.region_code IN (substr(e.region_code, 1, 2) || '0000', "
        "substr(e.region_code, 1, 4) || '00', e.region_code)), "
        f"EXISTS (SELECT 1 FROM {Report._meta.db_table} r "
        "WHERE r.enterprise_id = e.id AND r.date = %(day)s) "
        f"FROM held {join_key} "
        f"LEFT JOIN {Enterprise._meta.db_table} e ON e.id = %(enterprise)s "
        "AND e.uscc = %(uscc)s LEFT JOIN duty ON true"
    )


@functools.cache
def _write_sql(with_key: bool) -> str:
    """Parameters: the report's fields (by attname), the duty's
    key columns (duty_…), the measures, the audit row's fields (audit_…); with a key, key,
    fingerprint and body (the answer, its id set here)."""
    rollup_columns, rollup_conflict = rollups.upsert_sql(
        Rollup._meta.db_table, rollups.ROLLUP_KEYS, MEASURES
    )
    county_columns, county_conflict = rollups.upsert_sql(
        CountyDay._meta.db_table, ("county", "date", "cadence"), MEASURES
    )
    measures = ", ".join(f"%(sum_{m})s" for m in MEASURES)
    # Rollup's key is (county, date, cadence, division, size, tagset, park); CountyDay's its first
    # three. The date is the report's; the rest are the duty's.
    named = {k: f"%(duty_{k})s" for k in _DUTY_KEYS} | {"date": "%(date)s"}
    keys = ", ".join(named[k] for k in rollups.ROLLUP_KEYS)
    county_keys = ", ".join(named[k] for k in rollups.ROLLUP_KEYS[:3])
    report = _named(actions.REPORT_FIELDS)
    report_sql = (
        f"INSERT INTO {Report._meta.db_table} "  # noqa: S608
        f"({', '.join(_columns(Report)[name] for name in report)}) "
        f"VALUES ({', '.join(report.values())}) ON CONFLICT (enterprise_id, date) DO NOTHING "
        "RETURNING id"
    )
    audit = _insert(AuditEvent, {name: f"%(audit_{name})s" for name in log.FIELDS}, "r")
    parts = [
        f"r AS ({report_sql})",
        f"u AS (INSERT INTO {Rollup._meta.db_table} ({rollup_columns}) "  # noqa: S608
        f"SELECT {keys}, {measures} FROM r {rollup_conflict} RETURNING 1)",
        f"c AS (INSERT INTO {CountyDay._meta.db_table} ({county_columns}) "  # noqa: S608
        f"SELECT {county_keys}, {measures} FROM u {county_conflict})",
        f"a AS ({audit})",
    ]
    if with_key:
        key = _insert(
            IdempotencyKey,
            {
                "user_id": "%(submitted_by_id)s",
                "key": "%(key)s",
                "fingerprint": "%(fingerprint)s",
                "created_at": "%(submitted_at)s",
                "status_code": "201",
                "body": "jsonb_set(%(body)s::jsonb, '{id}', to_jsonb(r.id))",
            },
            "r",
        )
        parts.append(f"k AS ({key})")
    return f"WITH {', '.join(parts)} SELECT id FROM r"  # noqa: S608
