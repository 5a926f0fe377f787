"""The access matrix: every role against every enterprise endpoint, by object.

Each user sees exactly the enterprises in VISIBLE; everything else answers 404 on every
endpoint (web page, API read, API update, invitation) and a write changes nothing.
"""

import pytest
from django.test import Client

from accounts import scope
from accounts.models import ApiToken
from registry.models import Enterprise

VISIBLE = {
    "alice": {"steel", "textile", "dairy"},  # province 150000
    "bob": {"steel", "textile"},  # Baotou 150200
    "carol": {"steel"},  # county 150203
    "dave": {"steel"},  # reporter of steel
    "erin": {"steel"},  # park manager of steel's park
    "frank": {"steel", "dairy"},  # association, divisions 31 and 14
    "grace": {"steel", "textile"},  # handler in Baotou
    "root": {"steel", "textile", "dairy", "coal"},
}
EDITABLE = {
    "alice": VISIBLE["alice"],
    "bob": VISIBLE["bob"],
    "carol": VISIBLE["carol"],
    "root": VISIBLE["root"],
}
ENTERPRISES = ("steel", "textile", "dairy", "coal")


def bearer(user) -> dict:
    _, raw = ApiToken.issue(user)
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_scope_module_lists_exactly_the_visible_enterprises(world, username):
    user = world.users()[username]
    names = {
        n for n in ENTERPRISES if scope.enterprises(user).filter(pk=getattr(world, n).pk).exists()
    }
    assert names == VISIBLE[username]


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_every_endpoint_for_every_object(world, username):
    user = world.users()[username]
    web = Client()
    web.force_login(user)
    api = Client(**bearer(user))
    for name in ENTERPRISES:
        e = getattr(world, name)
        seen = name in VISIBLE[username]
        expected = 200 if seen else 404
        assert web.get(f"/enterprises/{e.uscc}/").status_code == expected, (username, name, "page")
        assert api.get(f"/api/v1/enterprises/{e.uscc}").status_code == expected, (
            username,
            name,
            "api",
        )
        before = Enterprise.objects.get(pk=e.pk).headcount
        r = api.patch(
            f"/api/v1/enterprises/{e.uscc}",
            {"headcount": before + 1},
            content_type="application/json",
        )
        can_edit = name in EDITABLE.get(username, set())
        assert r.status_code == (200 if can_edit else 403 if seen else 404), (
            username,
            name,
            "patch",
            r.content,
        )
        after = Enterprise.objects.get(pk=e.pk).headcount
        assert after == (before + 1 if can_edit else before)
        r = web.post(f"/accounts/invite/{e.uscc}/")
        may_invite = seen and username in ("alice", "bob", "carol", "erin", "root")
        assert r.status_code == (302 if may_invite else 404), (username, name, "invite")


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_list_api_and_page_and_export_hold_only_the_scope(world, username):
    user = world.users()[username]
    api = Client(**bearer(user))
    listed = {item["uscc"] for item in api.get("/api/v1/enterprises?page_size=200").json()["items"]}
    expected = {getattr(world, n).uscc for n in VISIBLE[username]}
    assert listed == expected
    web = Client()
    web.force_login(user)
    page = web.get("/enterprises/").content.decode()
    for n in ENTERPRISES:
        assert (getattr(world, n).uscc in page) == (n in VISIBLE[username]), (username, n)


def test_create_outside_the_subtree_is_404_and_writes_nothing(world):
    api = Client(**bearer(world.carol))
    body = {
        "uscc": "91150204MA0000099" + "X",
        "name": "x",
        "region": "150204",
        "industry": "3110",
        "headcount": 5,
    }
    from lib.uscc import make

    body["uscc"] = make("91150204MA0000099")
    assert api.post("/api/v1/enterprises", body, content_type="application/json").status_code == 404
    assert not Enterprise.objects.filter(uscc=body["uscc"]).exists()
    body["region"] = "150203"
    assert api.post("/api/v1/enterprises", body, content_type="application/json").status_code == 201


@pytest.mark.parametrize("username", ["dave", "erin", "frank", "grace"])
def test_roles_that_do_not_keep_the_register_cannot_create(world, username):
    from lib.uscc import make

    api = Client(**bearer(world.users()[username]))
    body = {
        "uscc": make("91150203MA0000098"),
        "name": "x",
        "region": "150203",
        "industry": "3110",
        "headcount": 5,
    }
    assert api.post("/api/v1/enterprises", body, content_type="application/json").status_code == 404
    assert not Enterprise.objects.filter(uscc=body["uscc"]).exists()


def test_swapped_tokens_give_each_user_their_own_answers(world):
    """Two users of the same role: with each other's token, each sees the other's scope, never a mix."""
    from lib.testing import user

    bob2 = user("bob2", "official", region_id="150100")  # Hohhot
    for a, b in ((world.bob, bob2), (bob2, world.bob)):
        listed = {i["uscc"] for i in Client(**bearer(a)).get("/api/v1/enterprises").json()["items"]}
        assert listed == {e.uscc for e in scope.enterprises(a)}
        assert not listed & {e.uscc for e in scope.enterprises(b)}


def test_anonymous_gets_401_from_the_api_and_a_login_redirect_from_pages(world):
    c = Client()
    assert c.get("/api/v1/enterprises").status_code == 401
    assert c.get(f"/api/v1/enterprises/{world.steel.uscc}").status_code == 401
    r = c.get("/enterprises/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_inactive_users_and_revoked_tokens_get_nothing(world):
    headers = bearer(world.bob)
    world.bob.is_active = False
    world.bob.save(update_fields=["is_active"])
    assert Client(**headers).get("/api/v1/enterprises").status_code == 401


IMPORTERS = {"alice", "bob", "carol", "root"}


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_import_endpoints_for_every_role(world, username):
    """Who may import reaches the pages and API and its own jobs only; everyone else gets 404."""
    from registry import imports

    user = world.users()[username]
    someone_elses = imports.submit(actor=world.root, data=b"a,b\n", filename="x.csv", dry_run=True)
    web = Client()
    web.force_login(user)
    api = Client(**bearer(user))
    allowed = 200 if username in IMPORTERS else 404
    assert web.get("/enterprises/import/").status_code == allowed, username
    assert web.get("/enterprises/import/template.xlsx").status_code == allowed, username
    if username != "root":
        assert web.get(f"/enterprises/import/{someone_elses.pk}/").status_code == 404
        assert api.get(f"/api/v1/imports/{someone_elses.pk}").status_code == 404
    r = api.post("/api/v1/imports", {"file": _upload("x.csv", b"a,b\n")})
    assert r.status_code == (202 if username in IMPORTERS else 404), username
    if username in IMPORTERS:
        assert api.get(f"/api/v1/imports/{r.json()['id']}").status_code == 200


@pytest.mark.parametrize("username", sorted(IMPORTERS))
def test_an_import_writes_only_inside_the_importers_subtree(world, username):
    from registry import imports
    from registry.models import ImportJob

    user = world.users()[username]
    for name in ENTERPRISES:
        e = getattr(world, name)
        sheet = (
            "统一社会信用代码,企业名称,县区代码,行业代码,正常用工人数\n"
            f"{e.uscc},{e.name},{e.region_id},{e.industry_id},4321\n"
        ).encode()
        job = imports.submit(actor=user, data=sheet, filename="a.csv", dry_run=False)
        imports.run_pending()
        job.refresh_from_db()
        editable = name in EDITABLE[username]
        expected = ImportJob.Status.DONE if editable else ImportJob.Status.REJECTED
        assert job.status == expected, (username, name, job.errors)
        e.refresh_from_db()
        assert (e.headcount == 4321) is editable, (username, name)


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


@pytest.mark.parametrize("username", sorted(VISIBLE))
def test_inbox_endpoints_for_every_role(world, username):
    """An inbox holds only its owner's items: anyone else's is 404 on the page and the API, and
    reading it changes nothing."""
    from notify.models import InboxItem, Kind
    from notify.services import publish

    items = {}
    for name, u in world.users().items():
        event = publish(Kind.REPORT_REMINDER, recipients=[u], title=f"给{name}", text="x")
        items[name] = InboxItem.objects.get(event=event)
    user = world.users()[username]
    api = Client(**bearer(user))
    web = Client()
    web.force_login(user)
    listed = {i["id"] for i in api.get("/api/v1/inbox").json()["items"]}
    assert listed == {items[username].pk}
    for name, item in items.items():
        mine = name == username
        assert api.post(f"/api/v1/inbox/{item.pk}/read").status_code == (200 if mine else 404)
        assert web.get(f"/inbox/{item.pk}/open/").status_code == (302 if mine else 404)
        assert web.post(f"/inbox/{item.pk}/read/").status_code == (302 if mine else 404)
    read = set(InboxItem.objects.filter(read_at__isnull=False).values_list("pk", flat=True))
    assert read == {items[username].pk}
