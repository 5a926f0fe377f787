"""Hand-written SQL on hot paths gives and stores the values the ORM would (lib.rawrows), on
SQLite and PostgreSQL alike."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken, Role, User
from audit.models import AuditEvent
from dispatch import actions
from lib.rawrows import Reader, Writer

pytestmark = pytest.mark.django_db

FIELDS = [
    "at",
    "actor",
    "actor_name",
    "action",
    "object_type",
    "object_id",
    "result",
    "address",
    "detail",
]


def test_writer_stores_what_the_orm_reads_back():
    user = User.objects.create(username="w", role=Role.ADMIN)
    moment = datetime(2020, 2, 21, 9, 30, 15, 123456, tzinfo=UTC)
    values = [moment, user.pk, "w", "submit", "report", "x:1", "ok", "10.0.0.1", {"n": [1, "二"]}]
    (pk,) = Writer(AuditEvent, FIELDS).insert([values], returning=True)
    event = AuditEvent.objects.get(pk=pk)
    assert [getattr(event, AuditEvent._meta.get_field(f).attname) for f in FIELDS] == values


def test_writer_inserts_several_rows_and_returns_their_ids_in_order():
    rows = [
        [datetime(2020, 2, d, tzinfo=UTC), None, "", f"a{d}", "", "", "ok", None, {}]
        for d in (3, 1, 2)
    ]
    ids = Writer(AuditEvent, FIELDS).insert(rows, returning=True)
    assert [AuditEvent.objects.get(pk=pk).action for pk in ids] == ["a3", "a1", "a2"]
    assert Writer(AuditEvent, FIELDS).insert([]) == []


def test_reader_builds_the_instance_a_queryset_would():
    user = User.objects.create(username="r", role=Role.ADMIN, is_active=True)
    AuditEvent.objects.create(actor=user, action="x", address="::1", detail={"k": True})
    for model, names in (
        (User, [f.name for f in User._meta.concrete_fields]),
        (AuditEvent, ["id", *FIELDS]),
    ):
        reader = Reader(model, names)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {reader.select()} FROM {model._meta.db_table} ORDER BY id")  # noqa: S608
            built = [reader.build(row) for row in cursor.fetchall()]
        expected = list(model.objects.order_by("id"))
        assert built == expected
        for mine, theirs in zip(built, expected, strict=True):
            for attname in reader.attnames:
                assert getattr(mine, attname) == getattr(theirs, attname), attname
                assert type(getattr(mine, attname)) is type(getattr(theirs, attname)), attname


def test_token_lookup_attaches_the_active_user_and_ignores_revoked_or_inactive(world):
    user = world.dave
    token, raw = ApiToken.issue(user)
    found = ApiToken.find(raw)
    assert found is not None and found.pk == token.pk and found.user == user
    assert found.user.role == Role.REPORTER and found.user.is_active is True
    assert found.user.enterprise_id == world.steel.pk
    assert ApiToken.find(raw + "x") is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert ApiToken.find(raw) is None
    User.objects.filter(pk=user.pk).update(is_active=True)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=datetime(2020, 1, 1, tzinfo=UTC))
    assert ApiToken.find(raw) is None


@pytest.mark.parametrize(
    "wanted",
    [["a,b", "c"], ["", "c"], ["c"], []],
    ids=["a comma", "an empty string", "one", "none"],
)
def test_among_finds_exactly_the_values_asked_for(wanted):
    """One array parameter on PostgreSQL, split by the server when it safely can be."""
    for name in ("a,b", "a", "b", "c", ""):
        AuditEvent.objects.create(action="x", object_id=name)
    found = actions.among(AuditEvent.objects.all(), "object_id", wanted)
    assert sorted(found.values_list("object_id", flat=True)) == sorted(wanted)


def test_a_tokens_use_is_noted_at_most_every_five_minutes(world):
    """PostgreSQL notes it in the look's own statement, SQLite with a second one: the same rows."""
    from unittest import mock

    token, raw = ApiToken.issue(world.dave)

    def use(minute: int) -> datetime:
        moment = datetime(2020, 2, 21, 9, minute, tzinfo=UTC)
        with mock.patch("django.utils.timezone.now", return_value=moment):
            found = ApiToken.find(raw, note_use=True)
        assert found is not None and found.last_used_at is not None
        stored = ApiToken.objects.get(pk=token.pk).last_used_at
        assert found.last_used_at == stored
        return stored

    assert use(0) == datetime(2020, 2, 21, 9, 0, tzinfo=UTC)
    assert use(4) == datetime(2020, 2, 21, 9, 0, tzinfo=UTC)  # within five minutes: kept
    assert use(6) == datetime(2020, 2, 21, 9, 6, tzinfo=UTC)
    ApiToken.find(raw)  # a look without noting changes nothing
    assert ApiToken.objects.get(pk=token.pk).last_used_at == datetime(2020, 2, 21, 9, 6, tzinfo=UTC)
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=datetime(2020, 1, 1, tzinfo=UTC))
    with mock.patch("django.utils.timezone.now", return_value=datetime(2020, 3, 1, tzinfo=UTC)):
        assert ApiToken.find(raw, note_use=True) is None
    assert ApiToken.objects.get(pk=token.pk).last_used_at == datetime(2020, 2, 21, 9, 6, tzinfo=UTC)


def test_writer_splits_many_rows_into_statements_and_keeps_their_order(monkeypatch):
    monkeypatch.setattr(Writer, "ROWS_PER_STATEMENT", 7)
    rows = [
        [datetime(2020, 2, 1, tzinfo=UTC), None, "", f"a{i}", "", "", "ok", None, {}]
        for i in range(20)
    ]
    with CaptureQueriesContext(connection) as done:
        ids = Writer(AuditEvent, FIELDS).insert(rows, returning=True)
    assert sum(q["sql"].startswith("INSERT") for q in done.captured_queries) == 3  # 7 + 7 + 6
    assert [AuditEvent.objects.get(pk=pk).action for pk in ids] == [f"a{i}" for i in range(20)]
    Writer(AuditEvent, FIELDS).insert(rows[:9])
    assert AuditEvent.objects.count() == 29
