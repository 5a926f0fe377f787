"""The register's web pages: list with drill-down and filters, htmx partial, enterprise page."""

from django.test import Client

from audit.models import AuditEvent
from lib import testing


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_list_drills_down_from_the_officials_region(world):
    c = client_for(world.alice)
    page = c.get("/enterprises/").content.decode()
    assert "包头市" in page and "呼和浩特市" in page  # children of 150000 to drill into
    assert "山西省" not in page
    page = c.get("/enterprises/?region=150200").content.decode()
    assert "昆都仑区" in page and "青山区" in page
    assert world.textile.name in page and world.dairy.name not in page


def test_a_region_outside_the_scope_neither_widens_nor_shows_its_name(world):
    page = client_for(world.bob).get("/enterprises/?region=140000").content.decode()
    assert world.coal.name not in page and "山西省" not in page


def test_filters_by_industry_size_tag_park_and_search(world):
    c = client_for(world.alice)
    assert world.steel.name in c.get("/enterprises/?tag=leading").content.decode()
    assert world.textile.name not in c.get("/enterprises/?tag=leading").content.decode()
    assert world.dairy.name in c.get("/enterprises/?industry=14").content.decode()
    assert world.steel.name in c.get(f"/enterprises/?park={world.park.pk}").content.decode()
    page = c.get(f"/enterprises/?q={world.textile.uscc}").content.decode()
    assert world.textile.name in page and world.steel.name not in page


def test_htmx_requests_get_only_the_rows(world):
    r = client_for(world.alice).get("/enterprises/?tag=livelihood", HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert "<html" not in body and world.dairy.name in body and 'id="count"' in body


def test_list_page_query_count_is_flat(world, django_assert_max_num_queries):
    for _ in range(30):
        testing.enterprise("150203", "3110", tags=("backbone", "leading"))
    c = client_for(world.root)
    with django_assert_max_num_queries(13):  # 12, and the inbox's unread count
        r = c.get("/enterprises/")
    assert r.status_code == 200 and r.content.decode().count('class="tag"') >= 60


def test_enterprise_page_shows_facts_history_and_masked_contacts(world):
    from registry import actions

    actions.update_enterprise(
        actor=world.carol, enterprise=world.steel, raw={"headcount": 900}, source="web"
    )
    page = client_for(world.carol).get(f"/enterprises/{world.steel.uscc}/").content.decode()
    assert world.steel.uscc in page and "炼铁" in page and "昆区工业园" in page
    assert "138****5678" in page and "13812345678" not in page
    assert "carol" in page and "800" in page and "900" in page  # the history row


def test_pages_for_signed_in_users_are_not_cached_and_carry_a_csp(world):
    r = client_for(world.bob).get("/enterprises/")
    assert r["Cache-Control"] == "no-store"
    assert "default-src 'self'" in r["Content-Security-Policy"]


def test_stored_script_in_a_name_is_escaped(world):
    testing.enterprise("150203", "3110", name="<script>alert(1)</script>厂")
    page = client_for(world.carol).get("/enterprises/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_every_tracked_field_has_a_history_label():
    from registry.actions import TRACKED
    from registry.views import CHANGE_LABELS

    assert set(CHANGE_LABELS) == {*TRACKED, "tags"}


def test_history_shows_translated_field_labels(world):
    from registry import actions

    actions.update_enterprise(
        actor=world.carol,
        enterprise=world.steel,
        raw={"headcount": 900, "tags": ["leading", "backbone"]},
        source="web",
    )
    page = client_for(world.carol).get(f"/enterprises/{world.steel.uscc}/").content.decode()
    assert "<b>正常用工人数</b>" in page and "<b>标签</b>" in page
    assert "<b>headcount</b>" not in page and "<b>tags</b>" not in page


def test_roles_without_a_region_subtree_get_no_drill_down(world):
    for user in (world.dave, world.erin, world.frank):
        page = client_for(user).get("/enterprises/").content.decode()
        assert 'id="region-children"' not in page and 'class="crumbs"' not in page, user
    page = client_for(world.bob).get("/enterprises/").content.decode()
    assert 'id="region-children"' in page and 'class="crumbs"' in page


def test_every_page_offers_a_logout_form_that_posts(world):
    c = client_for(world.bob)
    page = c.get("/enterprises/").content.decode()
    assert 'action="/accounts/logout/" method="post" class="logout"' in page
    assert c.post("/accounts/logout/").status_code == 302
    assert c.get("/enterprises/").status_code == 302  # back to the login page


# The enterprise page's "show phone numbers" button: POST /enterprises/<uscc>/contacts/reveal/


def reveal_url(enterprise) -> str:
    return f"/enterprises/{enterprise.uscc}/contacts/reveal/"


def test_reveal_shows_the_full_phone_to_the_official_over_it_and_audits_it(world):
    c = client_for(world.carol)
    page = c.get(f"/enterprises/{world.steel.uscc}/").content.decode()
    assert f'hx-post="{reveal_url(world.steel)}"' in page
    r = c.post(reveal_url(world.steel), HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    body = r.content.decode()
    assert "<html" not in body and 'id="contacts"' in body
    assert "王建国" in body and "13812345678" in body and "hx-post" not in body
    events = AuditEvent.objects.filter(action="reveal")
    assert [(e.actor, e.object_id, e.result) for e in events] == [
        (world.carol, world.steel.uscc, "ok")
    ]


def test_reveal_works_for_the_reporter_and_the_park_manager_of_it(world):
    for user in (world.dave, world.erin):
        r = client_for(user).post(reveal_url(world.steel))
        assert r.status_code == 200 and "13812345678" in r.content.decode(), user
    assert AuditEvent.objects.filter(action="reveal", result="ok").count() == 2


def test_roles_without_contact_rights_get_no_button_and_a_403_that_is_audited(world):
    for user in (world.frank, world.grace):  # association staff; a handler over Baotou
        c = client_for(user)
        page = c.get(f"/enterprises/{world.steel.uscc}/").content.decode()
        assert "138****5678" in page and "hx-post" not in page, user
        r = c.post(reveal_url(world.steel))
        assert r.status_code == 403 and "1381234" not in r.content.decode(), user
        assert AuditEvent.objects.filter(
            action="reveal", actor=user, object_id=world.steel.uscc, result="denied"
        ).exists()
    assert not AuditEvent.objects.filter(action="reveal", result="ok").exists()


def test_reveal_outside_the_scope_is_404(world):
    assert client_for(world.dave).post(reveal_url(world.textile)).status_code == 404
    assert client_for(world.carol).post(reveal_url(world.textile)).status_code == 404
    assert client_for(world.bob).post(reveal_url(world.coal)).status_code == 404
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_reveal_takes_only_post_with_a_csrf_token(world):
    assert client_for(world.carol).get(reveal_url(world.steel)).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.carol)
    assert strict.post(reveal_url(world.steel)).status_code == 403
    assert not AuditEvent.objects.filter(action="reveal").exists()


def test_reveal_needs_a_login(world):
    r = Client().post(reveal_url(world.steel))
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
