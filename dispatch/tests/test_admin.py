"""The dispatch admin: every model's list opens; a cadence rule saved or deleted in the admin
moves the reporting duties (and the rollups stay equal to a rebuild); reports are read-only."""

from datetime import date

import pytest
from django.test import Client

from dispatch import rollups
from dispatch.models import CadenceRule, CountyRegister, Duty, Report
from dispatch.tests.factories import report


@pytest.fixture
def admin_client(world):
    c = Client()
    c.force_login(world.root)
    return c


def cadences(world) -> dict[str, str]:
    return {
        name: Duty.objects.get(pk=getattr(world, name).pk).cadence
        for name in ("steel", "textile", "dairy", "coal")
    }


def expected_daily() -> int:
    return sum(CountyRegister.objects.filter(cadence="daily").values_list("enterprises", flat=True))


@pytest.mark.parametrize(
    "model",
    [
        "cadencerule",
        "settings",
        "emergencyperiod",
        "periodlock",
        "countyrisk",
        "report",
        "reminder",
    ],
)
def test_every_list_opens(admin_client, model):
    assert admin_client.get(f"/admin/dispatch/{model}/").status_code == 200


def rule_form(rule: CadenceRule, **changes) -> dict:
    def tri(value):
        return "unknown" if value is None else "true" if value else "false"

    data = {
        "cadence": rule.cadence,
        "above_scale": tri(rule.above_scale),
        "tag": rule.tag,
        "industry_prefix": rule.industry_prefix,
        "in_park": tri(rule.in_park),
        "key_project": tri(rule.key_project),
        "position": rule.position,
        "note": rule.note,
    }
    data.update(changes)
    return data


def test_saving_a_rule_in_the_admin_moves_the_duties(world, admin_client):
    report(world.textile, date(2020, 2, 3))
    assert cadences(world) == {
        "steel": "daily",
        "textile": "daily",
        "dairy": "daily",
        "coal": "daily",
    }
    assert expected_daily() == 4
    above_scale = CadenceRule.objects.get(above_scale=True)
    saved = admin_client.post(
        f"/admin/dispatch/cadencerule/{above_scale.pk}/change/",
        rule_form(above_scale, cadence="weekly"),
    )
    assert saved.status_code == 302
    # The leading steelworks stays daily through its own rule; the others are weekly now.
    assert cadences(world) == {
        "steel": "daily",
        "textile": "weekly",
        "dairy": "weekly",
        "coal": "weekly",
    }
    assert expected_daily() == 1
    assert rollups.check() == {}  # the report already written moved with its enterprise

    deleted = admin_client.post(
        f"/admin/dispatch/cadencerule/{above_scale.pk}/delete/", {"post": "yes"}
    )
    assert deleted.status_code == 302
    assert cadences(world) == {"steel": "daily", "textile": "", "dairy": "", "coal": ""}
    assert rollups.check() == {}


def test_deleting_rules_with_the_list_action_moves_the_duties(world, admin_client):
    rules = CadenceRule.objects.filter(cadence="daily")
    done = admin_client.post(
        "/admin/dispatch/cadencerule/",
        {"action": "delete_selected", "_selected_action": [r.pk for r in rules], "post": "yes"},
    )
    assert done.status_code == 302
    assert not CadenceRule.objects.filter(cadence="daily").exists()
    # Steel is in a park: the weekly park rule takes it; the rest have no duty left.
    assert cadences(world) == {"steel": "weekly", "textile": "", "dairy": "", "coal": ""}
    assert expected_daily() == 0
    assert rollups.check() == {}


def test_reports_are_read_only_with_their_versions(world, admin_client):
    report(world.steel, date(2020, 2, 3), staff_on_site=10)
    report(world.steel, date(2020, 2, 3), staff_on_site=20)  # a correction: version 2
    r = Report.objects.get()
    page = admin_client.get(f"/admin/dispatch/report/{r.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "staff_on_site" in html  # the versions' changes are shown
    assert 'name="staff_on_site"' not in html  # … and nothing can be edited
    assert admin_client.get("/admin/dispatch/report/add/").status_code == 403
    found = admin_client.get(f"/admin/dispatch/report/?q={world.steel.uscc}")
    assert found.context["cl"].result_count == 1
    none = admin_client.get(f"/admin/dispatch/report/?q={world.textile.uscc}")
    assert none.context["cl"].result_count == 0
