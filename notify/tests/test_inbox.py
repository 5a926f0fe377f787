"""The inbox: the page (unread first, mark read, mark all read, open), the unread badge on every
page, the API, and the e-mail choices on the user's page. Only one's own items: anyone else's
id is 404 everywhere."""

import re

import pytest
from django.test import Client

from accounts.models import ApiToken
from audit.models import AuditEvent
from notify.models import InboxItem, Kind, Preference
from notify.services import publish


def item_for(user, title: str, url: str = "/dispatch/report/", kind=Kind.PROBLEM_ASSIGNED):
    event = publish(kind, recipients=[user], title=title, text=f"{title}的内容", url=url)
    assert event is not None
    return InboxItem.objects.get(event=event, user=user)


@pytest.fixture
def boxes(world):
    world.old = item_for(world.bob, "旧消息")
    world.read = item_for(world.bob, "已读消息")
    world.new = item_for(world.bob, "新消息")
    InboxItem.objects.filter(pk=world.read.pk).update(read_at=world.read.created_at)
    world.carols = item_for(world.carol, "卡罗的消息")
    return world


def web(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user) -> Client:
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def badge(html: str) -> str:
    found = re.search(r'id="inbox-badge"[^>]*>([^<]*)<', html)
    assert found, "no badge"
    return found.group(1)


# --- the page ------------------------------------------------------------------------------------


def test_the_inbox_lists_ones_own_items_unread_first(boxes):
    page = web(boxes.bob).get("/inbox/").content.decode()
    assert "卡罗的消息" not in page
    positions = [page.index(t) for t in ("新消息", "旧消息", "已读消息")]
    assert positions == sorted(positions)  # unread (newest first), then read
    assert page.count('class="inbox-item unread"') == 2
    assert 'id="read-all"' in page
    assert badge(page) == "2"


def test_the_badge_is_on_every_page_and_empty_without_unread_items(boxes):
    assert badge(web(boxes.bob).get("/enterprises/").content.decode()) == "2"
    assert badge(web(boxes.carol).get("/enterprises/").content.decode()) == "1"
    assert badge(web(boxes.alice).get("/enterprises/").content.decode()) == ""
    page = web(boxes.alice).get("/inbox/").content.decode()
    assert 'id="inbox-empty"' in page and 'id="read-all"' not in page


def test_the_inbox_page_costs_the_same_queries_for_few_or_many_items(
    boxes, django_assert_max_num_queries
):
    client = web(boxes.bob)
    client.get("/inbox/")
    with django_assert_max_num_queries(9) as few:
        client.get("/inbox/")
    for n in range(40):
        item_for(boxes.bob, f"批量{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/inbox/").status_code == 200


def test_mark_one_read(boxes):
    client = web(boxes.bob)
    assert client.post(f"/inbox/{boxes.new.pk}/read/").status_code == 302
    boxes.new.refresh_from_db()
    assert boxes.new.read_at is not None
    assert badge(client.get("/inbox/").content.decode()) == "1"


def test_mark_one_read_with_htmx_answers_the_item_and_the_new_count(boxes):
    r = web(boxes.bob).post(f"/inbox/{boxes.new.pk}/read/", headers={"HX-Request": "true"})
    html = r.content.decode()
    assert f'id="item-{boxes.new.pk}"' in html and 'class="inbox-item read"' in html
    assert 'hx-swap-oob="true"' in html and badge(html) == "1"
    assert "<html" not in html


def test_someone_elses_item_is_404_and_unchanged(boxes):
    client = web(boxes.bob)
    for path in (f"/inbox/{boxes.carols.pk}/read/", f"/inbox/{boxes.carols.pk}/open/"):
        r = client.post(path) if path.endswith("read/") else client.get(path)
        assert r.status_code == 404, path
    assert client.post("/inbox/999999/read/").status_code == 404
    boxes.carols.refresh_from_db()
    assert boxes.carols.read_at is None


def test_mark_all_read_touches_only_ones_own(boxes):
    client = web(boxes.bob)
    assert client.post("/inbox/read-all/").status_code == 302
    assert not InboxItem.objects.filter(user=boxes.bob, read_at__isnull=True).exists()
    assert InboxItem.objects.get(pk=boxes.carols.pk).read_at is None


def test_opening_an_item_marks_it_read_and_follows_its_link(boxes):
    r = web(boxes.bob).get(f"/inbox/{boxes.new.pk}/open/")
    assert r.status_code == 302 and r["Location"] == "/dispatch/report/"
    boxes.new.refresh_from_db()
    assert boxes.new.read_at is not None
    bare = item_for(boxes.bob, "无链接", url="")
    r = web(boxes.bob).get(f"/inbox/{bare.pk}/open/")
    assert r["Location"] == "/inbox/"


def test_marking_needs_post_and_a_login(boxes):
    assert web(boxes.bob).get(f"/inbox/{boxes.new.pk}/read/").status_code == 405
    assert web(boxes.bob).get("/inbox/read-all/").status_code == 405
    r = Client().get("/inbox/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert Client().post(f"/inbox/{boxes.new.pk}/read/").status_code == 302


def test_marking_read_needs_the_csrf_token(boxes):
    client = Client(enforce_csrf_checks=True)
    client.force_login(boxes.bob)
    assert client.post(f"/inbox/{boxes.new.pk}/read/").status_code == 403
    assert client.post("/inbox/read-all/").status_code == 403
    assert InboxItem.objects.filter(user=boxes.bob, read_at__isnull=True).count() == 2


# --- the API -------------------------------------------------------------------------------------


def test_the_api_lists_ones_own_items_unread_first(boxes):
    body = api(boxes.bob).get("/api/v1/inbox").json()
    assert body["unread"] == 2 and body["count"] == 3
    assert [i["event"]["title"] for i in body["items"]] == ["新消息", "旧消息", "已读消息"]
    first = body["items"][0]
    assert first["id"] == boxes.new.pk and first["read_at"] is None
    assert first["event"]["id"] == str(boxes.new.event_id)
    assert first["event"]["kind"] == "problem.assigned"
    assert first["event"]["url"] == "/dispatch/report/"
    unread = api(boxes.bob).get("/api/v1/inbox?unread=true&page_size=1").json()
    assert unread["count"] == 2 and len(unread["items"]) == 1
    paged = api(boxes.bob).get("/api/v1/inbox?page=2&page_size=2").json()
    assert [i["event"]["title"] for i in paged["items"]] == ["已读消息"]


def test_the_api_marks_ones_own_item_read_and_404s_anyone_elses(boxes):
    client = api(boxes.bob)
    r = client.post(f"/api/v1/inbox/{boxes.new.pk}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    again = client.post(f"/api/v1/inbox/{boxes.new.pk}/read").json()
    assert again["read_at"] == r.json()["read_at"]  # reading twice keeps the first time
    for other in (boxes.carols.pk, 999999, 2**63 - 1, 2**63 + 5, 0, -1):
        r = client.post(f"/api/v1/inbox/{other}/read")
        assert r.status_code in (404, 422), other
        assert r.status_code == 404 or other > 2**63 - 1
    assert InboxItem.objects.get(pk=boxes.carols.pk).read_at is None


def test_the_api_needs_a_login_and_csrf_with_a_session(boxes):
    assert Client().get("/api/v1/inbox").status_code == 401
    session = Client(enforce_csrf_checks=True)
    session.force_login(boxes.bob)
    assert session.get("/api/v1/inbox").status_code == 200
    assert session.post(f"/api/v1/inbox/{boxes.new.pk}/read").status_code == 403
    assert InboxItem.objects.get(pk=boxes.new.pk).read_at is None


# --- e-mail choices on the user's page -----------------------------------------------------------


def test_the_user_page_offers_email_choices_all_on_by_default(boxes):
    page = web(boxes.dave).get("/accounts/me/").content.decode()
    assert 'id="notifications"' in page
    for kind in (Kind.PROBLEM_ASSIGNED, Kind.REPORT_REMINDER):
        assert re.search(rf'value="{re.escape(kind)}"[^>]*checked', page), kind
    assert Kind.ROLLUP_CHECK not in page  # administrators only
    assert Kind.ROLLUP_CHECK in web(boxes.root).get("/accounts/me/").content.decode()


def test_saving_email_choices(boxes):
    client = web(boxes.dave)
    r = client.post(
        "/accounts/me/notifications/",
        {"email": "dave@example.org", "kinds": [Kind.REPORT_REMINDER]},
    )
    assert r.status_code == 302 and r["Location"].endswith("/accounts/me/#notifications")
    boxes.dave.refresh_from_db()
    assert boxes.dave.email == "dave@example.org"
    chosen = dict(Preference.objects.filter(user=boxes.dave).values_list("kind", "email"))
    assert chosen[Kind.REPORT_REMINDER] is True
    assert chosen[Kind.PROBLEM_ASSIGNED] is False
    assert Kind.ROLLUP_CHECK not in chosen
    audit = AuditEvent.objects.get(action="notification_preferences")
    assert audit.actor == boxes.dave and audit.detail["address_changed"] is True
    assert "dave@example.org" not in str(audit.detail)
    page = client.get("/accounts/me/").content.decode()
    assert re.search(rf'value="{re.escape(Kind.REPORT_REMINDER)}"[^>]*checked', page)
    assert not re.search(rf'value="{re.escape(Kind.PROBLEM_ASSIGNED)}"[^>]*checked', page)


def test_a_bad_address_is_refused_and_nothing_changes(boxes):
    r = web(boxes.dave).post("/accounts/me/notifications/", {"email": "not an address"})
    assert r.status_code == 422
    assert 'id="notifications"' in r.content.decode()
    boxes.dave.refresh_from_db()
    assert boxes.dave.email == "" and not Preference.objects.exists()


def test_email_choices_need_post(boxes):
    assert web(boxes.dave).get("/accounts/me/notifications/").status_code == 405
