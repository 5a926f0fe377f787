"""The enterprise API: create, read, update, list with filters; 422 names the bad field."""

from datetime import date

import pytest
from django.test import Client

from accounts.models import ApiToken
from audit.models import AuditEvent
from dispatch import rollups
from dispatch.models import Duty
from dispatch.tests.factories import report
from lib import testing
from lib.uscc import make
from registry.models import Enterprise, EnterpriseChange


@pytest.fixture
def bob_api(world):
    _, raw = ApiToken.issue(world.bob)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def new_body(**over):
    body = {
        "uscc": make("91150204MA0000777"),
        "name": "青山新材料有限公司",
        "region": "150204",
        "industry": "3216",
        "headcount": 350,
        "above_scale": True,
        "tags": ["backbone", "外贸"],
        "output_value": "12000.5",
        "revenue": 3000,
    }
    return {**body, **over}


def test_create_returns_201_with_computed_size_and_history(bob_api, world):
    r = bob_api.post("/api/v1/enterprises", new_body(), content_type="application/json")
    assert r.status_code == 201, r.content
    data = r.json()
    assert data["size_class"] == "medium" and data["size_overridden"] is False  # 350 people, 3000万
    assert data["tags"] == ["backbone", "foreign_trade"]
    assert data["region_name"] == "青山区" and data["industry_name"]
    e = Enterprise.objects.get(uscc=data["uscc"])
    change = EnterpriseChange.objects.get(enterprise=e)
    assert (
        change.actor == world.bob
        and change.source == "api"
        and change.changes["headcount"] == [None, 350]
    )
    assert AuditEvent.objects.filter(action="create", object_id=e.uscc, actor=world.bob).exists()


@pytest.mark.parametrize(
    ("over", "field", "words"),
    [
        ({"uscc": make("91150204MA0000777")[:-1] + "0"}, "uscc", "校验位"),
        ({"uscc": "123"}, "uscc", "18"),
        ({"region": "150200"}, "region", "county"),  # a city, not a county
        ({"region": "999999"}, "region", "county"),
        ({"industry": "31"}, "industry", "class"),
        ({"tags": ["unknown"]}, "tags", "tag"),
        ({"size_class": "huge"}, "size_class", "large"),
        ({"headcount": -1}, "headcount", ""),
        ({"headcount": "many"}, "headcount", ""),
    ],
)
def test_bad_fields_get_422_naming_the_field(bob_api, over, field, words):
    r = bob_api.post("/api/v1/enterprises", new_body(**over), content_type="application/json")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert any(d["loc"][-1] == field and words in d["msg"] for d in detail), detail
    assert not Enterprise.objects.filter(name="青山新材料有限公司").exists()


def test_duplicate_uscc_is_refused(bob_api, world):
    r = bob_api.post(
        "/api/v1/enterprises", new_body(uscc=world.textile.uscc), content_type="application/json"
    )
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == "uscc"


def test_letter_first_uscc_is_accepted(bob_api):
    r = bob_api.post(
        "/api/v1/enterprises",
        new_body(uscc=make("N2150204MJ0000001")),
        content_type="application/json",
    )
    assert r.status_code == 201


def test_update_records_who_changed_what_and_size_override_sticks(bob_api, world):
    url = f"/api/v1/enterprises/{world.textile.uscc}"
    r = bob_api.patch(url, {"headcount": 1500, "revenue": 50000}, content_type="application/json")
    assert r.status_code == 200 and r.json()["size_class"] == "large"
    r = bob_api.patch(url, {"size_class": "medium"}, content_type="application/json")
    assert r.json()["size_class"] == "medium" and r.json()["size_overridden"] is True
    r = bob_api.patch(url, {"headcount": 1600}, content_type="application/json")
    assert r.json()["size_class"] == "medium"  # overridden stays
    changes = list(EnterpriseChange.objects.filter(enterprise=world.textile).order_by("at", "id"))
    assert changes[0].changes["headcount"] == [120, 1500] and changes[0].actor == world.bob


def test_giving_an_enterprise_a_park_makes_it_a_weekly_reporter(bob_api, world):
    workshop = testing.enterprise(
        "150203", "3311", name="昆区小五金", above_scale=False, size_class="small"
    )
    report(workshop, date(2020, 3, 2))  # reported before it had a duty: counted from now on
    url = f"/api/v1/enterprises/{workshop.uscc}"
    stats = "/api/v1/stats?region=150203&date=2020-03-02"
    assert Duty.objects.get(pk=workshop.pk).cadence == ""
    assert bob_api.get(stats).json()["expected"] == 1  # the steelworks

    r = bob_api.patch(url, {"park": world.park.pk}, content_type="application/json")
    assert r.status_code == 200 and r.json()["park"] == world.park.pk
    duty = Duty.objects.get(pk=workshop.pk)
    assert (duty.cadence, duty.county, duty.park_id) == ("weekly", "150203", world.park.pk)
    assert bob_api.get(stats).json()["expected"] == 2
    change = EnterpriseChange.objects.filter(enterprise=workshop, source="api").get()
    assert change.changes == {"park_id": [None, world.park.pk]} and change.actor == world.bob
    assert AuditEvent.objects.get(action="update", object_id=workshop.uscc).detail["fields"] == [
        "park_id"
    ]
    assert rollups.check() == {}

    r = bob_api.patch(url, {"park": None}, content_type="application/json")
    assert r.status_code == 200 and r.json()["park"] is None
    duty = Duty.objects.get(pk=workshop.pk)
    assert (duty.cadence, duty.park_id) == ("", 0)
    assert bob_api.get(stats).json()["expected"] == 1
    assert rollups.check() == {}


def test_moving_an_enterprise_out_of_the_subtree_is_refused(world):
    _, raw = ApiToken.issue(world.carol)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    r = c.patch(
        f"/api/v1/enterprises/{world.steel.uscc}",
        {"region": "150204"},
        content_type="application/json",
    )
    assert r.status_code == 422
    world.steel.refresh_from_db()
    assert world.steel.region_id == "150203"


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("region=150200", {"包钢示范钢铁", "青山纺织"}),
        ("region=150204", {"青山纺织"}),
        ("region=140000", set()),  # outside alice's scope: narrows, never widens
        ("industry=31", {"包钢示范钢铁"}),
        ("industry=C", {"包钢示范钢铁", "青山纺织", "新城乳业"}),
        ("tag=livelihood", {"新城乳业"}),
        ("tag=nonsense", set()),
        ("q=纺织", {"青山纺织"}),
        ("above_scale=1&size=medium", {"包钢示范钢铁", "青山纺织", "新城乳业"}),
    ],
)
def test_list_filters(world, query, names):
    _, raw = ApiToken.issue(world.alice)
    r = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"/api/v1/enterprises?{query}")
    assert r.status_code == 200
    assert {i["name"] for i in r.json()["items"]} == names


def test_list_by_uscc_prefix_and_paging(world):
    _, raw = ApiToken.issue(world.root)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    r = c.get(f"/api/v1/enterprises?q={world.coal.uscc[:12]}").json()
    assert [i["uscc"] for i in r["items"]] == [world.coal.uscc]
    page1 = c.get("/api/v1/enterprises?page_size=3&page=1").json()
    page2 = c.get("/api/v1/enterprises?page_size=3&page=2").json()
    assert page1["count"] == 4 and len(page1["items"]) == 3 and len(page2["items"]) == 1


def test_list_query_count_does_not_grow_with_rows(world, django_assert_max_num_queries):
    from lib.testing import enterprise

    for _ in range(20):
        enterprise("150203", "3110", tags=("backbone",))
    _, raw = ApiToken.issue(world.root)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with django_assert_max_num_queries(7):
        assert len(c.get("/api/v1/enterprises?page_size=200").json()["items"]) == 24


def test_phones_are_masked_by_default_and_revealed_only_to_those_who_need_them(world):
    url = f"/api/v1/enterprises/{world.steel.uscc}"
    for username in ("frank", "carol"):  # association staff; the county official over it
        _, raw = ApiToken.issue(world.users()[username])
        data = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(url).json()
        assert (
            data["contacts"][0]["phone"] == "138****5678" and data["contacts"][0]["name"] == "王**"
        )
    _, raw = ApiToken.issue(world.frank)
    r = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(f"{url}/contacts/reveal")
    assert r.status_code == 403 and "1381234" not in r.content.decode()
    assert AuditEvent.objects.filter(action="reveal", actor=world.frank, result="denied").exists()
    for username in ("carol", "dave", "erin"):  # the official, the reporter, the park manager
        _, raw = ApiToken.issue(world.users()[username])
        r = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(f"{url}/contacts/reveal")
        assert r.json()[0]["phone"] == "13812345678", username
        assert AuditEvent.objects.filter(
            action="reveal", actor=world.users()[username], result="ok"
        ).exists()


def test_probing_an_enterprise_outside_the_scope_is_audited(world):
    _, raw = ApiToken.issue(world.carol)
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        .get(f"/api/v1/enterprises/{world.coal.uscc}")
        .status_code
        == 404
    )
    assert AuditEvent.objects.filter(
        action="view", result="denied", object_id=world.coal.uscc
    ).exists()


def test_enterprise_cannot_set_fields_it_may_not(world):
    """A reporter's PATCH of its own enterprise (region, size…) changes nothing."""
    _, raw = ApiToken.issue(world.dave)
    c = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    r = c.patch(
        f"/api/v1/enterprises/{world.steel.uscc}",
        {"region": "150204", "headcount": 1},
        content_type="application/json",
    )
    assert r.status_code == 403
    world.steel.refresh_from_db()
    assert (world.steel.region_id, world.steel.headcount) == ("150203", 800)


def test_openapi_schema_is_served(world):
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/enterprises" in schema["paths"]
    assert {"post", "get"} <= set(schema["paths"]["/api/v1/enterprises"])
