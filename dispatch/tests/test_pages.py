"""The report pages: an enterprise's form (prefill, "no change", rule-set errors, corrections,
locks), reporting for others (park managers, officials) within scope, the park's day list."""

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from django.test import Client

from audit.models import AuditEvent
from dispatch import validation
from dispatch.models import PeriodLock, Report, ReportVersion
from lib import testing

from .factories import BASE, at, report

FRI = date(2020, 2, 21)  # "today" in these tests (a working day)
THU = FRI - timedelta(days=1)


def client_for(user) -> Client:
    # English pages, so the assertions hold whatever the Chinese catalogue says.
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


def get(client, path, **kw):
    with at(2020, 2, 21, 10):
        return client.get(path, **kw)


def post(client, path, data, follow=False):
    with at(2020, 2, 21, 10):
        return client.post(path, data, follow=follow)


def form_data(**over):
    """A filled form as a browser sends it (booleans as the radio values, lists repeated)."""
    data = {k: ("true" if v is True else "false" if v is False else v) for k, v in BASE.items()}
    data.update({"date": FRI.isoformat(), "difficulties": [], "note": "", **over})
    return data


def field_block(page: str, name: str) -> str:
    """The HTML of one field's block (label, input, its errors)."""
    start = page.index(f'id="field-{name}"')
    end = page.find('id="field-', start + 10)
    return page[start : end if end != -1 else len(page)]


def no_change_block(page: str) -> str:
    """The "no change since last report" form (its button and what it repeats)."""
    start = page.index('class="no-change"')
    return page[start : page.index("</form>", start)]


def input_value(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert found, name
    value = re.search(r'value="([^"]*)"', found.group(0))
    return value.group(1) if value else None


# --- the enterprise's own form -------------------------------------------------------------------


def test_reporter_sees_the_form_of_its_own_enterprise(world):
    r = get(client_for(world.dave), "/dispatch/report/")
    page = r.content.decode()
    assert r.status_code == 200
    assert "包钢示范钢铁" in page
    assert re.search(r'id="headcount">800<', page)
    assert re.search(r'id="cutoff">17:00<', page)
    assert "日调度" in page  # steel's duty is daily (leading enterprise)
    assert 'id="today-status"><span class="late">' in page  # nothing in yet
    assert 'id="no-change"' not in page  # nothing earlier to repeat
    assert input_value(page, "date") == "2020-02-21"
    # 0 is an answer, blank is not: with nothing earlier, the figures start blank.
    assert input_value(page, "fever") is None and input_value(page, "staff_on_site") is None


def test_reporter_cannot_open_another_enterprises_form(world):
    dave = client_for(world.dave)
    assert get(dave, f"/dispatch/report/{world.textile.uscc}/").status_code == 404
    assert get(dave, f"/dispatch/report/{world.coal.uscc}/").status_code == 404
    assert post(dave, f"/dispatch/report/{world.textile.uscc}/", form_data()).status_code == 404
    assert Report.objects.count() == 0
    assert get(dave, f"/dispatch/report/{world.steel.uscc}/").status_code == 200


def test_form_is_prefilled_from_the_last_earlier_report(world):
    report(world.steel, FRI - timedelta(days=3), staff_on_site=11)
    report(
        world.steel,
        THU,
        staff_on_site=37,
        capacity_pct=45,
        mask_days=9,
        fever=2,
        temperature_checks=False,
        difficulties=["labour", "energy"],
        note="缺电",
    )
    page = get(client_for(world.dave), "/dispatch/report/").content.decode()
    assert input_value(page, "staff_on_site") == "37"
    assert input_value(page, "capacity_pct") == "45"
    assert input_value(page, "mask_days") == "9"
    assert input_value(page, "fever") == "2"
    assert re.search(r'name="status" value="partial"[^>]*checked', page)
    assert re.search(r'name="temperature_checks" value="false"[^>]*checked', page)
    assert re.search(r'name="difficulties" value="labour"[^>]*checked', page)
    assert re.search(r'name="difficulties" value="energy"[^>]*checked', page)
    assert not re.search(r'name="difficulties" value="funds"[^>]*checked', page)
    assert "缺电</textarea>" in page
    assert 'id="no-change"' in page and "2020-02-20" in no_change_block(page)


def test_no_change_repeats_the_last_report_for_the_new_date(world):
    last = report(
        world.steel, THU, staff_on_site=37, capacity_pct=45, difficulties=["funds"], note="资金紧张"
    ).report
    r = post(
        client_for(world.dave),
        "/dispatch/report/",
        {"action": "no_change", "date": FRI.isoformat()},
        follow=True,
    )
    assert r.status_code == 200
    assert "no change since the last report" in r.content.decode()
    new = Report.objects.get(enterprise=world.steel, date=FRI)
    for name in validation.FIELDS:
        if name != "date":
            assert getattr(new, name) == getattr(last, name), name
    assert new.version == 1 and new.on_time is True and new.submitted_by == world.dave
    assert new.source == "no_change" and not new.versions.exists()  # its own first version
    assert Report.objects.count() == 2
    # On the page now: the report is in, so the one-action button is gone.
    assert 'id="no-change"' not in r.content.decode()


def test_no_change_does_not_overwrite_a_report_already_in(world):
    report(world.steel, THU, staff_on_site=37)
    report(world.steel, FRI, staff_on_site=50)
    post(client_for(world.dave), "/dispatch/report/", {"action": "no_change", "date": "2020-02-21"})
    fri = Report.objects.get(enterprise=world.steel, date=FRI)
    assert fri.staff_on_site == 50 and fri.version == 1


def test_no_change_without_an_earlier_report_says_so(world):
    r = post(
        client_for(world.dave),
        "/dispatch/report/",
        {"action": "no_change", "date": FRI.isoformat()},
        follow=True,
    )
    assert "no earlier report to repeat" in r.content.decode()
    assert Report.objects.count() == 0


def test_submit_creates_the_report_on_time(world):
    r = post(
        client_for(world.dave),
        "/dispatch/report/",
        form_data(staff_on_site="120", difficulties=["labour", "transport"], note="复工中"),
        follow=True,
    )
    assert r.status_code == 200
    assert "received, on time" in r.content.decode()
    saved = Report.objects.get(enterprise=world.steel, date=FRI)
    assert saved.staff_on_site == 120 and saved.difficulties == ["labour", "transport"]
    assert saved.note == "复工中" and saved.temperature_checks is True and saved.on_time is True
    assert saved.source == "web" and not saved.versions.exists()  # its own first version
    assert AuditEvent.objects.filter(action="submit", actor=world.dave).count() == 1


def test_rule_set_errors_are_shown_next_to_their_fields_and_values_kept(world):
    r = post(
        client_for(world.dave),
        "/dispatch/report/",
        form_data(fever="", capacity_pct="151", staff_on_site="900", note="看看", suspected="0"),
    )
    page = r.content.decode()
    assert r.status_code == 200 and Report.objects.count() == 0
    assert validation.REQUIRED in field_block(page, "fever")
    assert "between 0 and 150" in field_block(page, "capacity_pct")
    assert "normal headcount of 800" in field_block(page, "over_headcount_reason")
    assert "field-error" not in field_block(page, "suspected")  # 0 is an answer
    assert input_value(page, "capacity_pct") == "151"
    assert input_value(page, "staff_on_site") == "900"
    assert input_value(page, "suspected") == "0"
    assert input_value(page, "fever") is None
    assert "看看</textarea>" in page
    assert re.search(r'name="status" value="partial"[^>]*checked', page)


@pytest.mark.parametrize(
    ("sent", "words"),
    [
        ("²", "应为整数 (a whole number)"),
        ("9" * 5000, "应在0到1000000之间 (between 0 and 1000000)"),
    ],
)
def test_a_number_that_is_no_whole_number_is_a_field_error(world, sent, words):
    # "²" passes str.isdigit() but not int(); int() refuses more than 4,300 digits: both were 500.
    r = post(client_for(world.dave), "/dispatch/report/", form_data(staff_on_site=sent))
    assert r.status_code == 200 and Report.objects.count() == 0
    assert words in field_block(r.content.decode(), "staff_on_site")


def test_a_correction_makes_version_2_with_its_changes_recorded(world):
    report(world.steel, FRI, actor=world.dave)
    page = get(client_for(world.dave), "/dispatch/report/").content.decode()
    assert "version 1" in page and "Save correction" in page
    assert input_value(page, "staff_on_site") == "10"  # from the report being corrected
    r = post(
        client_for(world.dave),
        "/dispatch/report/",
        form_data(staff_on_site="20", disinfection="false"),
        follow=True,
    )
    page = r.content.decode()
    saved = Report.objects.get(enterprise=world.steel, date=FRI)
    assert saved.version == 2 and saved.staff_on_site == 20 and saved.disinfection is False
    v1, v2 = ReportVersion.objects.filter(report=saved).order_by("version")
    assert v1.changes == {} and v1.values["staff_on_site"] == 10 and v1.values["disinfection"]
    assert (v1.actor, v1.source, v1.at) == (world.dave, "test", saved.submitted_at)
    assert v2.changes == {"staff_on_site": [10, 20], "disinfection": [True, False]}
    assert v2.actor == world.dave and v2.source == "web"
    assert "now version 2" in page
    history = page[page.index('id="history"') :]
    assert "10 → 20" in history and "Yes → No" in history and "dave · web" in history
    assert "dave · test" in history  # the first version
    assert Report.objects.count() == 1


def test_the_same_answer_again_is_not_a_new_version(world):
    report(world.steel, FRI)
    r = post(client_for(world.dave), "/dispatch/report/", form_data(), follow=True)
    assert "Nothing changed" in r.content.decode()
    assert Report.objects.get(enterprise=world.steel, date=FRI).version == 1


def test_a_locked_date_is_read_only_and_refuses_a_post(world):
    report(world.steel, THU, staff_on_site=30)
    PeriodLock.objects.create(region_id="150200", date=THU, locked_by=world.bob)  # the city
    dave = client_for(world.dave)
    page = get(dave, "/dispatch/report/?date=2020-02-20").content.decode()
    assert 'id="locked"' in page
    assert 'fieldset class="plain" disabled' in page
    assert 'id="submit"' not in page and 'id="no-change"' not in page
    r = post(dave, "/dispatch/report/", form_data(date="2020-02-20", staff_on_site="40"))
    assert r.status_code == 409
    assert Report.objects.get(enterprise=world.steel, date=THU).staff_on_site == 30
    # Today is not locked, and "no change" is offered there.
    assert 'id="no-change"' in get(dave, "/dispatch/report/").content.decode()


def test_future_dates_are_refused(world):
    dave = client_for(world.dave)
    page = get(dave, "/dispatch/report/?date=2020-02-22").content.decode()
    assert 'id="note"' in page and input_value(page, "date") == "2020-02-21"
    r = post(dave, "/dispatch/report/", form_data(date="2020-02-22"))
    assert r.status_code == 400 and Report.objects.count() == 0


def test_an_earlier_date_can_be_reported_late(world):
    r = post(client_for(world.dave), "/dispatch/report/", form_data(date="2020-02-19"))
    assert r.status_code == 302 and r["Location"].endswith("?date=2020-02-19")
    saved = Report.objects.get(enterprise=world.steel)
    assert saved.date == date(2020, 2, 19) and saved.on_time is False


def test_my_reports_lists_the_last_30(world, django_assert_num_queries):
    for n in range(1, 37):
        if n != 34:  # 2020-01-18 has no report
            report(world.steel, FRI - timedelta(days=n), staff_on_site=n)
    dave = client_for(world.dave)
    # session, user, enterprise, 30 reports, lock, cut-off, duty, emergency, workday, unread
    # inbox items, session save
    with django_assert_num_queries(13):
        page = get(dave, "/dispatch/report/").content.decode()
    recent = page[page.index('id="recent"') :]
    assert recent.count("<tr") == 31  # the header and 30 reports
    assert "2020-02-20" in recent and "2020-01-22" in recent and "2020-01-21" not in recent
    # Dates older than the list still find their own report, or the one before them.
    page = get(dave, "/dispatch/report/?date=2020-01-16").content.decode()
    assert "version 1" in page and input_value(page, "staff_on_site") == "36"
    page = get(dave, "/dispatch/report/?date=2020-01-18").content.decode()
    assert "version 1" not in page and input_value(page, "staff_on_site") == "35"
    assert "2020-01-17" in no_change_block(page)


# --- reporting for others ------------------------------------------------------------------------


def test_park_manager_lists_the_park_and_reports_within_it(world):
    other = testing.enterprise("150203", name="园区机械", park=world.park, headcount=60)
    report(world.steel, FRI, when=(2020, 2, 21, 18, 0))  # after the cut-off
    erin = client_for(world.erin)
    page = get(erin, "/dispatch/report/").content.decode()
    assert "2020-02-21: 1 of 2 enterprises reported, 0 on time" in page
    rows = page[page.index("park-list") :]
    assert rows.index("包钢示范钢铁") < rows.index("园区机械")  # by name
    assert "青山纺织" not in page and "晋中煤业" not in page
    assert f"/dispatch/report/{other.uscc}/?date=2020-02-21" in page
    assert 'id="excel"' in page and "/dispatch/park/template.xlsx?date=2020-02-21" in page
    # The form for a park enterprise; outside the park is 404.
    assert get(erin, f"/dispatch/report/{other.uscc}/").status_code == 200
    assert get(erin, f"/dispatch/report/{world.textile.uscc}/").status_code == 404
    r = post(erin, f"/dispatch/report/{other.uscc}/", form_data(staff_on_site="12"))
    assert r.status_code == 302
    saved = Report.objects.get(enterprise=other)
    assert saved.submitted_by == world.erin and saved.staff_on_site == 12
    page = get(erin, "/dispatch/report/").content.decode()
    assert "2 of 2 enterprises reported, 1 on time" in page


def test_park_list_query_count_is_flat(world, django_assert_num_queries):
    for n in range(30):
        e = testing.enterprise("150203", park=world.park, headcount=50)
        if n % 2:
            report(e, FRI)
    erin = client_for(world.erin)
    # session, user, enterprises with duties, their reports, cut-off, unread inbox items,
    # session save (3)
    with django_assert_num_queries(9):
        page = get(erin, "/dispatch/report/").content.decode()
    assert "15 of 31 enterprises reported" in page
    assert page.count('class="missing"') == 16 and page.count('class="in"') == 15


def test_officials_report_within_their_subtree(world):
    carol, bob = client_for(world.carol), client_for(world.bob)
    assert get(carol, f"/dispatch/report/{world.steel.uscc}/").status_code == 200
    assert get(carol, f"/dispatch/report/{world.textile.uscc}/").status_code == 404
    assert get(bob, f"/dispatch/report/{world.textile.uscc}/").status_code == 200
    assert get(bob, f"/dispatch/report/{world.dairy.uscc}/").status_code == 404
    r = get(carol, f"/dispatch/report/?uscc={world.steel.uscc.lower()}")
    assert r.status_code == 302 and r["Location"] == f"/dispatch/report/{world.steel.uscc}/"
    assert 'name="uscc"' in get(carol, "/dispatch/report/").content.decode()
    post(carol, f"/dispatch/report/{world.steel.uscc}/", form_data())
    assert Report.objects.get(enterprise=world.steel).submitted_by == world.carol


@pytest.mark.parametrize("sent", ["NO-SUCH-CODE", "A/B", "x\x00y", "%2F", "../" + "9" * 300])
def test_an_official_asking_for_a_code_not_in_the_register_gets_404(world, sent):
    # A slash cannot be in the form's address (answered 500); PostgreSQL refuses a NUL (500).
    carol = client_for(world.carol)
    assert get(carol, "/dispatch/report/", data={"uscc": sent}, follow=True).status_code == 404
    assert get(carol, f"/dispatch/report/{quote(sent, safe='')}/").status_code == 404
    assert post(carol, f"/dispatch/report/{quote(sent, safe='')}/", form_data()).status_code == 404
    assert Report.objects.count() == 0


@pytest.mark.parametrize("name", ["grace", "frank"])
def test_handlers_and_associations_cannot_report(world, name):
    c = client_for(getattr(world, name))
    assert get(c, "/dispatch/report/").status_code == 404
    assert get(c, f"/dispatch/report/{world.steel.uscc}/").status_code == 404
    assert post(c, f"/dispatch/report/{world.steel.uscc}/", form_data()).status_code == 404
    assert Report.objects.count() == 0


def test_signed_out_visitors_are_sent_to_log_in(world):
    r = Client().get("/dispatch/report/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")
