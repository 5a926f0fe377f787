"""The register's admin: every list opens; an enterprise moved, a key project added or deleted,
a park deleted there moves the reporting duties, and the rollups stay equal to a rebuild."""

from datetime import date

import pytest
from django.test import Client

from dispatch import rollups
from dispatch.models import Duty, Report
from dispatch.tests.factories import report
from lib import testing
from registry.models import Enterprise, EnterpriseChange, KeyProject, Park

DAY = date(2020, 3, 2)  # a Monday: daily and weekly reporters are both expected


@pytest.fixture
def admin_client(world):
    c = Client()
    c.force_login(world.root)
    return c


def expected(client: Client, region: str) -> int:
    """The expected-reports figure a person reads for a region on DAY."""
    r = client.get(f"/api/v1/stats?region={region}&date={DAY}")
    assert r.status_code == 200, r.content
    return r.json()["expected"]


def duty(enterprise: Enterprise) -> tuple[str, str, int]:
    d = Duty.objects.get(pk=enterprise.pk)
    return d.cadence, d.county, d.park_id


def workshop(**fields) -> Enterprise:
    """A small enterprise below the designated size: no duty until a park or project gives one."""
    fields.setdefault("size_class", "small")
    return testing.enterprise("150203", "3311", name="昆区小五金", above_scale=False, **fields)


def change_form(client: Client, url: str, **changes) -> dict:
    """What the change form at `url` sends back when a person edits `changes` and saves."""
    page = client.get(url)
    assert page.status_code == 200
    data: dict = {}

    def put(form, values) -> None:
        for name in form.fields:
            value = values.get(name, form[name].value())
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value not in (None, False):
                data[form.add_prefix(name)] = value

    put(page.context["adminform"].form, changes)
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        put(formset.management_form, {})
        for form in formset.forms:
            put(form, {})
    return data


@pytest.mark.parametrize("model", ["enterprise", "park", "keyproject", "enterprisechange"])
def test_every_list_opens(admin_client, model):
    assert admin_client.get(f"/admin/registry/{model}/").status_code == 200


def test_moving_an_enterprise_to_another_county_moves_its_duty(world, admin_client):
    report(world.textile, DAY)
    assert duty(world.textile) == ("daily", "150204", 0)
    assert (expected(admin_client, "150203"), expected(admin_client, "150204")) == (1, 1)
    url = f"/admin/registry/enterprise/{world.textile.pk}/change/"
    saved = admin_client.post(url, change_form(admin_client, url, region="150203"))
    assert saved.status_code == 302, saved.context and saved.context["adminform"].form.errors
    assert duty(world.textile) == ("daily", "150203", 0)
    assert (expected(admin_client, "150203"), expected(admin_client, "150204")) == (2, 0)
    assert Report.objects.get(enterprise=world.textile).county == "150203"
    change = EnterpriseChange.objects.get(enterprise=world.textile, source="admin")
    assert change.changes == {"region_id": ["150204", "150203"]} and change.actor == world.root
    assert rollups.check() == {}


def test_a_key_project_added_in_the_admin_makes_a_weekly_reporter(world, admin_client):
    small = workshop()
    assert duty(small) == ("", "150203", 0)
    added = admin_client.post(
        "/admin/registry/keyproject/add/",
        {"name": "新厂房建设", "enterprise": small.pk, "investment": "8000"},
    )
    assert added.status_code == 302
    assert duty(small) == ("weekly", "150203", 0)
    assert expected(admin_client, "150203") == 2
    report(small, DAY)
    assert rollups.check() == {}

    project = KeyProject.objects.get(enterprise=small)
    deleted = admin_client.post(f"/admin/registry/keyproject/{project.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert duty(small) == ("", "150203", 0)
    assert expected(admin_client, "150203") == 1
    assert rollups.check() == {}


def test_a_key_project_moved_or_deleted_from_the_list_moves_the_duties(world, admin_client):
    first, second = workshop(), workshop()
    admin_client.post(
        "/admin/registry/keyproject/add/", {"name": "技改项目", "enterprise": first.pk}
    )
    project = KeyProject.objects.get()
    assert (duty(first)[0], duty(second)[0]) == ("weekly", "")
    url = f"/admin/registry/keyproject/{project.pk}/change/"
    moved = admin_client.post(url, change_form(admin_client, url, enterprise=second.pk))
    assert moved.status_code == 302
    assert (duty(first)[0], duty(second)[0]) == ("", "weekly")
    done = admin_client.post(
        "/admin/registry/keyproject/",
        {"action": "delete_selected", "_selected_action": [project.pk], "post": "yes"},
    )
    assert done.status_code == 302 and not KeyProject.objects.exists()
    assert (duty(first)[0], duty(second)[0]) == ("", "")
    assert expected(admin_client, "150203") == 1
    assert rollups.check() == {}


def test_deleting_a_park_in_the_admin_moves_its_enterprises_out_of_it(world, admin_client):
    small = workshop(park=world.park)
    report(small, DAY)
    report(world.steel, DAY)
    assert duty(small) == ("weekly", "150203", world.park.pk)
    assert duty(world.steel) == ("daily", "150203", world.park.pk)
    assert expected(admin_client, "150203") == 2
    deleted = admin_client.post(f"/admin/registry/park/{world.park.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert duty(small) == ("", "150203", 0)  # no park, no duty
    assert duty(world.steel) == ("daily", "150203", 0)  # still above-scale, out of the park
    assert expected(admin_client, "150203") == 1
    assert (
        EnterpriseChange.objects.filter(
            source="park_deleted", changes={"park_id": [world.park.pk, None]}
        ).count()
        == 2
    )
    assert rollups.check() == {}


def test_deleting_parks_anywhere_moves_their_enterprises(world, admin_client):
    other = Park.objects.create(name="青山园区", region_id="150204")
    small, moved = workshop(park=world.park), workshop(park=other)
    done = admin_client.post(
        "/admin/registry/park/",
        {"action": "delete_selected", "_selected_action": [world.park.pk], "post": "yes"},
    )
    assert done.status_code == 302
    assert duty(small) == ("", "150203", 0) and duty(moved)[0] == "weekly"
    other.delete()  # outside the admin: a shell, a script
    assert duty(moved) == ("", "150203", 0)
    assert expected(admin_client, "150203") == 1
    assert rollups.check() == {}


def test_deleting_enterprises_in_the_admin_takes_their_duties(world, admin_client):
    # (One with reports cannot be deleted here: reports are read-only in the admin.)
    assert expected(admin_client, "150204") == 1
    done = admin_client.post(
        "/admin/registry/enterprise/",
        {"action": "delete_selected", "_selected_action": [world.textile.pk], "post": "yes"},
    )
    assert done.status_code == 302
    assert not Duty.objects.filter(pk=world.textile.pk).exists()
    assert expected(admin_client, "150204") == 0
    assert rollups.check() == {}
