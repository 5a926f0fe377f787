"""Where the problem desk meets the rest: the daily brief's sentence, the dashboard's problem
figures, and a report's difficulties opening the problem form."""

from datetime import date

from django.test import Client

from dispatch.models import Report
from dispatch.tests.factories import report
from problems import actions
from stats import brief
from stats.queries import View

from .factories import at, raise_, step

DAY = date(2020, 2, 17)


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_brief_says_how_many_problems_came_and_went(world, desks):
    report(world.steel, DAY)
    county = View(prefix="150203")
    assert "诉求" not in brief.text(county, DAY)  # no problem yet: no sentence
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 30))
    p = step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    p = step("answer", desks.henry, p, when=(2020, 2, 17, 11, 0), text="已协调")
    step("confirm", world.dave, p, when=(2020, 2, 17, 12, 0), rating=3)
    p = step("close", desks.henry, p, when=(2020, 2, 17, 13, 0))
    assert brief.text(county, DAY).endswith("本日新增诉求2件，办结1件，满意率0%。")
    # The next day: nothing new, the rating still counts; Hohhot's brief has none of it.
    assert "本日新增诉求0件，办结0件，满意率0%。" in brief.text(county, date(2020, 2, 18))
    assert "诉求" not in brief.text(View(prefix="1501"), DAY)


def test_the_dashboard_shows_problem_figures_to_officials_only(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    with at(2020, 2, 17, 12, 0):
        page = client_for(world.bob).get("/stats/?region=150203&date=2020-02-17").content.decode()
    assert 'id="problem-figures"' in page
    assert '<li id="problem-response"><span class="muted">响应率</span> <b>100.0%</b></li>' in page
    assert "新增 1 件 · 办结 0 件 · 当前超期 0 件" in page
    assert "/problems/metrics/?region=150203&amp;from=2020-01-19&amp;to=2020-02-17" in page
    other = client_for(world.frank).get("/stats/?date=2020-02-17").content.decode()
    assert 'id="dash-title"' in other and 'id="problem-figures"' not in other


def test_a_reported_difficulty_opens_the_problem_form_filled_in(world, desks):
    report(world.steel, DAY, actor=world.dave, difficulties=["labour", "funds"])
    r = Report.objects.get(enterprise=world.steel, date=DAY)
    dave = client_for(world.dave)
    page = dave.get("/dispatch/report/?date=2020-02-17").content.decode()
    assert f'href="/problems/new/?report={r.pk}&amp;category=labour" id="raise-labour"' in page
    assert 'id="raise-funds"' in page
    form = dave.get(f"/problems/new/?report={r.pk}&category=labour").content.decode()
    assert f'<option value="{r.pk}" selected>' in form
    assert '<option value="labour" selected>' in form
    # Someone else's report or an unknown category is not taken up.
    report(world.coal, DAY)
    coal = Report.objects.get(enterprise=world.coal, date=DAY)
    form = dave.get(f"/problems/new/?report={coal.pk}&category=nonsense").content.decode()
    assert f'<option value="{coal.pk}"' not in form
    assert '<option value="" selected>' in form and '<option value="labour" selected>' not in form
    with at(2020, 2, 17, 9, 0):
        p = actions.raise_problem(
            actor=world.dave,
            enterprise=world.steel,
            category="labour",
            description="缺少电焊工",
            urgency="normal",
            report_id=r.pk,
        )
    page = dave.get("/dispatch/report/?date=2020-02-17").content.decode()
    assert f"已提交为诉求 {p.number}" in page and 'id="raise-labour"' not in page
    assert 'id="raise-funds"' in page


def test_who_sees_no_problem_metrics_reads_no_problem_figures_in_briefs_or_on_the_dashboard(
    world, desks
):
    """An association and a park manager see no problems (accounts.scope): not on the dashboard,
    not in the brief's paragraph (page, API, Word), though an official of the county does."""
    report(world.steel, DAY)
    raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    q = "date=2020-02-17"
    with at(2020, 2, 17, 12, 0):
        bob = client_for(world.bob)
        assert "本日新增诉求1件" in bob.get(f"/stats/brief/?region=150203&{q}").content.decode()
        assert "本日新增诉求1件" in bob.get(f"/api/v1/brief?region=150203&{q}").json()["text"]
        for user in (world.frank, world.erin):  # association, park manager
            c = client_for(user)
            page = c.get(f"/stats/?{q}").content.decode()
            assert 'id="dash-title"' in page and 'id="problem-figures"' not in page, user
            assert "诉求" not in c.get(f"/stats/brief/?{q}").content.decode(), user
            api = c.get(f"/api/v1/brief?{q}")
            assert api.status_code == 200 and "诉求" not in api.json()["text"], user
            docx = c.get(f"/stats/brief.docx?{q}")
            assert docx.status_code == 200 and "诉求".encode() not in _docx_text(docx.content)


def _docx_text(content: bytes) -> bytes:
    import io
    import zipfile

    return zipfile.ZipFile(io.BytesIO(content)).read("word/document.xml")
