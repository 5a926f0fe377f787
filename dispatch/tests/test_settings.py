"""Dispatch settings: who may change cadence rules, the cut-off and the emergency switch, and
that duties (and the aggregates) follow a rule change at once."""

from datetime import date, time

import pytest
from django.test import Client

from audit.models import AuditEvent
from dispatch import rollups
from dispatch.models import CadenceRule, Duty, EmergencyPeriod, Settings
from lib import testing
from stats import queries

from .factories import report


def logged_in(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def province(world):
    """The world as one province's deployment: Shanxi's enterprise gone."""
    world.coal.delete()
    return world


def test_a_province_official_changes_nothing_while_other_provinces_report_here(world):
    """One province's official may not change the duties of another's enterprises (Shanxi's coal
    mine is registered too): the page does not exist for her; an administrator's does."""
    alice = logged_in(world.alice)
    assert 'href="/dispatch/settings/"' not in alice.get("/stats/").content.decode()  # no link
    assert alice.get("/dispatch/settings/").status_code == 404
    assert alice.post("/dispatch/settings/cutoff/", {"cutoff": "08:00"}).status_code == 404
    rule = CadenceRule.objects.get(above_scale=True)
    assert alice.post(f"/dispatch/settings/rules/{rule.pk}/delete/").status_code == 404
    assert CadenceRule.objects.filter(pk=rule.pk).exists()
    assert Settings.objects.get().cutoff == time(17, 0)
    assert Duty.objects.get(pk=world.coal.pk).cadence == "daily"
    assert logged_in(world.root).get("/dispatch/settings/").status_code == 200
    world.coal.delete()
    assert alice.get("/dispatch/settings/").status_code == 200
    assert 'href="/dispatch/settings/"' in alice.get("/stats/").content.decode()
    assert 'href="/dispatch/settings/"' not in logged_in(world.bob).get("/stats/").content.decode()


def test_only_admins_and_province_officials_see_the_page(province):
    world = province
    assert logged_in(world.alice).get("/dispatch/settings/").status_code == 200
    assert logged_in(world.root).get("/dispatch/settings/").status_code == 200
    for user in (world.bob, world.carol, world.dave, world.erin, world.frank, world.grace):
        assert logged_in(user).get("/dispatch/settings/").status_code == 404
        r = logged_in(user).post("/dispatch/settings/cutoff/", {"cutoff": "09:00"})
        assert r.status_code == 404
    assert Settings.objects.get().cutoff == time(17, 0)


def test_new_rule_moves_duties_and_aggregates(province):
    world = province
    small = testing.enterprise("150204", above_scale=False, headcount=30, tags=("key_contact",))
    report(small, date(2020, 2, 21), staff_on_site=20)
    assert Duty.objects.get(pk=small.pk).cadence == ""
    view = queries.View(prefix="150204")
    assert queries.figures(view, date(2020, 2, 21))["expected"] == 1  # textile only
    r = logged_in(world.alice).post(
        "/dispatch/settings/rules/new/",
        {"new-cadence": "daily", "new-tag": "key_contact", "new-position": "25"},
    )
    assert r.status_code == 302
    assert Duty.objects.get(pk=small.pk).cadence == "daily"
    f = queries.figures(view, date(2020, 2, 21))
    assert (f["expected"], f["reported"], f["staff_on_site"]) == (2, 1, 20)
    assert rollups.check() == {}
    rule = CadenceRule.objects.get(tag="key_contact")
    logged_in(world.alice).post(f"/dispatch/settings/rules/{rule.pk}/delete/")
    assert Duty.objects.get(pk=small.pk).cadence == ""
    assert queries.figures(view, date(2020, 2, 21))["expected"] == 1
    assert AuditEvent.objects.filter(action__in=["save_rule", "delete_rule"]).count() == 2


def test_editing_a_rule(world):
    rule = CadenceRule.objects.get(above_scale=True)
    form = {
        f"r{rule.pk}-cadence": "weekly",
        f"r{rule.pk}-above_scale": "1",
        f"r{rule.pk}-position": "10",
    }
    logged_in(world.root).post(f"/dispatch/settings/rules/{rule.pk}/", form)
    assert Duty.objects.get(pk=world.textile.pk).cadence == "weekly"
    assert Duty.objects.get(pk=world.steel.pk).cadence == "daily"  # leading: still daily


@pytest.mark.parametrize(("value", "saved"), [("09:30", time(9, 30)), ("late", time(17, 0))])
def test_cutoff(province, value, saved):
    world = province
    logged_in(world.alice).post("/dispatch/settings/cutoff/", {"cutoff": value})
    assert Settings.objects.get().cutoff == saved


def test_emergency_switch(province):
    world = province
    saturday = date(2020, 2, 22)
    assert queries.figures(queries.View(prefix="15"), saturday)["expected"] == 0
    alice = logged_in(world.alice)
    alice.post("/dispatch/settings/emergency/on/", {"day": "2020-02-03", "note": "疫情"})
    assert queries.figures(queries.View(prefix="15"), saturday)["expected"] == 3
    page = alice.get("/dispatch/settings/").content.decode()
    assert "2020" in page and "疫情" in page
    alice.post("/dispatch/settings/emergency/off/", {"day": "2020-02-21"})
    assert EmergencyPeriod.objects.get().end == date(2020, 2, 21)
    assert queries.figures(queries.View(prefix="15"), saturday)["expected"] == 0
