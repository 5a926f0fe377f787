"""The register's web pages: list with drill-down and filters, htmx partial, enterprise page."""

from django.test import Client

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
    with django_assert_max_num_queries(12):
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
