"""The problems admin: desks and the routing table are edited there by administrators (a rule
changed in the admin routes the next problem), problems are read-only."""

import pytest
from django.test import Client

from audit.models import AuditEvent
from problems import routing
from problems.models import Problem, RoutingRule

from .factories import raise_


@pytest.fixture
def admin_client(world):
    c = Client()
    c.force_login(world.root)
    return c


@pytest.mark.parametrize("model", ["department", "routingrule", "problem"])
def test_every_list_opens(admin_client, desks, world, model):
    raise_(world.dave, world.steel)
    assert admin_client.get(f"/admin/problems/{model}/").status_code == 200


def test_a_rule_added_in_the_admin_routes_the_next_problem(admin_client, world, desks):
    r = admin_client.post(
        "/admin/problems/routingrule/add/",
        {"category": "labour", "region": "150203", "kind": "transport"},
    )
    assert r.status_code == 302, r.content[:500]
    assert routing.kind_for("labour", "150203") == "transport"
    assert raise_(world.dave, world.steel).department == desks.county_transport
    assert AuditEvent.objects.filter(action="save_routing_rule", actor=world.root).exists()


def test_the_national_default_is_editable_in_the_list(admin_client, world):
    rule = RoutingRule.objects.get(category="customs", region__isnull=True)
    r = admin_client.post(
        "/admin/problems/routingrule/",
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(rule.pk),
            "form-0-kind": "commerce",
            "_save": "Save",
        },
    )
    assert r.status_code == 302
    rule.refresh_from_db()
    assert rule.kind == "commerce"


def test_problems_are_read_only(admin_client, world, desks):
    p = raise_(world.dave, world.steel)
    page = admin_client.get(f"/admin/problems/problem/{p.pk}/change/")
    assert page.status_code == 200 and "包钢示范钢铁" in page.content.decode()
    admin_client.post(f"/admin/problems/problem/{p.pk}/change/", {"status": "closed"})
    assert Problem.objects.get(pk=p.pk).status == "submitted"
    assert admin_client.get("/admin/problems/problem/add/").status_code == 403


def test_officials_are_kept_out(world):
    c = Client()
    c.force_login(world.alice)
    assert c.get("/admin/problems/routingrule/").status_code == 302  # to the admin login
