"""The problem pages for every role: the list (filters, overdue badge, constant queries), raising
a problem (the enterprise; an official after a visit), a problem's page with the buttons its
viewer may use (a stale version shows a message and the fresh timeline), and the metrics."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from problems.models import Attachment, Problem

from .factories import at, raise_, step
from .test_attachments import EXE, PDF


def client_for(user) -> Client:
    # English pages, so the assertions hold whatever the Chinese catalogue says.
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def get(client, path, when=(2020, 2, 17, 12, 0), **kw):
    with at(*when):
        return client.get(path, **kw)


def post(client, path, data, when=(2020, 2, 17, 12, 0)):
    with at(*when):
        return client.post(path, data)


def hidden(page: str, form_id: str, name: str) -> str | None:
    start = page.index(f'id="{form_id}"')
    form = page[start : page.index("</form>", start)]
    found = re.search(rf'name="{name}" value="([^"]*)"', form)
    return found.group(1) if found else None


ROLES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "root"]


@pytest.mark.parametrize("username", ROLES)
def test_every_role_gets_the_list(world, desks, username):
    p = raise_(world.dave, world.steel)
    page = get(client_for(world.users()[username]), "/problems/")
    assert page.status_code == 200
    html = page.content.decode()
    assert (f'id="problem-{p.pk}"' in html) == (username != "frank")
    assert ('id="new-problem"' in html) == (username in ("alice", "bob", "carol", "dave", "root"))
    assert ('id="metrics-link"' in html) == (username in ("alice", "bob", "carol", "grace", "root"))
    assert ">Problems</a>" in html or username == "frank"


def test_the_list_marks_overdue_problems_and_filters(world, desks):
    late = raise_(world.dave, world.steel, when=(2020, 2, 10, 9, 0))
    fresh = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0), category="transport")
    bob = client_for(world.bob)
    html = get(bob, "/problems/").content.decode()
    row = html[html.index(f'id="problem-{late.pk}"') :]
    assert 'class="overdue"' in html[html.index(f'id="problem-{late.pk}"') - 40 :][:80]
    assert "badge overdue" in row[: row.index("</tr>")]
    fresh_row = html[html.index(f'id="problem-{fresh.pk}"') :]
    assert "badge overdue" not in fresh_row[: fresh_row.index("</tr>")]
    only = get(bob, "/problems/?overdue=1", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in only  # the rows only, for htmx
    assert f'id="problem-{late.pk}"' in only and f'id="problem-{fresh.pk}"' not in only
    transport = get(bob, "/problems/?category=transport").content.decode()
    assert f'id="problem-{fresh.pk}"' in transport and f'id="problem-{late.pk}"' not in transport


def test_the_list_costs_the_same_queries_for_more_rows(world, desks, django_assert_num_queries):
    bob = client_for(world.bob)
    raise_(world.dave, world.steel)
    with at(2020, 2, 17, 12):
        with CaptureQueriesContext(connection) as one:
            bob.get("/problems/")
    for _ in range(5):
        raise_(world.dave, world.steel)
    raise_(world.bob, world.textile)
    with django_assert_num_queries(len(one.captured_queries)):
        get(bob, "/problems/")


def test_a_reporter_raises_a_problem_with_files(world, desks, attachments_in_tmp):
    dave = client_for(world.dave)
    form = get(dave, "/problems/new/")
    assert form.status_code == 200
    assert 'id="for-enterprise"' in form.content.decode()
    assert 'name="enterprise"' not in form.content.decode()
    r = post(
        dave,
        "/problems/new/",
        {
            "category": "transport",
            "urgency": "critical",
            "description": "原料车辆被检查站拦截",
            "files": [SimpleUploadedFile("通行证.pdf", PDF)],
        },
    )
    p = Problem.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/problems/{p.pk}/"
    assert (p.category, p.urgency, p.department, p.source) == (
        "transport",
        "critical",
        desks.county_transport,
        "enterprise",
    )
    assert list(Attachment.objects.values_list("filename", flat=True)) == ["通行证.pdf"]


def test_a_bad_file_or_value_raises_nothing(world, desks):
    dave = client_for(world.dave)
    data = {"category": "labour", "urgency": "normal", "description": "缺人"}
    r = post(dave, "/problems/new/", {**data, "files": [SimpleUploadedFile("a.pdf", EXE)]})
    assert r.status_code == 422 and "only PDF" in r.content.decode()
    r = post(dave, "/problems/new/", {**data, "category": ""})
    assert r.status_code == 422 and 'id="field-category"' in r.content.decode()
    assert "unknown category" in r.content.decode()
    assert not Problem.objects.exists()


def test_an_official_records_a_visit(world, desks):
    carol = client_for(world.carol)
    assert 'name="enterprise"' in get(carol, "/problems/new/").content.decode()
    data = {"category": "funds", "urgency": "normal", "description": "走访发现资金周转困难"}
    r = post(carol, "/problems/new/", {**data, "enterprise": world.textile.uscc})
    assert r.status_code == 422 and "No such enterprise" in r.content.decode()
    r = post(carol, "/problems/new/", {**data, "enterprise": world.steel.uscc.lower()})
    assert r.status_code == 302
    assert Problem.objects.get().source == "visit"


@pytest.mark.parametrize("username", ["erin", "frank", "grace"])
def test_roles_that_do_not_raise_get_404(world, desks, username):
    assert get(client_for(world.users()[username]), "/problems/new/").status_code == 404


def test_the_desk_works_it_on_its_page(world, desks):
    p = raise_(world.dave, world.steel)
    henry = client_for(desks.henry)
    html = get(henry, f"/problems/{p.pk}/").content.decode()
    assert hidden(html, "form-accept", "version") == "1"
    assert 'id="form-confirm"' not in html
    r = post(henry, f"/problems/{p.pk}/", {"action": "accept", "version": "1"})
    assert r.status_code == 302
    html = get(henry, f"/problems/{p.pk}/").content.decode()
    assert "accepted 已受理" in html and hidden(html, "form-answer", "version") == "2"
    r = post(henry, f"/problems/{p.pk}/", {"action": "answer", "version": "2", "text": ""})
    assert r.status_code == 422 and "write the answer" in r.content.decode()
    r = post(henry, f"/problems/{p.pk}/", {"action": "answer", "version": "2", "text": "已安排"})
    assert r.status_code == 302
    dave = client_for(world.dave)
    html = get(dave, f"/problems/{p.pk}/").content.decode()
    assert 'id="form-confirm"' in html and 'id="form-reopen"' in html
    r = post(dave, f"/problems/{p.pk}/", {"action": "confirm", "version": "3", "rating": "5"})
    assert r.status_code == 302
    assert Problem.objects.get(pk=p.pk).rating == 5


def test_a_stale_page_shows_a_message_and_the_fresh_timeline(world, desks):
    p = raise_(world.dave, world.steel)
    step("accept", desks.henry, p)
    carol = client_for(world.carol)
    r = post(
        carol,
        f"/problems/{p.pk}/",
        {"action": "transfer", "version": "1", "department": "transport", "note": "x"},
    )
    assert r.status_code == 409
    html = r.content.decode()
    assert "Someone else changed this problem" in html
    assert "accepted 已受理" in html  # the problem as it stands now
    assert hidden(html, "form-transfer", "version") == "2"
    assert Problem.objects.get(pk=p.pk).department == desks.county_hr


def test_not_yours_is_403_on_the_page(world, desks):
    p = raise_(world.dave, world.steel)
    r = post(client_for(desks.kate), f"/problems/{p.pk}/", {"action": "accept", "version": "1"})
    assert r.status_code == 403
    assert Problem.objects.get(pk=p.pk).status == "submitted"


def test_comments_on_the_page(world, desks):
    p = raise_(world.dave, world.steel)
    r = post(client_for(world.dave), f"/problems/{p.pk}/comments/", {"text": "盼尽快回复"})
    assert r.status_code == 302
    html = get(client_for(desks.henry), f"/problems/{p.pk}/").content.decode()
    assert "盼尽快回复" in html and "from-enterprise" in html
    kate = get(client_for(desks.kate), f"/problems/{p.pk}/").content.decode()
    assert 'id="comment-form"' not in kate and "d***" in kate  # reads along, names masked


@pytest.mark.parametrize("username", ROLES)
def test_every_role_on_a_problem_page(world, desks, username):
    p = raise_(world.dave, world.steel)
    r = get(client_for(world.users()[username]), f"/problems/{p.pk}/")
    assert r.status_code == (404 if username == "frank" else 200)


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("alice", 200),
        ("bob", 200),
        ("carol", 200),
        ("grace", 200),
        ("root", 200),
        ("dave", 404),
        ("erin", 404),
        ("frank", 404),
    ],
)
def test_the_metrics_page(world, desks, username, status):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    r = get(client_for(world.users()[username]), "/problems/metrics/", when=(2020, 2, 18, 9, 0))
    assert r.status_code == status
    if status == 200 and username != "root":
        html = r.content.decode()
        assert 'id="category-chart"' in html and 'id="category-mix"' in html
        assert "昆都仑区人力资源和社会保障局" in html
        assert 'id="problem-brief"' in html


def test_the_metrics_page_keeps_to_the_subtree(world, desks):
    carol = client_for(world.carol)
    assert get(carol, "/problems/metrics/?region=150200").status_code == 404
    assert get(carol, "/problems/metrics/?region=x").status_code == 404
    bob = client_for(world.bob)
    r = get(bob, "/problems/metrics/?region=150203&from=2020-02-01&to=2020-02-17")
    assert r.status_code == 200 and "昆都仑区" in r.content.decode()
