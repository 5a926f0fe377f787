"""The daily brief on the dashboard: its paragraph (loaded with htmx) and the .docx / .xlsx / .pdf
downloads, scoped like the dashboard. Runs once stats/brief.py exists."""

from datetime import date

import pytest
from django.test import Client

from dispatch.tests.factories import at, report
from stats.queries import View

brief = pytest.importorskip("stats.brief")

FRI = date(2020, 2, 21)
DAY = "date=2020-02-21"
MAGIC = {"docx": b"PK", "xlsx": b"PK", "pdf": b"%PDF"}


@pytest.fixture
def reported(world):
    report(world.steel, FRI, status="full", staff_on_site=600, capacity_pct=80)
    report(world.textile, FRI, status="partial", staff_on_site=60, capacity_pct=40)
    return world


def get(user, path: str):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    with at(2020, 2, 21, 20):
        return client.get(path)


def test_the_dashboard_loads_the_brief_paragraph(reported):
    page = get(reported.bob, f"/stats/?{DAY}").content.decode()
    assert f'hx-get="/stats/brief/?region=150200&amp;{DAY}"' in page
    part = get(reported.bob, f"/stats/brief/?region=150200&{DAY}").content.decode()
    text = brief.text(View(prefix="1502"), FRI)
    assert text and text in part
    assert f'href="/stats/brief.docx?region=150200&amp;{DAY}"' in part


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pdf"])
def test_downloads(reported, kind):
    r = get(reported.bob, f"/stats/brief.{kind}?region=150203&{DAY}")
    assert r.status_code == 200
    assert r.content.startswith(MAGIC[kind])
    assert r["Content-Disposition"] == f'attachment; filename="brief-150203-2020-02-21.{kind}"'
    assert r["Content-Type"].startswith(
        "application/pdf" if kind == "pdf" else "application/vnd.openxmlformats-officedocument"
    )


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pdf"])
def test_downloads_pass_the_view_and_date(reported, kind, monkeypatch):
    seen = []
    monkeypatch.setattr(
        brief, kind, lambda view, day, problems: seen.append((view, day, problems)) or b"x"
    )
    assert get(reported.frank, f"/stats/brief.{kind}?{DAY}&division=31").content == b"x"
    assert get(reported.bob, f"/stats/brief.{kind}?{DAY}").content == b"x"
    assert seen == [
        (View(prefix="", divisions=("31",)), FRI, False),  # an association sees no problems
        (View(prefix="1502"), FRI, True),
    ]


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pdf"])
def test_downloads_are_scoped(reported, kind):
    assert get(reported.bob, f"/stats/brief.{kind}?region=150100&{DAY}").status_code == 404
    assert get(reported.dave, f"/stats/brief.{kind}?{DAY}").status_code == 404
    assert get(reported.frank, f"/stats/brief.{kind}?{DAY}&division=17").status_code == 404
    assert Client().get(f"/stats/brief.{kind}").status_code == 302
