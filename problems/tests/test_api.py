"""The problems API: list with filters, raising (Idempotency-Key), detail with its timeline,
transitions (409 stale, 422 illegal, 403 not yours), comments and metrics. What an enterprise
may not set (region, status, handler, department, deadlines) changes nothing (RELIABILITY 21)."""

from datetime import datetime

from django.test import Client
from django.utils import timezone

from accounts.models import ApiToken
from problems.models import Problem

from .factories import at, raise_, step


def client_for(user) -> Client:
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client, path, data, key=None, when=(2020, 2, 17, 10, 0)):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    with at(*when):
        return client.post(path, data, content_type="application/json", **headers)


BODY = {"category": "labour", "description": "缺少电焊工20名", "urgency": "urgent"}


def test_a_reporter_raises_one_for_its_own_enterprise(world, desks):
    r = post(client_for(world.dave), "/api/v1/problems", BODY)
    assert r.status_code == 201, r.content
    got = r.json()
    assert got["enterprise"] == world.steel.uscc and got["county_name"] == "昆都仑区"
    assert (got["status"], got["version"], got["urgency"]) == ("submitted", 1, "urgent")
    assert got["department"]["name"] == "昆都仑区人力资源和社会保障局"
    assert got["handler"] == "henry"
    assert got["accept_due"].startswith("2020-02-18T18:00:00")
    assert [s["action"] for s in got["steps"]] == ["submitted", "assigned"]
    assert got["actions"] == []  # the enterprise waits for the desk


def test_fields_an_enterprise_may_not_set_change_nothing(world, desks):
    sneaky = {
        **BODY,
        "status": "closed",
        "county": "140105",
        "region": "140105",
        "handler": "dave",
        "department": desks.province_hr.pk,
        "accept_due": "2030-01-01T00:00:00Z",
        "answer_due": "2030-01-01T00:00:00Z",
        "rating": 5,
        "version": 99,
        "escalation_level": 2,
    }
    r = post(client_for(world.dave), "/api/v1/problems", sneaky)
    assert r.status_code == 201, r.content
    p = Problem.objects.get(pk=r.json()["id"])
    assert (p.status, p.county, p.handler, p.department) == (
        "submitted",
        "150203",
        desks.henry,
        desks.county_hr,
    )
    assert (p.rating, p.version, p.escalation_level) == (None, 1, 0)
    assert timezone.localtime(p.accept_due) == timezone.make_aware(datetime(2020, 2, 18, 18))
    # and on a transition: the enterprise cannot move it by sending other fields
    r = post(
        client_for(world.dave),
        f"/api/v1/problems/{p.pk}/transitions",
        {"action": "accept", "version": 1, "status": "accepted", "handler": "dave"},
    )
    assert r.status_code == 403
    p.refresh_from_db()
    assert (p.status, p.version, p.handler) == ("submitted", 1, desks.henry)


def test_an_official_records_a_visit_and_the_enterprise_must_be_in_scope(world, desks):
    carol = client_for(world.carol)
    r = post(carol, "/api/v1/problems", {**BODY, "enterprise": world.steel.uscc})
    assert r.status_code == 201 and r.json()["source"] == "visit"
    for uscc in (world.textile.uscc, world.coal.uscc, "", "9115\x00"):
        r = post(carol, "/api/v1/problems", {**BODY, "enterprise": uscc})
        assert r.status_code == 404, uscc
        assert r.json()["detail"][0]["loc"] == ["body", "enterprise"]
    assert Problem.objects.count() == 1


def test_bad_values_are_422_naming_the_field(world, desks):
    r = post(client_for(world.dave), "/api/v1/problems", {**BODY, "category": "aliens"})
    assert r.status_code == 422
    assert [e["loc"] for e in r.json()["detail"]] == [["body", "category"]]
    r = post(client_for(world.dave), "/api/v1/problems", {**BODY, "description": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "description"]
    assert not Problem.objects.exists()


def test_idempotency_key_replays_and_counts_once(world, desks):
    dave = client_for(world.dave)
    first = post(dave, "/api/v1/problems", BODY, key="p-1")
    again = post(dave, "/api/v1/problems", BODY, key="p-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Problem.objects.count() == 1
    other = post(dave, "/api/v1/problems", {**BODY, "urgency": "normal"}, key="p-1")
    assert other.status_code == 422
    assert other.json()["detail"][0]["type"] == "idempotency_mismatch"
    assert Problem.objects.count() == 1


def test_transitions_over_the_api(world, desks):
    p = raise_(world.dave, world.steel)
    henry, dave = client_for(desks.henry), client_for(world.dave)
    path = f"/api/v1/problems/{p.pk}/transitions"
    r = post(henry, path, {"action": "accept", "version": 1})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    assert "answer" in r.json()["actions"]
    # the same version again: 409 with the current one
    r = post(henry, path, {"action": "start", "version": 1})
    assert r.status_code == 409 and r.json()["version"] == 2
    # not possible now: 422 with the reason
    r = post(henry, path, {"action": "accept", "version": 2})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "action"]
    assert "已受理" in r.json()["detail"][0]["msg"]
    # not the desk's to do: 403 (it sees the problem, so its existence is no secret)
    r = post(henry, path, {"action": "confirm", "version": 2, "rating": 5})
    assert r.status_code == 403
    r = post(henry, path, {"action": "answer", "version": 2, "text": ""})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "text"]
    r = post(henry, path, {"action": "answer", "version": 2, "text": "已安排招聘会"})
    assert r.status_code == 200 and r.json()["status"] == "answered"
    r = post(dave, path, {"action": "confirm", "version": 3, "rating": 9})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "rating"]
    r = post(dave, path, {"action": "confirm", "version": 3, "rating": 4, "note": "满意"})
    assert r.status_code == 200 and (r.json()["rating"], r.json()["status"]) == (4, "confirmed")
    steps = [s["action"] for s in dave.get(f"/api/v1/problems/{p.pk}").json()["steps"]]
    assert steps == ["submitted", "assigned", "accepted", "answered", "confirmed"]


def test_comments_over_the_api(world, desks):
    p = raise_(world.dave, world.steel)
    path = f"/api/v1/problems/{p.pk}/comments"
    r = post(client_for(world.dave), path, {"text": "请尽快联系"})
    assert r.status_code == 201 and r.json()["by_enterprise"] is True
    r = post(client_for(desks.henry), path, {"text": "明天上午去企业"})
    assert r.status_code == 201 and r.json()["by_enterprise"] is False
    r = post(client_for(desks.kate), path, {"text": "我也看看"})
    assert r.status_code == 403  # she reads along, she is not part of it
    r = post(client_for(world.dave), path, {"text": "   "})
    assert r.status_code == 422
    listed = client_for(world.dave).get(path).json()
    assert [(c["text"], c["author"]) for c in listed] == [
        ("请尽快联系", "dave"),
        ("明天上午去企业", "henry"),
    ]
    # a reader along sees names masked
    masked = client_for(desks.kate).get(path).json()
    assert [c["author"] for c in masked] == ["d***", "h****"]


def test_list_filters(world, desks):
    a = raise_(world.dave, world.steel, category="labour")
    b = raise_(world.dave, world.steel, category="transport")
    c = raise_(world.bob, world.textile, category="labour")
    step("accept", desks.henry, a)
    bob = client_for(world.bob)

    def ids(query: str) -> set[int]:
        with at(2020, 2, 17, 12):
            r = bob.get(f"/api/v1/problems?{query}")
        assert r.status_code == 200, r.content
        return {i["id"] for i in r.json()["items"]}

    assert ids("") == {a.pk, b.pk, c.pk}
    assert ids("category=labour") == {a.pk, c.pk}
    assert ids("status=accepted") == {a.pk}
    assert ids("status=open") == {a.pk, b.pk, c.pk}
    assert ids("region=150204") == {c.pk}
    assert ids("region=140105") == set()  # outside bob's scope: nothing, not an error
    assert ids("category=x%00") == {a.pk, b.pk, c.pk}  # unknown values filter nothing
    assert ids("overdue=true") == set()
    with at(2020, 2, 25, 9):
        r = bob.get("/api/v1/problems?overdue=true&page_size=1")
    assert r.json()["count"] == 3 and len(r.json()["items"]) == 1
    assert all(i["overdue"] for i in r.json()["items"])


def test_metrics_api(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    step("answer", desks.henry, p, when=(2020, 2, 17, 13, 0), text="好")
    step("confirm", world.dave, p, when=(2020, 2, 17, 14, 0), rating=5)
    bob = client_for(world.bob)
    with at(2020, 2, 18, 9):
        r = bob.get("/api/v1/problems/metrics?from=2020-02-17&to=2020-02-17")
    assert r.status_code == 200, r.content
    m = r.json()
    assert (m["region"], m["new"], m["resolved"], m["rated"]) == ("150200", 1, 1, 1)
    assert (m["response_rate"], m["satisfaction_rate"], m["median_hours_to_answer"]) == (
        1.0,
        1.0,
        4.0,
    )
    assert m["by_department"][0]["department"]["name"] == "昆都仑区人力资源和社会保障局"
    assert m["by_handler"][0]["handler"] == "henry"
    assert m["category_mix"] == [{"date": "2020-02-17", "category": "labour", "count": 1}]
    with at(2020, 2, 18, 9):
        assert bob.get("/api/v1/problems/metrics?region=150100").status_code == 404
        assert bob.get("/api/v1/problems/metrics?region=15x").status_code == 404
        assert bob.get("/api/v1/problems/metrics?from=2020-02-30").status_code == 422
        assert bob.get("/api/v1/problems/metrics?from=2019-01-01").status_code == 422
        for who in (world.dave, world.erin, world.frank):
            assert client_for(who).get("/api/v1/problems/metrics").status_code == 404


def test_metrics_dates_at_the_far_ends_of_the_calendar_are_refused_not_a_500(world, desks):
    """They overflowed the window's date arithmetic (500); the page falls back to its default
    window, the API names the field."""
    bob = client_for(world.bob)
    with at(2020, 2, 18, 9):
        web = Client()
        web.force_login(world.bob)
        default = web.get("/problems/metrics/")
        assert default.status_code == 200
        for q in ("to=9999-12-31", "from=0001-01-01", "from=0001-01-01&to=0001-01-02"):
            page = web.get(f"/problems/metrics/?{q}")
            assert page.status_code == 200, q
            assert page.context["start"] == default.context["start"], q
            r = bob.get(f"/api/v1/problems/metrics?{q}")
            assert r.status_code == 422, (q, r.status_code)
            assert "2000" in str(r.json()), q


def test_unknown_and_huge_ids_are_404(world, desks):
    dave = client_for(world.dave)
    for pk in ("999999", str(2**70)):
        assert dave.get(f"/api/v1/problems/{pk}").status_code == 404
        r = post(dave, f"/api/v1/problems/{pk}/transitions", {"action": "accept", "version": 1})
        assert r.status_code == 404


def test_a_nul_byte_anywhere_in_a_transition_is_422(world, desks):
    """PostgreSQL refuses NUL in text: such values are answered like other bad input."""
    p = raise_(world.dave, world.steel)
    carol = client_for(world.carol)
    path = f"/api/v1/problems/{p.pk}/transitions"
    for body in (
        {"action": "assign", "handler": "hen\x00ry"},
        {"action": "transfer", "department": "trans\x00port", "note": "x"},
        {"action": "escalate", "note": "a\x00b"},
        {"action": "acc\x00ept"},
    ):
        r = post(carol, path, {"version": 1, **body})
        assert r.status_code == 422, (body, r.content)
    r = post(carol, f"/api/v1/problems/{p.pk}/comments", {"text": "a\x00b"})
    assert r.status_code == 422
    assert Problem.objects.get(pk=p.pk).version == 1


def test_the_list_reads_the_same_number_of_queries_for_more_rows(world, desks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(client) -> int:
        with at(2020, 2, 25, 9), CaptureQueriesContext(connection) as captured:
            r = client.get("/api/v1/problems?page_size=200")
        assert r.status_code == 200
        return len(captured.captured_queries)

    first = raise_(world.dave, world.steel)
    step("accept", desks.henry, first)
    step("answer", desks.henry, first, text="已处理")  # answered: may be closed after 5 days
    carol, kate = client_for(world.carol), client_for(desks.kate)
    queries_for(carol), queries_for(kate)  # (a token's first use is written down)
    few = (queries_for(carol), queries_for(kate))
    for n in range(6):
        p = raise_(world.dave, world.steel, category="labour" if n % 2 else "customs")
        if n % 3 == 0:
            step("accept", desks.henry if n % 2 else world.carol, p)
            step("answer", desks.henry if n % 2 else world.carol, p, text="已处理")
    assert (queries_for(carol), queries_for(kate)) == few
    with at(2020, 2, 25, 9):
        items = carol.get("/api/v1/problems").json()["items"]
    assert any("close" in i["actions"] for i in items)  # answered more than 5 days ago


def test_a_reader_along_sees_the_handler_masked_in_the_timeline(world, desks):
    p = raise_(world.dave, world.steel)
    got = client_for(desks.kate).get(f"/api/v1/problems/{p.pk}").json()
    assigned = next(s for s in got["steps"] if s["action"] == "assigned")
    assert assigned["data"]["handler"] == "h****" and got["handler"] == "h****"
    mine = client_for(world.dave).get(f"/api/v1/problems/{p.pk}").json()
    assert next(s for s in mine["steps"] if s["action"] == "assigned")["data"]["handler"] == "henry"
