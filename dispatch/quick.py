"""One new report through the API on PostgreSQL, the common case, in one statement.

The API's commonest write is an enterprise's own reporter sending a new report for a date. The
general path (django-ninja → idempotency.run → actions.submit → actions.write) answers it with
ten statements in a transaction, each built, sent, parsed and planned on its own, and with
django-ninja's parsing and rendering around them: together they cost more than the rows they
write. Here the same case is answered in front of django-ninja (`view`, mounted at
/api/v1/reports before it), with the same rules (validation.clean), the same rows and the same
answer, in one statement prepared once per connection (lib/prepared.py) that is its own
transaction:

- it takes the Idempotency-Key's lock (as idempotency.run does) and writes nothing when the key
  has an answer already (django-ninja's path replays it);
- it locks the duty of the reporter's own enterprise FOR UPDATE (as write() locks it), provided
  the enterprise is the one named, its normal headcount is at least what the report's figures
  need (validation.headcount_needed), it reports daily, no period lock closes the date and the
  cut-off is the one this process assumed when it decided whether the report is on time;
- fed from that row, it inserts the report (its own first version: see Report) unless the date
  has one (ON CONFLICT DO NOTHING), and fed from the new report its Rollup then its CountyDay
  delta (the order in which every writer takes them), the audit row and the key's answer.

Whatever the statement did not write goes the general way, which answers every case: another
role, a session, a correction or an unchanged report, a locked date, an enterprise that is not a
daily reporter, a rule broken, an enterprise not the reporter's own, a changed cut-off, a body
django-ninja would read differently. tests/test_quick.py holds the two paths to the same rows and
answers, case by case.
"""

import functools
import json
from datetime import time
from types import SimpleNamespace
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import Status

from accounts.models import NOTE_EVERY, Role, digest_of, live_token_sql, note_use_sql
from audit import log
from audit.models import AuditEvent
from fugong.api import api
from lib import idempotency, prepared
from registry.models import Enterprise

from . import actions, calendar, rollups, validation
from .api import as_dict, uscc_as_sent
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


@csrf_exempt  # django-ninja checks CSRF for session callers; the lane takes bearer tokens only
def view(request):
    """POST /api/v1/reports: a bearer-token caller's new report answered here; every other request
    (another method, a session, a body django-ninja would read differently) is django-ninja's."""
    answer = _lane(request) if request.method == "POST" else None
    return answer if answer is not None else _ninja_view()(request)


@functools.cache
def _ninja_view():
    for pattern in api.urls[0]:
        if str(pattern.pattern) == "reports":
            return pattern.callback
    raise LookupError("api/v1/reports")


def _lane(request) -> HttpResponse | None:
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return None
    auth = request.META.get("HTTP_AUTHORIZATION", "")
    if not auth.startswith("Bearer "):
        return None
    try:
        raw = json.loads(request.body)  # as django-ninja reads a body
    except ValueError:
        return None
    if not plain(raw):
        return None
    # The token as django-ninja's HttpBearer cuts it, looked up by the statement itself.
    digest = digest_of(auth[7:])
    uscc = uscc_as_sent(raw.pop("enterprise"))
    return submit(request, digest, uscc, raw)


_TEXT = {"date": 32, "status": 32, "over_headcount_reason": 400, "note": 4000}  # ReportIn's limits
_OPTIONAL = frozenset(("date", "status"))
_INTS = frozenset(("staff_on_site", "capacity_pct", "mask_days", "fever", "suspected", "confirmed"))
_BOOLS = frozenset(("temperature_checks", "disinfection"))
_FIELDS = frozenset(("enterprise", "difficulties", *_TEXT, *_INTS, *_BOOLS))


def plain(raw: Any) -> bool:
    """Whether django-ninja's ReportIn takes this body as it is: its known fields, each of exactly
    the declared type within the declared limits, so that ReportIn(**raw).dict() is raw with the
    defaults filled in (tests/test_quick.py checks it for any body). The lane reads nothing else,
    so it and django-ninja never read one body two ways."""
    if type(raw) is not dict or not raw.keys() <= _FIELDS:
        return False
    enterprise = raw.get("enterprise")
    if type(enterprise) is not str or len(enterprise) > 40:
        return False
    for name, value in raw.items():
        if name in _INTS:
            if value is not None and type(value) is not int:
                return False
        elif name in _BOOLS:
            if value is not None and type(value) is not bool:
                return False
        elif name in _TEXT:
            if value is None and name in _OPTIONAL:
                continue
            if type(value) is not str or len(value) > _TEXT[name]:
                return False
        elif name == "difficulties":
            if type(value) is not list or len(value) > 20 or any(type(d) is not str for d in value):
                return False
    staff = [raw.get(n) for n in ("staff_on_site", "fever", "suspected", "confirmed")]
    return all(v is None or 0 <= v <= 10_000_000 for v in staff)


# --- the statement ---------------------------------------------------------------------------------

SOURCE = "api"
# clean() before the enterprise's headcount is known: the two rules that read it pass, and the
# statement compares the headcount with validation.headcount_needed.
_HEADCOUNT_UNKNOWN = 10**12
_cutoff: list[time | None] = [None]  # the cut-off as this process last read it (checked in SQL)


class _Elsewhere(Exception):
    """Not this path's case: nothing was written, and the general path answers."""


def submit(request, digest: str, uscc: str, raw: dict[str, Any]) -> HttpResponse | None:
    """The response to one report sent with the bearer token whose digest is `digest` (`raw`:
    its fields but the enterprise), or None when the general path must give it."""
    db = connections[DEFAULT_DB_ALIAS]  # not django.db.connection: see lib/prepared.py
    key = request.META.get("HTTP_IDEMPOTENCY_KEY", "")  # idempotency.HEADER
    if (
        db.vendor != "postgresql"
        or len(key) > idempotency.MAX_KEY
        or "\x00" in key
        or "\x00" in uscc
    ):
        return None
    cleaned = validation.clean(raw, headcount=_HEADCOUNT_UNKNOWN, today=calendar.today())
    if cleaned.errors:
        return None  # the general path words the errors (and stores them under the key)
    try:
        if db.in_atomic_block:  # a caller's transaction: a savepoint, as atomic() takes
            with transaction.atomic():
                return _submit(request, digest, key, uscc, cleaned.values)
        return _submit(request, digest, key, uscc, cleaned.values)
    except _Elsewhere:
        return None


def _submit(request, digest: str, key: str, uscc: str, values) -> HttpResponse:
    cutoff = _cutoff[0]
    if cutoff is None:
        cutoff = _cutoff[0] = calendar.settings_row().cutoff or calendar.DEFAULT_CUTOFF
    day = values["date"]
    now = timezone.now()
    on_time = now <= calendar.cutoff_at(day, cutoff)
    stored = {f: values[f] for f in actions.STORED}
    report = SimpleNamespace(
        pk=0,
        date=day,
        on_time=on_time,
        version=1,
        submitted_at=now,
        updated_at=now,
        source=SOURCE,
        **stored,
    )
    # Its actor is the token's user, set by the statement.
    event = log.build(
        "submit",
        request=request,
        object_type="report",
        object_id=f"{uscc}:{day}",
        source=SOURCE,
        created=1,
        corrected=0,
    )
    # A measure is affine in the duty's weight (rollups.vector): the statement adds
    # at_zero + per_weight × weight, the weight being the locked duty's.
    counted = SimpleNamespace(on_time=on_time, **stored)
    at_zero, at_one = rollups.vector(counted, 0), rollups.vector(counted, 1)
    params: dict[str, Any] = {
        **_as_db(Report, report, _REPORT_PARAMS),
        **{f"m_{m}": v for m, v in zip(MEASURES, at_zero, strict=True)},
        **{f"w_{m}": b - a for m, a, b in zip(MEASURES, at_zero, at_one, strict=True)},
        **_as_db(AuditEvent, event, _AUDIT_PARAMS, "audit_"),
        "digest": digest,
        "now": now,
        "stale": now - NOTE_EVERY,
        "uscc": uscc,
        "needed": validation.headcount_needed(values),
        "cutoff": cutoff,
    }
    # The answer as django-ninja renders it (its first field the id, set once it is known) and as
    # the key keeps it (its id set by the statement).
    body = as_dict(report, uscc)
    assert next(iter(body)) == "id"
    body_text = json.dumps(body, cls=DjangoJSONEncoder)
    if key:
        params.update(key=key, fingerprint=idempotency.fingerprint(request), body=body_text)
    try:
        with prepared.cursor() as cursor:
            prepared.execute(cursor, _sql(bool(key)), params)
            found = cursor.fetchone()
    except IntegrityError:
        # The key's unique constraint: another request stored it since the statement's
        # snapshot (see idempotency.run). Nothing here was kept; the client's retry gets it.
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            transaction.set_rollback(True)
        return _rendered(request, idempotency.busy())
    if found is None:
        raise _Elsewhere  # not a live token of an enterprise's own reporter: django-ninja's
    locked, report_id, current_cutoff = found
    if not locked:
        return _rendered(request, idempotency.busy())
    if report_id is None:
        # Not written: the general path sees why (a replay or a mismatch among them: it renders
        # the first answer by its schema). A changed cut-off is read again next time.
        _cutoff[0] = current_cutoff
        raise _Elsewhere
    unset = json.dumps({"id": 0})[:-1]  # '{"id": 0'
    text = '{"id": ' + str(report_id) + body_text[len(unset) :]
    return HttpResponse(text, status=201, content_type=api.get_content_type())


def _rendered(request, answer: Status) -> HttpResponse:
    return api.create_response(request, answer.value, status=answer.status_code)


def _as_db(model, obj, names, prefix: str = "") -> dict[str, Any]:
    """obj's values of `names` as the database takes them, by prefix + name: JSON and addresses
    adapted as the ORM adapts them; the rest (numbers, text, dates, aware datetimes) psycopg
    sends as they are."""
    values = {prefix + name: getattr(obj, name) for name in names}
    db = connections[DEFAULT_DB_ALIAS]
    for name, field in _adapted(model).items():
        if name in names:
            values[prefix + name] = field.get_db_prep_save(values[prefix + name], db)
    return values


@functools.cache
def _adapted(model) -> dict[str, Any]:
    """The model's fields whose values psycopg cannot take as they are, by attname."""
    kinds = ("JSONField", "GenericIPAddressField")
    return {f.attname: f for f in model._meta.concrete_fields if f.get_internal_type() in kinds}


# The columns sent as parameters; the statement reads the report's enterprise, county and
# submitter and the audit row's actor.
_REPORT_READ = {
    "enterprise_id": "own.enterprise_id",
    "county": "own.region_code",
    "submitted_by_id": "own.user_id",
}
_REPORT_PARAMS = tuple(f for f in actions.REPORT_FIELDS if f not in _REPORT_READ)
_AUDIT_READ = {"actor_id": "own.user_id", "actor_name": "own.username"}
_AUDIT_PARAMS = tuple(f for f in log.FIELDS if f not in _AUDIT_READ)
_DUTY_FIELDS = ("county", "cadence", "division", "size", "tagset", "park_id", "weight")


@functools.cache
def _columns(model) -> dict[str, str]:
    """The model's quoted column names, by attname."""
    q = connection.ops.quote_name
    return {f.attname: q(f.column) for f in model._meta.concrete_fields}


def _insert(model, values: dict[str, str], source: str) -> str:
    """INSERT INTO model's table (its columns named by attname) SELECT the expressions FROM
    source."""
    columns = ", ".join(_columns(model)[name] for name in values)
    return (
        f"INSERT INTO {model._meta.db_table} ({columns}) "  # noqa: S608 (our own names)
        f"SELECT {', '.join(values.values())} FROM {source}"
    )


@functools.cache
def _sql(with_key: bool) -> str:
    """The statement. Parameters: digest (the bearer token's), now and stale (for noting the
    token's use, see ApiToken.find), the report's fields by attname (but those it reads), uscc,
    needed (the headcount the figures need), cutoff (as assumed), m_… and w_… (each measure at
    weight 0 and its growth per unit of weight), the audit row's fields (audit_…, but its
    actor); with a key, key, fingerprint and body (the answer, its id set here).

    No row when the token is not a live one of an active enterprise reporter (another role
    goes the general way); else one: whether the key's lock was had, the new report's id (NULL
    when nothing was written: the key has an answer, or another case of the general path's)
    and the cut-off as it is.

    The key's lock is tried first and the duty locked only when it was had and the key has no
    answer yet: a request whose key is held elsewhere is told 409 at once, not made to wait
    for the duty that request holds."""
    e, d = Enterprise._meta.db_table, Duty._meta.db_table
    duty = _columns(Duty)
    default = calendar.DEFAULT_CUTOFF.isoformat()
    cutoff_now = (
        f"COALESCE((SELECT cutoff FROM {Settings._meta.db_table} ORDER BY id LIMIT 1), "  # noqa: S608
        f"'{default}'::time)"
    )
    # What scope.is_admin and the quick path's case ask of the user: a reporter, not an admin.
    who = (
        "SELECT u.id, u.username, u.enterprise_id "  # noqa: S608
        f"FROM {live_token_sql('%(digest)s')} AND u.role = '{Role.REPORTER}' "
        "AND NOT u.is_superuser AND u.enterprise_id IS NOT NULL"
    )
    if with_key:
        held = f"pg_try_advisory_xact_lock({idempotency.lock_sql('who.id', '%(key)s')})"
        prior = (
            f"SELECT 1 FROM {IdempotencyKey._meta.db_table} k, who "  # noqa: S608
            "WHERE k.user_id = who.id AND k.key = %(key)s"
        )
    else:
        held, prior = "true", "SELECT 1 WHERE false"
    own = (
        f"SELECT {', '.join(f'd.{duty[f]} AS {f}' for f in _DUTY_FIELDS)}, "  # noqa: S608
        "e.id AS enterprise_id, e.region_code, who.id AS user_id, who.username "
        f"FROM held, who, {e} e JOIN {d} d ON d.enterprise_id = e.id "
        "WHERE held.locked AND NOT EXISTS (SELECT 1 FROM prior) "
        "AND e.id = who.enterprise_id AND e.uscc = %(uscc)s AND e.headcount >= %(needed)s "
        f"AND d.{duty['cadence']} = '{Cadence.DAILY}' "
        f"AND {cutoff_now} = %(cutoff)s::time "
        f"AND NOT EXISTS (SELECT 1 FROM {PeriodLock._meta.db_table} p "
        "WHERE p.date = %(date)s AND p.region_code IN (substr(e.region_code, 1, 2) || '0000', "
        "substr(e.region_code, 1, 4) || '00', e.region_code)) "
        "FOR UPDATE OF d"
    )
    report = {name: f"%({name})s" for name in _REPORT_PARAMS} | _REPORT_READ
    report_sql = (
        _insert(Report, report, "own")
        + " ON CONFLICT (enterprise_id, date) DO NOTHING RETURNING id"
    )
    measures = ", ".join(f"%(m_{m})s + %(w_{m})s * own.weight" for m in MEASURES)
    # Rollup's key is (county, date, cadence, division, size, tagset, park); CountyDay's its first
    # three. The date is the report's; the rest are the duty's.
    keys = {k: f"own.{k}" for k in _DUTY_FIELDS} | {"date": "%(date)s"}
    rollup_columns, rollup_conflict = rollups.upsert_sql(
        Rollup._meta.db_table, rollups.ROLLUP_KEYS, MEASURES
    )
    county_columns, county_conflict = rollups.upsert_sql(
        CountyDay._meta.db_table, rollups.ROLLUP_KEYS[:3], MEASURES
    )
    rollup_keys = ", ".join(keys[k] for k in rollups.ROLLUP_KEYS)
    county_keys = ", ".join(keys[k] for k in rollups.ROLLUP_KEYS[:3])
    audit = {name: f"%(audit_{name})s" for name in _AUDIT_PARAMS} | _AUDIT_READ
    parts = [
        f"who AS ({who})",
        f"noted AS ({note_use_sql('%(digest)s', '%(now)s', '%(stale)s', 'who')})",
        f"held AS (SELECT {held} AS locked FROM who)",  # noqa: S608
        f"prior AS ({prior})",
        f"own AS ({own})",
        f"r AS ({report_sql})",
        f"u AS (INSERT INTO {Rollup._meta.db_table} ({rollup_columns}) "  # noqa: S608
        f"SELECT {rollup_keys}, {measures} FROM r, own {rollup_conflict} RETURNING 1)",
        f"c AS (INSERT INTO {CountyDay._meta.db_table} ({county_columns}) "  # noqa: S608
        f"SELECT {county_keys}, {measures} FROM u, own {county_conflict})",
        f"a AS ({_insert(AuditEvent, audit, 'r, own')})",
    ]
    if with_key:
        key = _insert(
            IdempotencyKey,
            {
                "user_id": "own.user_id",
                "key": "%(key)s",
                "fingerprint": "%(fingerprint)s",
                "created_at": "%(submitted_at)s",
                "status_code": "201",
                "body": "jsonb_set(%(body)s::jsonb, '{id}', to_jsonb(r.id))",
            },
            "r, own",
        )
        parts.append(f"k AS ({key})")
    return (
        f"WITH {', '.join(parts)} "  # noqa: S608
        f"SELECT held.locked, (SELECT id FROM r), {cutoff_now} FROM held"
    )
