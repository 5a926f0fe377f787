"""RELIABILITY check 16: schemathesis against /api/v1/openapi.json.

Schemathesis reads the API's own schema from the Django WSGI app and, for every operation of the
reports, stats (and brief, once stats/brief.py exists), enterprises, imports, problems and inbox routers, sends at
least 100 generated requests (hypothesis: max_examples=100, no deadline) authenticated as an
official over the whole test world. Path parameters are drawn half from the generator and half
from objects that exist (an enterprise in scope and one out of it, a reported date, an import), and
half of the report bodies name an enterprise in scope and a past date, so the answers for real
objects and the write path are checked too. Checked on every response: no server error (5xx), a
status code the schema documents, the documented content type, and a body that conforms to the
schema. Then 50 more requests per operation with data the schema forbids: still no server error.

All failures of a router are collected and shown together, operation by operation.
"""

import importlib.util
import os
import re
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from dispatch import calendar
from fugong.wsgi import application
from notify.models import InboxItem, Kind
from notify.services import publish
from registry import imports

from .factories import BASE, report

EXAMPLES = 100
NEGATIVE_EXAMPLES = 50  # beyond the check; kept small so the suite stays fast
TAGS = ("reports", "stats", "enterprises", "imports", "problems", "inbox")
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FUZZ = {
    mode: settings(
        max_examples=EXAMPLES if mode == GenerationMode.POSITIVE else NEGATIVE_EXAMPLES,
        deadline=None,
        database=None,  # no .hypothesis directory in the tree
        # The same examples on every run, so a merge is never blocked by a lucky draw;
        # FUGONG_FUZZ_RANDOM=1 explores afresh (do that when changing the API).
        derandomize=os.getenv("FUGONG_FUZZ_RANDOM") != "1",
        suppress_health_check=list(HealthCheck),
    )
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
}


@pytest.fixture
def keep_connection():
    """Called as a WSGI app, Django closes the database connection at the start and end of each
    request (close_old_connections), which would end the test's transaction; Django's own test
    client switches that off the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def _real_reports(case, known: dict[str, list[Any]]):
    """A report body (or a batch's) about an enterprise in scope on a reported date, so that the
    write path itself is reached, not only the 404 for an unknown enterprise."""
    body = case.body
    items = [body] if isinstance(body, dict) and "enterprise" in body else []
    if isinstance(body, dict) and isinstance(body.get("reports"), list):
        items += [item for item in body["reports"] if isinstance(item, dict)]
    for item in items:
        item["enterprise"] = known["uscc"][0]
        item["date"] = known["day"][0]
    return case


def _cases(operation, mode: GenerationMode, known: dict[str, list[Any]]):
    """Generated cases; for an operation with path parameters or a report body, half of them
    name real objects."""
    generated = operation.as_strategy(generation_mode=mode)
    if operation.path.startswith("/api/v1/reports") and operation.method.upper() == "POST":
        generated = st.one_of(generated, generated.map(lambda case: _real_reports(case, known)))
    names = re.findall(r"{(\w+)}", operation.path)
    if not names:
        return generated
    choices = [
        {n: v for n, v in zip(names, values, strict=True)} for values in _product(names, known)
    ]
    real = st.sampled_from(choices).flatmap(
        lambda fixed: operation.as_strategy(generation_mode=mode, path_parameters=fixed)
    )
    return st.one_of(generated, real)


def _product(names: list[str], known: dict[str, list[Any]]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = [()]
    for name in names:
        rows = [(*row, value) for row in rows for value in known[name]]
    return rows


def _fuzz(operation, mode, check: Callable, known) -> tuple[int, float]:
    """Run one operation's examples; (how many were sent, seconds). Raises on the first failure."""
    sent = 0

    @FUZZ[mode]
    @given(case=_cases(operation, mode, known))
    def fuzz(case):
        nonlocal sent
        sent += 1
        check(case)

    started = time.perf_counter()
    fuzz()
    return sent, time.perf_counter() - started


@pytest.mark.parametrize("tag", TAGS)
def test_api_conforms_to_its_schema(world, keep_connection, tag):
    today = calendar.today()
    for back in (1, 2):
        for e in (world.steel, world.textile, world.dairy):
            day = today - timedelta(days=back)
            report(e, day, when=(day.year, day.month, day.day, 9, 0), staff_on_site=5 + back)
    job = imports.submit(actor=world.alice, data=b"uscc,name\n", filename="sheet.csv", dry_run=True)
    mine, theirs = _problems(world)
    items = [
        InboxItem.objects.get(
            event=publish(Kind.REPORT_REMINDER, recipients=[u], title="t", text="x"), user=u
        )
        for u in (world.alice, world.bob)
    ]
    known = {
        "uscc": [world.steel.uscc, world.coal.uscc],  # in alice's scope, and out of it
        "day": [(today - timedelta(days=1)).isoformat()],
        "job_id": [job.pk],
        "problem_id": [mine.pk, theirs.pk],  # in alice's scope, and out of it
        "attachment_id": [a.pk for a in (*mine.attachments.all(), *theirs.attachments.all())],
        "item_id": [item.pk for item in items],  # alice's, and someone else's
    }
    _, token = ApiToken.issue(world.alice)
    auth = {"Authorization": f"Bearer {token}"}

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(tag=tag)
    if importlib.util.find_spec("stats.brief") is None:
        schema = schema.exclude(path="/api/v1/brief")  # the brief is not written yet

    def conforms(case) -> None:
        case.call_and_validate(headers=auth, checks=CONFORMANCE)

    def survives(case) -> None:
        response = case.call(headers=auth)
        case.validate_response(response, checks=[not_a_server_error], headers=auth)

    sent: dict[str, tuple[int, float]] = {}
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert operations, f"no operations tagged {tag}"
    for operation in operations:
        for mode, check in (
            (GenerationMode.POSITIVE, conforms),
            (GenerationMode.NEGATIVE, survives),
        ):
            name = f"{operation.method.upper()} {operation.path} ({mode.value})"
            try:
                sent[name] = _fuzz(operation, mode, check, known)
            # collected, so that one run shows every operation's failures
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"--- {name}\n{exc}")
    print(
        f"\nschemathesis [{tag}]: "
        + "; ".join(f"{n}: {c} requests in {s:.1f} s" for n, (c, s) in sent.items())
    )
    assert not failures, "\n".join(failures)
    few = {n: c for n, (c, _) in sent.items() if "positive" in n and c < EXAMPLES}
    assert not few, few


def _problems(world):
    """A problem alice may see (with an attachment) and one she may not, for path parameters."""
    from problems import actions as problem_actions

    pdf = b"%PDF-1.4\n%%EOF\n"
    made = []
    for enterprise in (world.steel, world.coal):
        p = problem_actions.raise_problem(
            actor=world.root, enterprise=enterprise, category="labour", description="缺工"
        )
        problem_actions.attach(actor=world.root, problem_id=p.pk, data=pdf, filename="a.pdf")
        made.append(p)
    return made


NUL_CASES = [
    ("post", "/api/v1/reports", {"note": "a\x00b"}),
    ("post", "/api/v1/reports", {"over_headcount_reason": "a\x00b"}),
    ("post", "/api/v1/reports", {"enterprise": "9115\x00"}),
    ("post", "/api/v1/reports/batch", {"note": "a\x00b"}),
    ("post", "/api/v1/reports/batch", {"enterprise": "9115\x00"}),
    ("get", "/api/v1/reports", {"enterprise": "9115\x00"}),
    ("get", "/api/v1/stats", {"tag": "a\x00"}),
    ("get", "/api/v1/brief", {"tag": "a\x00"}),
    ("post", "/api/v1/reports/unlocks", {"region": "1502\x00"}),
    ("post", "/api/v1/problems", {"description": "a\x00b"}),
    ("post", "/api/v1/problems", {"enterprise": "9115\x00"}),
    ("get", "/api/v1/problems", {"category": "a\x00", "status": "\x00", "region": "15\x00"}),
    ("get", "/api/v1/problems/metrics", {"region": "1502\x00", "department": "\x00"}),
]


@pytest.mark.parametrize(
    ("method", "path", "over"),
    NUL_CASES,
    ids=[
        "report-note",
        "report-reason",
        "report-enterprise",
        "batch-note",
        "batch-enterprise",
        "list-enterprise",
        "stats-tag",
        "brief-tag",
        "unlock-region",
        "problem-description",
        "problem-enterprise",
        "problem-list",
        "problem-metrics",
    ],
)
def test_a_nul_byte_is_never_a_server_error(world, method, path, over):
    """PostgreSQL refuses NUL in text; schemathesis found such requests answered 500 there. A
    NUL byte in any text the API takes must be answered like other bad input (SQLite stores it)."""
    _, token = ApiToken.issue(world.alice)
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {token}")
    day = (calendar.today() - timedelta(days=1)).isoformat()
    if method == "get":
        response = client.get(path, over)
    elif path.endswith("unlocks"):
        response = client.post(path, {"date": day, **over}, content_type="application/json")
    elif path.startswith("/api/v1/problems"):
        one = {"category": "labour", "description": "缺工", "enterprise": world.steel.uscc, **over}
        response = client.post(path, one, content_type="application/json")
    else:
        one = {**BASE, "enterprise": world.steel.uscc, "date": day, **over}
        body = {"reports": [one]} if path.endswith("batch") else one
        response = client.post(path, body, content_type="application/json")
    assert response.status_code < 500, response.content[:300]
