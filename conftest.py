"""Test set-up: reference data once per session, named users of every role (see lib/testing.py)."""

import logging
import re

import pytest

from lib import testing


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        testing.load_reference_once()
    yield
    # Sessions that worker processes or threads left behind would stop the test database from
    # being dropped ("is being accessed by other users").
    with django_db_blocker.unblock():
        testing.end_other_sessions()


@pytest.fixture
def world(db):
    """Enterprises in three counties of two cities, and users of every role (see lib/testing.py)."""
    return testing.World.build()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Argon2 is slow on purpose; tests that don't measure it use a fast hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class _SecretsInLogs(logging.Handler):
    """Collects log records that carry a phone number, a password, a token, a session id or a
    group robot's secret or webhook token."""

    PATTERNS = [
        re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),  # mainland mobile numbers
        re.compile(re.escape(testing.PASSWORD)),
        re.compile(r"\bfg_[A-Za-z0-9_-]{20,}"),  # API tokens
        re.compile(r"sessionid=\w+"),
        re.compile(r"\bSEC[0-9a-fA-F]{32,}"),  # DingTalk signing secrets
        re.compile(r"access_token=[\w-]{16,}|webhook/send\?key=[\w-]{8,}"),  # robot webhooks
    ]

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += " " + repr(record.exc_info[1])
        for pattern in self.PATTERNS:
            if pattern.search(text):
                self.found.append(f"{record.name}: {text[:200]}")


_secrets_handler = _SecretsInLogs()


def pytest_sessionstart(session):
    logging.getLogger().addHandler(_secrets_handler)


def pytest_sessionfinish(session, exitstatus):
    # RELIABILITY check 27: a whole test run's logs hold no personal data or secrets.
    if _secrets_handler.found:
        print(
            "\nlog records with personal data or secrets:\n  "
            + "\n  ".join(_secrets_handler.found[:20])
        )
        session.exitstatus = 1
