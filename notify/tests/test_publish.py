"""publish: the outbox is written in the caller's transaction; keys make it idempotent; every
recipient gets an inbox item; e-mail follows the users' choices; robots take their kinds and
regions; no phone or identity number leaves in a title or text."""

from unittest import mock

import pytest
from django.db import transaction

from notify import services
from notify.models import Channel, Delivery, Event, InboxItem, Kind, Preference, Robot
from notify.services import Draft, publish, publish_many


@pytest.fixture
def email_on(settings):
    settings.FUGONG_EMAIL = True


def assigned(recipients, **extra):
    fields = {
        "recipients": recipients,
        "title": "新诉求：原材料短缺",
        "text": "包头市有一项诉求分派给您，请在3个工作日内答复。",
        "url": "/problems/1/",
        "ref": "problem:1",
        "region_code": "150203",
        **extra,
    }
    return publish(Kind.PROBLEM_ASSIGNED, **fields)


def test_publish_in_a_rolled_back_transaction_leaves_nothing(world, email_on):
    world.bob.email = "bob@example.org"
    world.bob.save()
    Robot.objects.create(
        kind=Channel.DINGTALK, name="包头", webhook_url="http://x/", kinds=[Kind.PROBLEM_ASSIGNED]
    )
    with transaction.atomic():
        event = assigned([world.bob, world.grace])
        assert event is not None
        assert Delivery.objects.count() == 2 and InboxItem.objects.count() == 2
        transaction.set_rollback(True)  # the business write failed: so did its event
    assert not Event.objects.exists()
    assert not InboxItem.objects.exists()
    assert not Delivery.objects.exists()


def test_every_recipient_gets_one_inbox_item_and_email_goes_to_addresses(world, email_on):
    world.bob.email = "bob@example.org"
    world.bob.save()
    event = assigned([world.bob, world.grace, world.bob])  # bob twice: once
    assert event is not None
    items = InboxItem.objects.filter(event=event)
    assert sorted(i.user_id for i in items) == sorted([world.bob.pk, world.grace.pk])
    assert all(i.read_at is None and i.created_at == event.created_at for i in items)
    emails = Delivery.objects.filter(event=event, channel=Channel.EMAIL)
    assert [d.user_id for d in emails] == [world.bob.pk]  # grace has no address
    (d,) = emails
    assert d.status == Delivery.Status.PENDING and d.attempts == 0
    assert d.next_attempt_at == event.created_at


def test_a_key_makes_publish_idempotent(world):
    first = assigned([world.bob], key="problem:1:assigned")
    second = assigned([world.bob, world.carol], key="problem:1:assigned")
    assert first is not None and second is None
    assert Event.objects.count() == 1
    assert InboxItem.objects.count() == 1  # carol was not added by the repeat
    assert assigned([world.bob], key="problem:2:assigned") is not None
    assert Event.objects.count() == 2


def test_a_key_taken_by_a_concurrent_publisher_is_skipped_without_breaking_the_caller(world):
    """Between looking the keys up and inserting, another transaction may take one: the batch
    falls back to one by one, skips that event and keeps the caller's transaction usable."""
    assigned([world.bob], key="race")
    with transaction.atomic():
        with mock.patch.object(services, "_taken_keys", return_value=set()):
            events = publish_many(
                [
                    Draft(Kind.PROBLEM_ASSIGNED, [world.bob], "a", "a", key="race"),
                    Draft(Kind.PROBLEM_ASSIGNED, [world.carol], "b", "b", key="other"),
                ]
            )
        assert [e.key for e in events] == ["other"]
        assert Event.objects.count() == 2  # the transaction still works
    assert InboxItem.objects.filter(user=world.carol).count() == 1
    assert InboxItem.objects.filter(user=world.bob).count() == 1


def test_phone_and_identity_numbers_are_masked_in_titles_and_texts(world):
    event = assigned(
        [world.bob],
        title="请联系13812345678",
        text="联系人电话 139 0000 1111，身份证 150203199001011234，统一社会信用代码 91150203MA0000001T",
    )
    assert event is not None
    event.refresh_from_db()
    assert "13812345678" not in event.title and "138****5678" in event.title
    assert "0000" not in event.text.split("，")[0] and "139****1111" in event.text
    assert "150203199001011234" not in event.text and "150***********1234" in event.text
    assert "91150203MA0000001T" in event.text  # an enterprise's code is not personal data


def test_titles_become_one_line_and_long_texts_are_cut(world):
    event = assigned([world.bob], title="第一行\n第二行\r\n", text="长" * 5000)
    assert event is not None
    assert event.title == "第一行 第二行"
    assert len(event.text) == 2000


def test_unknown_kinds_and_foreign_urls_are_refused(world):
    with pytest.raises(ValueError):
        publish("problem.asigned", recipients=[world.bob], title="t", text="t")
    for url in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            assigned([world.bob], url=url)
    with pytest.raises(ValueError):
        assigned([world.bob], region_code="15")
    assert not Event.objects.exists()


def test_email_choices_are_honoured_and_the_inbox_is_always_on(world, email_on):
    for u in (world.bob, world.carol):
        u.email = f"{u.username}@example.org"
        u.save()
    Preference.objects.create(user=world.bob, kind=Kind.PROBLEM_ASSIGNED, email=False)
    Preference.objects.create(user=world.bob, kind=Kind.PROBLEM_OVERDUE, email=True)
    Preference.objects.create(user=world.carol, kind=Kind.REPORT_REMINDER, email=False)
    event = assigned([world.bob, world.carol])
    assert event is not None
    assert {d.user_id for d in Delivery.objects.filter(event=event)} == {world.carol.pk}
    assert InboxItem.objects.filter(event=event).count() == 2
    overdue = publish(Kind.PROBLEM_OVERDUE, recipients=[world.bob], title="t", text="t")
    assert Delivery.objects.filter(event=overdue, user=world.bob).count() == 1


def test_no_email_deliveries_when_the_site_sends_no_email(world, settings):
    settings.FUGONG_EMAIL = False
    world.bob.email = "bob@example.org"
    world.bob.save()
    event = assigned([world.bob])
    assert event is not None
    assert not Delivery.objects.exists()
    assert InboxItem.objects.filter(event=event, user=world.bob).exists()


def test_inactive_users_get_the_inbox_item_but_no_email(world, email_on):
    world.bob.email = "bob@example.org"
    world.bob.is_active = False
    world.bob.save()
    assigned([world.bob])
    assert InboxItem.objects.filter(user=world.bob).count() == 1
    assert not Delivery.objects.exists()


def test_robots_take_their_kinds_from_their_regions_subtree(world):
    def robot(name, region=None, kinds=(Kind.PROBLEM_ASSIGNED,), active=True):
        return Robot.objects.create(
            kind=Channel.WECOM,
            name=name,
            webhook_url="http://127.0.0.1:9/",
            region_id=region,
            kinds=list(kinds),
            active=active,
        )

    national = robot("全国")
    baotou = robot("包头", "150200")
    hohhot = robot("呼和浩特", "150100")
    robot("停用", "150200", active=False)
    robot("只收提醒", "150200", kinds=(Kind.REPORT_REMINDER,))
    event = assigned([world.bob], region_code="150203")
    assert event is not None
    got = set(Delivery.objects.filter(event=event).values_list("robot__name", flat=True))
    assert got == {"全国", "包头"}
    assert all(
        d.channel == Channel.WECOM for d in Delivery.objects.filter(event=event, robot=baotou)
    )
    nowhere = assigned([world.bob], region_code="")
    assert set(Delivery.objects.filter(event=nowhere).values_list("robot_id", flat=True)) == {
        national.pk
    }
    hohhot_event = assigned([world.bob], region_code="150102")
    assert set(Delivery.objects.filter(event=hohhot_event).values_list("robot_id", flat=True)) == {
        national.pk,
        hohhot.pk,
    }


def test_publish_many_costs_the_same_queries_for_one_event_or_many(
    world, email_on, django_assert_num_queries, django_assert_max_num_queries
):
    world.dave.email = "dave@example.org"
    world.dave.save()
    Robot.objects.create(
        kind=Channel.DINGTALK, name="r", webhook_url="http://x/", kinds=[Kind.REPORT_REMINDER]
    )

    def drafts(n, start):
        return [
            Draft(Kind.REPORT_REMINDER, [world.dave, world.erin], "t", "x", key=f"k{start + i}")
            for i in range(n)
        ]

    with django_assert_num_queries(10):
        publish_many(drafts(1, 0))
    # 200 events: the same statements, some inserts split into batches (SQLite takes at most
    # 999 parameters a statement), never a query per event.
    with django_assert_max_num_queries(20):
        publish_many(drafts(200, 100))
    assert Event.objects.count() == 201
    assert InboxItem.objects.count() == 402
    assert Delivery.objects.count() == 402  # dave's e-mail and the robot, per event
