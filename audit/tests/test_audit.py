"""The audit trail is append-only, in UTC, and holds no secrets."""

import pytest
from django.db import DatabaseError, transaction

from audit.log import record
from audit.models import AuditEvent


def test_rows_cannot_be_rewritten_by_the_application_or_the_database(db):
    event = record("export", object_type="enterprise", rows=3)
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(result="changed")
    assert AuditEvent.objects.get(pk=event.pk).result == "ok"


def test_time_is_aware_utc(db):
    event = record("login", object_type="user", object_id="x")
    assert event.at.utcoffset().total_seconds() == 0
