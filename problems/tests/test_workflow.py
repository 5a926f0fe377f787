"""The workflow: every transition, the illegal ones with their reasons, who may take which, the
timeline and the audit trail, and the events sent for notifications."""

import re
from contextlib import contextmanager
from datetime import datetime

import pytest
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from lib import testing
from problems import actions
from problems.models import Problem, ProblemStep
from problems.signals import problem_event

from .factories import at, raise_, step


@contextmanager
def events():
    got: list[dict] = []

    def receiver(sender, **kwargs):
        got.append(kwargs)

    problem_event.connect(receiver, dispatch_uid="test-events")
    try:
        yield got
    finally:
        problem_event.disconnect(dispatch_uid="test-events")


def timeline(problem: Problem) -> list[tuple[str, str, str, str | None]]:
    return [
        (s.action, s.from_status, s.to_status, s.actor.username if s.actor else None)
        for s in ProblemStep.objects.filter(problem=problem).order_by("at", "pk")
    ]


def test_the_whole_way_from_raised_to_closed(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    assert (p.status, p.version, p.source) == ("submitted", 1, "enterprise")
    p = step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    assert p.accepted_on_time is True and p.version == 2
    p = step("start", desks.henry, p, when=(2020, 2, 17, 11, 0), note="联系了三家劳务公司")
    p = step("answer", desks.henry, p, when=(2020, 2, 18, 15, 0), text="已安排专场招聘会")
    assert p.status == "answered"
    assert timezone.localtime(p.answered_at) == timezone.make_aware(datetime(2020, 2, 18, 15))
    p = step("confirm", world.dave, p, when=(2020, 2, 19, 9, 0), rating=5, note="很及时")
    assert (p.status, p.rating, p.rating_note) == ("confirmed", 5, "很及时")
    p = step("close", desks.henry, p, when=(2020, 2, 19, 10, 0))
    assert p.status == "closed" and p.closed_at is not None and p.version == 6
    assert timeline(p) == [
        ("submitted", "", "submitted", "dave"),
        ("assigned", "", "", None),
        ("accepted", "submitted", "accepted", "henry"),
        ("started", "accepted", "in_progress", "henry"),
        ("answered", "in_progress", "answered", "henry"),
        ("confirmed", "answered", "confirmed", "dave"),
        ("closed", "confirmed", "closed", "henry"),
    ]
    answer = ProblemStep.objects.get(problem=p, action="answered")
    assert answer.note == "已安排专场招聘会"
    audited = list(
        AuditEvent.objects.filter(object_type="problem", object_id=str(p.pk))
        .order_by("id")
        .values_list("action", "actor_name")
    )
    assert audited == [
        ("problem_raise", "dave"),
        ("problem_accepted", "henry"),
        ("problem_started", "henry"),
        ("problem_answered", "henry"),
        ("problem_confirmed", "dave"),
        ("problem_closed", "henry"),
    ]


def test_accepting_late_is_not_on_time(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))  # accept by 18 Feb 18:00
    p = step("accept", desks.henry, p, when=(2020, 2, 19, 9, 0))
    assert p.accepted_on_time is False


def test_reopened_then_answered_again(world, desks):
    p = raise_(world.dave, world.steel)
    step("accept", desks.henry, p)
    first = step("answer", desks.henry, p, text="请参加招聘会").answered_at
    with pytest.raises(actions.Illegal) as exc:
        step("reopen", world.dave, p, note="  ")
    assert exc.value.field == "note"
    p = step("reopen", world.dave, p, when=(2020, 2, 18, 9, 0), note="招聘会上没有电焊工")
    assert p.status == "in_progress"
    p = step("answer", desks.henry, p, when=(2020, 2, 19, 9, 0), text="已从邻县调剂5名电焊工")
    assert p.answered_at == first  # the time to answer counts to the first answer
    p = step("confirm", world.dave, p, when=(2020, 2, 19, 10, 0), rating=4)
    assert [s[0] for s in timeline(p)][-4:] == ["answered", "reopened", "answered", "confirmed"]


ILLEGAL = [
    # (steps taken first, the transition, its values, the field named, words in the reason)
    ([], "start", {}, "action", "待受理"),
    ([], "answer", {"text": "x"}, "action", "not possible"),
    ([], "confirm", {"rating": 5}, "action", "not possible"),
    ([], "close", {}, "action", "not possible"),
    (["accept"], "accept", {}, "action", "已受理"),
    (["accept"], "answer", {"text": " "}, "text", "answer"),
    (["accept", "answer"], "confirm", {"rating": 0}, "rating", "1 to 5"),
    (["accept", "answer"], "confirm", {"rating": 6}, "rating", "1 to 5"),
    (["accept", "answer"], "confirm", {"rating": None}, "rating", "1 to 5"),
    (["accept", "answer"], "accept", {}, "action", "已答复"),
    (["accept", "answer"], "close", {"note": "企业不回复"}, "action", "working days"),
    ([], "transfer", {"department": "customs", "note": "x"}, "department", "no desk"),
    ([], "transfer", {"department": "human_resources", "note": "x"}, "department", "already"),
    ([], "transfer", {"department": "transport", "note": ""}, "note", "why"),
    ([], "escalate", {"note": ""}, "note", "why"),
    ([], "assign", {"handler": "kate"}, "handler", "member"),
    ([], "fly", {}, "action", "unknown action"),
]


@pytest.mark.parametrize(("before", "name", "values", "field", "words"), ILLEGAL)
def test_illegal_transitions_say_why_and_change_nothing(
    world, desks, before, name, values, field, words
):
    p = raise_(world.dave, world.steel)
    actors = {"accept": desks.henry, "answer": desks.henry}
    for earlier in before:
        step(earlier, actors[earlier], p, **({"text": "答复"} if earlier == "answer" else {}))
    who = {
        "confirm": world.dave,
        "close": world.carol,
        "assign": world.carol,
        "fly": world.carol,
    }.get(name, desks.henry)
    p.refresh_from_db()
    version, steps = p.version, p.steps.count()
    with pytest.raises(actions.Illegal) as exc:
        step(name, who, p, **values)
    assert exc.value.field == field
    assert words in exc.value.reason
    p.refresh_from_db()
    assert (p.version, p.steps.count()) == (version, steps)


NOT_ALLOWED = [
    # (the transition, who tries it: only the enterprise confirms; only the desk accepts…)
    ("accept", "dave"),  # the enterprise
    ("accept", "kate"),  # a handler of another desk in the county (reads along)
    ("accept", "carol"),  # an official: a human resources desk is not hers to work
    ("assign", "henry"),  # a handler does not name handlers
    ("transfer", "kate"),
    ("escalate", "dave"),
]


@pytest.mark.parametrize(("name", "who"), NOT_ALLOWED)
def test_who_may_not(world, desks, name, who):
    p = raise_(world.dave, world.steel)
    users = {**world.users(), "kate": desks.kate, "henry": desks.henry}
    values = {"transfer": {"department": "transport", "note": "x"}, "escalate": {"note": "x"}}
    with pytest.raises(actions.NotAllowed):
        step(name, users[who], p, handler="henry", **values.get(name, {}))
    p.refresh_from_db()
    assert p.version == 1


def test_the_enterprise_alone_confirms_and_reopens(world, desks):
    p = raise_(world.dave, world.steel)
    step("accept", desks.henry, p)
    step("answer", desks.henry, p, text="已处理")
    for who in (desks.henry, world.carol, world.erin):
        for name in ("confirm", "reopen"):
            with pytest.raises((actions.NotAllowed, actions.OutOfScope)):
                step(name, who, p, rating=5, note="x")


def test_an_official_works_an_industry_desk(world, desks):
    p = raise_(world.dave, world.steel, category="customs")  # no customs desk: 工信
    assert p.department == desks.county_industry and p.handler is None
    p = step("accept", world.carol, p)
    assert p.status == "accepted" and p.handler is None  # carol is no member: no handler named
    p = step("answer", world.bob, p, text="已联系满洲里海关")  # the city's official too
    assert p.status == "answered"


def test_a_member_accepting_an_unassigned_problem_becomes_its_handler(world, desks):
    p = raise_(world.dave, world.steel, category="customs")  # the 工信 desk: nobody named
    lena = testing.user("lena", Role.HANDLER, region_id="150203")
    desks.county_industry.members.add(lena)  # she joins the desk afterwards
    p = step("accept", lena, p)
    assert p.handler == lena


def test_officials_close_an_answer_left_unconfirmed(world, desks, settings):
    settings.FUGONG_PROBLEM_CLOSE_AFTER_WORKDAYS = 3
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    step("accept", desks.henry, p, when=(2020, 2, 17, 10, 0))
    step("answer", desks.henry, p, when=(2020, 2, 17, 11, 0), text="已处理")
    # three working days after Monday the 17th end on Thursday the 20th at 18:00
    with pytest.raises(actions.Illegal):
        step("close", world.carol, p, when=(2020, 2, 20, 17, 0), note="企业未回复")
    with pytest.raises(actions.NotAllowed):  # not the desk's handler: an official's call
        step("close", desks.henry, p, when=(2020, 2, 21, 9, 0), note="企业未回复")
    with pytest.raises(actions.Illegal) as exc:
        step("close", world.carol, p, when=(2020, 2, 21, 9, 0), note="")
    assert exc.value.field == "note"
    with at(2020, 2, 21, 9, 0):
        assert "close" in actions.allowed_actions(world.carol, Problem.objects.get(pk=p.pk))
    p = step(
        "close", world.carol, p, when=(2020, 2, 21, 9, 0), note="三个工作日未确认，电话回访已解决"
    )
    assert p.status == "closed" and p.rating is None
    assert ProblemStep.objects.get(problem=p, action="closed").data == {"confirmed": False}


def test_transfer_moves_it_to_another_desk_of_the_region(world, desks):
    p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    step("accept", desks.henry, p)
    p = step(
        "transfer",
        desks.henry,
        p,
        when=(2020, 2, 18, 9, 0),
        department="transport",
        note="实为返岗包车问题",
    )
    assert (p.department, p.handler, p.status) == (desks.county_transport, desks.kate, "submitted")
    # the new desk starts afresh: accept by the next working day
    assert timezone.localtime(p.accept_due) == timezone.make_aware(datetime(2020, 2, 19, 18))
    last = ProblemStep.objects.filter(problem=p).latest("pk")
    assert (last.action, last.data) == (
        "transferred",
        {"from": "昆都仑区人力资源和社会保障局", "to": "昆都仑区交通运输局"},
    )
    assert last.note == "实为返岗包车问题"
    # henry still sees it (his region) but it is no longer his to work
    with pytest.raises(actions.NotAllowed):
        step("accept", desks.henry, p)
    step("accept", desks.kate, p)


def test_assign_names_a_member(world, desks):
    lena = testing.user("lena", Role.HANDLER, region_id="150203")
    desks.county_hr.members.add(lena)
    p = raise_(world.dave, world.steel)
    assert p.handler == desks.henry
    p = step("assign", world.carol, p, handler="lena")
    assert p.handler == lena and p.status == "submitted"
    last = ProblemStep.objects.filter(problem=p).latest("pk")
    assert (last.action, last.from_status, last.to_status) == ("assigned", "", "")


def test_comments_go_both_ways_until_closed(world, desks):
    p = raise_(world.dave, world.steel)
    with at(2020, 2, 17, 12, 0):
        a = actions.comment(actor=world.dave, problem_id=p.pk, text="请尽快")
        b = actions.comment(actor=desks.henry, problem_id=p.pk, text="正在联系")
        c = actions.comment(actor=world.carol, problem_id=p.pk, text="区工信局关注此事")
    assert (a.by_enterprise, b.by_enterprise, c.by_enterprise) == (True, False, False)
    assert p.steps.filter(action="commented").count() == 3
    with pytest.raises(actions.NotAllowed):  # kate reads along, she is not part of it
        actions.comment(actor=desks.kate, problem_id=p.pk, text="x")
    with pytest.raises(actions.OutOfScope):
        actions.comment(actor=world.frank, problem_id=p.pk, text="x")
    with pytest.raises(actions.Illegal):
        actions.comment(actor=world.dave, problem_id=p.pk, text="")
    step("accept", desks.henry, p)
    step("answer", desks.henry, p, text="好")
    step("confirm", world.dave, p, rating=5)
    step("close", desks.henry, p)
    with pytest.raises(actions.Illegal):
        actions.comment(actor=world.dave, problem_id=p.pk, text="谢谢")


def test_raise_checks_its_values_and_who_raises(world, desks):
    with pytest.raises(actions.Invalid) as exc:
        raise_(world.dave, world.steel, category="weather", urgency="asap", description=" ")
    assert set(exc.value.errors) == {"category", "urgency", "description"}
    with pytest.raises(actions.OutOfScope):
        raise_(world.dave, world.textile)  # another enterprise
    for who in (world.frank, world.erin, world.grace):  # association, park manager, handler
        with pytest.raises(actions.OutOfScope):
            raise_(who, world.steel)
    with pytest.raises(actions.OutOfScope):
        raise_(world.carol, world.textile)  # an official outside her county
    p = raise_(world.bob, world.textile, category="transport")
    assert p.source == "visit" and p.raised_by == world.bob
    assert not Problem.objects.filter(enterprise=world.coal).exists()


def test_a_problem_from_a_report_links_it(world, desks):
    from datetime import date

    from dispatch.tests.factories import report

    mine = report(world.steel, date(2020, 2, 17), difficulties=["labour"]).report
    theirs = report(world.textile, date(2020, 2, 17)).report
    with at(2020, 2, 17, 10):
        p = actions.raise_problem(
            actor=world.dave,
            enterprise=world.steel,
            category="labour",
            description="返岗不足",
            report_id=mine.pk,
        )
        assert (p.report, p.source) == (mine, "report")
        with pytest.raises(actions.Invalid) as exc:
            actions.raise_problem(
                actor=world.dave,
                enterprise=world.steel,
                category="labour",
                description="返岗不足",
                report_id=theirs.pk,
            )
    assert set(exc.value.errors) == {"report"}


# --- events for notifications -------------------------------------------------------------------

PHONE = re.compile(r"1[3-9]\d{9}")


def test_events_go_to_the_right_people(world, desks):
    dora = testing.user("dora", Role.REPORTER, enterprise=world.steel)
    with events() as got:
        p = raise_(world.dave, world.steel, when=(2020, 2, 17, 9, 0))
    assert [(e["kind"], e["recipients"], e["actor"]) for e in got] == [
        ("assigned", [desks.henry], world.dave)
    ]
    e = got[0]
    assert e["problem"] == p and e["url"] == f"/problems/{p.pk}/"
    assert e["title"] == f"新诉求待受理 {p.number}"
    assert e["text"] == f"诉求{p.number}（用工）：包钢示范钢铁，昆都仑区。请于2月18日18:00前受理"

    def one(name, actor, **values):
        with events() as got:
            step(name, actor, p, **values)
        return [(e["kind"], e["recipients"]) for e in got]

    assert one("accept", desks.henry) == []
    assert one("answer", desks.henry, text="已安排") == [("answered", [world.dave, dora])]
    assert one("reopen", world.dave, note="没有解决") == [("reopened", [desks.henry])]
    with events() as got:
        with at(2020, 2, 18, 9):
            actions.comment(actor=world.dave, problem_id=p.pk, text="盼复")
            actions.comment(actor=desks.henry, problem_id=p.pk, text="明日答复")
    assert [(e["kind"], e["recipients"]) for e in got] == [
        ("commented", [desks.henry]),
        ("commented", [world.dave, dora]),
    ]
    assert one("transfer", desks.henry, department="transport", note="交通问题") == [
        ("transferred", [desks.kate])
    ]
    # no transport desk in the city: its 工信 desk, which has no members: its officials
    assert one("escalate", desks.kate, note="需市里协调") == [("escalated", [world.bob])]
    p.refresh_from_db()
    assert p.department == desks.city_industry and p.handler is None
    assert one("accept", world.bob) == []
    assert one("answer", world.bob, text="已协调") == [("answered", [world.dave, dora])]
    assert one("confirm", dora, rating=3) == [("confirmed", [world.bob])]


def test_event_texts_carry_no_names_or_phone_numbers(world, desks):
    world.dave.first_name, world.dave.last_name = "建国", "王"
    world.dave.save()
    desks.henry.first_name, desks.henry.last_name = "明", "李"
    desks.henry.save()
    with events() as got:
        p = raise_(world.dave, world.steel)
        step("accept", desks.henry, p)
        step("answer", desks.henry, p, text="李明已电话联系王建国 13812345678")
        step("confirm", world.dave, p, rating=4)
    assert [e["kind"] for e in got] == ["assigned", "answered", "confirmed"]
    for e in got:
        for part in (e["title"], e["text"]):
            assert "王" not in part and "李" not in part and not PHONE.search(part), part
    assert got[-1]["text"].endswith("企业已确认，评价4分")


def test_the_actor_is_never_told_of_their_own_step(world, desks):
    # carol records a customs problem on a visit: it goes to her own county's 工信 desk, whose
    # people are its officials (carol); she is not told of what she did herself.
    with events() as got:
        p = raise_(world.carol, world.steel, category="customs")
        with at(2020, 2, 17, 12):
            actions.comment(actor=world.dave, problem_id=p.pk, text="谢谢走访")
            actions.comment(actor=world.carol, problem_id=p.pk, text="已联系海关")
    kinds = [(e["kind"], [u.username for u in e["recipients"]]) for e in got]
    assert kinds == [("assigned", []), ("commented", ["carol"]), ("commented", ["dave"])]
