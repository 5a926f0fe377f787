"""Scope (RELIABILITY 19–21) for problems: every role against every problem on every endpoint.
Out of scope is 404 for reads and writes, and a write out of scope changes nothing; lists and
metrics hold exactly the caller's problems."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from accounts import scope
from accounts.models import ApiToken, Role
from audit.models import AuditEvent
from lib import testing
from problems import actions
from problems.models import Attachment, Comment, Problem, ProblemStep
from regions.models import prefix_of

from .factories import at, raise_

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

VISIBLE = {
    "alice": {"steel", "textile", "dairy"},
    "bob": {"steel", "textile"},
    "carol": {"steel"},
    "dave": {"steel"},
    "erin": {"steel"},
    "frank": set(),
    "grace": {"steel", "textile"},  # her region, and textile is at her desk too
    "henry": {"steel"},
    "ivan": {"steel", "textile", "dairy"},
    "kate": {"steel"},
    "otto": {"dairy", "coal"},  # a Shanxi handler on our province's desk: it, and his region
    "root": {"steel", "textile", "dairy", "coal"},
}
NAMES = ("steel", "textile", "dairy", "coal")


@pytest.fixture
def matrix(world, desks):
    otto = testing.user("otto", Role.HANDLER, region_id="140000")
    desks.province_hr.members.add(otto)
    problems = {
        "steel": raise_(world.dave, world.steel),
        "textile": raise_(world.bob, world.textile),
        "dairy": raise_(world.alice, world.dairy),
        "coal": raise_(world.root, world.coal),
    }
    with at(2020, 2, 17, 12):
        files = {
            name: actions.attach(actor=world.root, problem_id=p.pk, data=PNG, filename="a.png")
            for name, p in problems.items()
        }
    users = {**world.users(), "henry": desks.henry, "ivan": desks.ivan, "kate": desks.kate}
    users["otto"] = otto
    return problems, files, users


def _bearer(user) -> Client:
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", raise_request_exception=False)


def _state(p: Problem) -> tuple:
    p.refresh_from_db()
    return (
        p.version,
        p.status,
        p.department_id,
        p.handler_id,
        ProblemStep.objects.filter(problem=p).count(),
        Comment.objects.filter(problem=p).count(),
        Attachment.objects.filter(problem=p).count(),
    )


def test_the_dairy_problem_sits_at_the_province_desk(matrix, desks):
    problems, _, _ = matrix
    assert problems["dairy"].department == desks.province_hr
    assert problems["textile"].department == desks.city_hr


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_scope_module_lists_exactly_the_visible_problems(matrix, username):
    problems, _, users = matrix
    seen = {n for n in NAMES if scope.problems(users[username]).filter(pk=problems[n].pk).exists()}
    assert seen == VISIBLE[username]


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_every_endpoint_for_every_problem(matrix, username):
    problems, files, users = matrix
    user = users[username]
    api = _bearer(user)
    web = Client(raise_request_exception=False)
    web.force_login(user)
    for name in NAMES:
        p, a = problems[name], files[name]
        seen = name in VISIBLE[username]
        read = 200 if seen else 404
        where = (username, name)
        with at(2020, 2, 17, 13):
            assert web.get(f"/problems/{p.pk}/").status_code == read, where
            assert api.get(f"/api/v1/problems/{p.pk}").status_code == read, where
            assert api.get(f"/api/v1/problems/{p.pk}/comments").status_code == read, where
            assert web.get(f"/problems/{p.pk}/attachments/{a.pk}/").status_code == read, where
            r = api.get(f"/api/v1/problems/{p.pk}/attachments/{a.pk}")
            assert r.status_code == read, where
            if seen:
                continue
            before = _state(p)
            writes = [
                api.post(
                    f"/api/v1/problems/{p.pk}/transitions",
                    {"action": "accept", "version": p.version},
                    content_type="application/json",
                ),
                api.post(
                    f"/api/v1/problems/{p.pk}/comments",
                    {"text": "越权留言"},
                    content_type="application/json",
                ),
                api.post(
                    f"/api/v1/problems/{p.pk}/attachments",
                    {"file": SimpleUploadedFile("b.png", PNG)},
                ),
                web.post(f"/problems/{p.pk}/", {"action": "accept", "version": p.version}),
                web.post(f"/problems/{p.pk}/comments/", {"text": "越权留言"}),
                web.post(
                    f"/problems/{p.pk}/attachments/",
                    {"file": SimpleUploadedFile("b.png", PNG)},
                ),
            ]
            assert [w.status_code for w in writes] == [404] * len(writes), where
            assert _state(p) == before, where


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_lists_hold_only_the_scope(matrix, username):
    problems, _, users = matrix
    user = users[username]
    expected = {problems[n].pk for n in VISIBLE[username]}
    listed = {i["id"] for i in _bearer(user).get("/api/v1/problems?page_size=200").json()["items"]}
    assert listed == expected
    web = Client()
    web.force_login(user)
    page = web.get("/problems/").content.decode()
    for n in NAMES:
        assert (f'id="problem-{problems[n].pk}"' in page) == (n in VISIBLE[username]), n


def test_probing_an_existing_problem_is_audited(matrix, world):
    problems, _, _ = matrix
    api = _bearer(world.carol)
    assert api.get(f"/api/v1/problems/{problems['coal'].pk}").status_code == 404
    assert api.get("/api/v1/problems/987654").status_code == 404
    denied = AuditEvent.objects.filter(actor=world.carol, result="denied", object_type="problem")
    assert list(denied.values_list("object_id", flat=True)) == [str(problems["coal"].pk)]


def test_anonymous_gets_401_and_a_login_redirect(matrix):
    problems, _, _ = matrix
    c = Client()
    assert c.get("/api/v1/problems").status_code == 401
    assert c.get(f"/api/v1/problems/{problems['steel'].pk}").status_code == 401
    r = c.get("/problems/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_session_writes_need_the_csrf_token(matrix, world):
    """RELIABILITY 23: a cookie-authenticated POST without its CSRF token is refused."""
    problems, _, _ = matrix
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.dave)
    p = problems["steel"]
    before = _state(p)
    r = c.post(f"/api/v1/problems/{p.pk}/comments", {"text": "x"}, content_type="application/json")
    assert r.status_code in (401, 403)
    assert c.post(f"/problems/{p.pk}/comments/", {"text": "x"}).status_code == 403
    assert _state(p) == before


COUNTIES = ["150102", "150203", "150204", "150602", "140105"]


class ProblemScopeProperty(TestCase):
    """RELIABILITY 20 for problems: whatever the placement and whoever asks, every listed row
    lies in the caller's subtree and the list's and the metrics' counts equal a direct count."""

    @settings(max_examples=15, deadline=None)
    @given(
        counties=st.lists(st.sampled_from(COUNTIES), min_size=0, max_size=6),
        official_at=st.sampled_from(["150000", "150200", "150203", "150600", "140000"]),
    )
    def test_lists_and_metrics_stay_in_the_subtree(self, counties, official_at):
        root = testing.user(f"r{len(counties)}{official_at}", Role.ADMIN, is_superuser=True)
        for county in counties:
            e = testing.enterprise(county, "3110", phone="")
            raise_(root, e)
        official = testing.user(f"o{official_at}", Role.OFFICIAL, region_id=official_at)
        api = _bearer(official)
        prefix = prefix_of(official_at)
        with at(2020, 2, 18, 9):
            listed = api.get("/api/v1/problems?page_size=200").json()
            figures = api.get("/api/v1/problems/metrics?from=2020-02-17&to=2020-02-17").json()
        direct = Problem.objects.filter(county__startswith=prefix).count()
        assert all(i["county"].startswith(prefix) for i in listed["items"])
        assert listed["count"] == len(listed["items"]) == direct
        assert figures["new"] == direct
        assert sum(row["new"] for row in figures["by_department"]) == direct
