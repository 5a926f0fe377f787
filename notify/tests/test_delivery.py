"""deliver_due against real endpoints on 127.0.0.1: formats, DingTalk's signature checked by the
receiver, e-mail with the event id, leases, retries with backoff, giving up, the per-robot rate,
and what a stopped or killed worker leaves behind. Time moves by passing `now`, never by sleeping.
"""

import logging
import random
import re
import smtplib
from datetime import timedelta

from django.core.mail.backends import locmem
from django.utils import timezone

from lib import masking, testing
from notify import delivery
from notify.delivery import backoff, claim, deliver_due
from notify.models import Channel, Delivery, Kind, Robot
from notify.services import publish

from .receiver import Receiver

SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
MINUTE = timedelta(minutes=1)


def robot(receiver: Receiver, kind=Channel.DINGTALK, secret="", **fields) -> Robot:
    return Robot.objects.create(
        kind=kind,
        name=f"{kind} group",
        webhook_url=receiver.url(),
        secret=secret,
        kinds=[Kind.PROBLEM_ASSIGNED],
        **fields,
    )


def event(world, n: int = 1, text: str = "请在3个工作日内答复。"):
    return publish(
        Kind.PROBLEM_ASSIGNED,
        recipients=[world.bob],
        title=f"新诉求{n}：原材料短缺",
        text=text,
        url=f"/problems/{n}/",
        region_code="150203",
    )


def status(d: Delivery) -> str:
    d.refresh_from_db()
    return d.status


# --- the schedule --------------------------------------------------------------------------------


def test_backoff_doubles_from_a_minute_with_jitter_and_stays_within_an_hour():
    rng = random.Random(7)
    for attempts, base in enumerate([60, 120, 240, 480, 960, 1920], start=1):
        for _ in range(50):
            delay = backoff(attempts, rng).total_seconds()
            assert base <= delay <= base * 1.25, (attempts, delay)
    for attempts in (7, 8, 12, 30, 1000):
        for _ in range(50):
            delay = backoff(attempts, rng).total_seconds()
            assert 0.8 * 3600 <= delay <= 3600, (attempts, delay)
    # jitter: the retries of one outage are spread, not all at once
    assert len({backoff(3, rng) for _ in range(20)}) > 10


# --- formats and signatures ----------------------------------------------------------------------


def test_dingtalk_markdown_with_a_signature_the_receiver_verifies(world):
    with Receiver(secret=SECRET) as receiver:
        robot(receiver, secret=SECRET)
        e = event(world)
        assert deliver_due(now=timezone.now()) == 1
    (seen,) = receiver.requests
    assert seen.signature_ok is True  # HMAC computed by the receiver, not by the code under test
    assert seen.path == "/robot/send" and seen.query["access_token"] == "tok-0123456789abcdef"
    assert abs(int(seen.query["timestamp"]) / 1000 - timezone.now().timestamp()) < 3600
    assert seen.headers["content-type"].startswith("application/json")
    assert seen.event_id == str(e.id)
    assert seen.body["msgtype"] == "markdown"
    markdown = seen.body["markdown"]
    assert markdown["title"] == "新诉求1：原材料短缺"
    assert markdown["text"].startswith("#### 新诉求1：原材料短缺\n\n请在3个工作日内答复。")
    assert "(http://127.0.0.1:8000/problems/1/)" in markdown["text"]
    assert markdown["text"].endswith(f"（编号 {e.id.hex[:12]}）")
    assert SECRET not in seen.raw.decode()
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(world):
    with Receiver(secret=SECRET) as receiver:
        robot(receiver, secret=SECRET[:-1] + "x")
        event(world)
        now = timezone.now()
        assert deliver_due(now=now) == 1
    d = Delivery.objects.get()
    assert receiver.requests[0].signature_ok is False
    assert d.status == Delivery.Status.PENDING and d.last_error == "errcode 310000"
    assert d.next_attempt_at >= now + MINUTE


def test_dingtalk_without_a_secret_is_not_signed(world):
    with Receiver() as receiver:
        robot(receiver)
        event(world)
        deliver_due(now=timezone.now())
    (seen,) = receiver.requests
    assert "sign" not in seen.query and "timestamp" not in seen.query
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_wecom_markdown_content_and_errcode(world):
    with Receiver(failures=1, fail_with="errcode") as receiver:
        robot(receiver, kind=Channel.WECOM)
        e = event(world)
        now = timezone.now()
        deliver_due(now=now)
        d = Delivery.objects.get()
        assert d.status == Delivery.Status.PENDING and d.last_error == "errcode 300001"
        deliver_due(now=now + 2 * MINUTE)
    assert len(receiver.requests) == 2
    seen = receiver.requests[1]
    assert seen.body == {
        "msgtype": "markdown",
        "markdown": {
            "content": "**新诉求1：原材料短缺**\n\n请在3个工作日内答复。\n\n"
            "[查看详情](http://127.0.0.1:8000/problems/1/)\n\n"
            f"（编号 {e.id.hex[:12]}）"
        },
    }
    assert seen.event_id == str(e.id)
    assert status(d) == Delivery.Status.SENT


def test_text_from_users_cannot_add_links_or_tags_to_a_group_message(world):
    with Receiver() as receiver:
        robot(receiver, kind=Channel.WECOM)
        event(
            world, text='点这里 [领取补贴](https://evil.example/) <font color="warning">急</font>'
        )
        deliver_due(now=timezone.now())
    content = receiver.requests[0].body["markdown"]["content"]
    assert "](https://evil.example/)" not in content and "<font" not in content
    assert "［领取补贴］" in content


def test_email_carries_the_event_id(world, settings, mailoutbox):
    settings.FUGONG_EMAIL = True
    world.bob.email = "bob@example.org"
    world.bob.save()
    e = event(world)
    assert deliver_due(now=timezone.now()) == 1
    (mail,) = mailoutbox
    assert mail.to == ["bob@example.org"]
    assert mail.subject == "[复工] 新诉求1：原材料短缺"
    assert mail.extra_headers["X-Fugong-Event-Id"] == str(e.id)
    assert "http://127.0.0.1:8000/problems/1/" in mail.body
    assert mail.body.endswith(f"（编号 {e.id.hex[:12]}）")
    assert Delivery.objects.get().status == Delivery.Status.SENT


class CountingBackend(locmem.EmailBackend):
    """The test e-mail backend, counting connections; fails for the addresses in `refuse`."""

    opened = 0
    closed = 0
    refuse: set[str] = set()

    def open(self):
        CountingBackend.opened += 1
        return True

    def close(self):
        CountingBackend.closed += 1

    def send_messages(self, messages):
        if any(m.to[0] in CountingBackend.refuse for m in messages):
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


def test_a_batch_of_emails_shares_one_connection_and_a_failure_starts_a_new_one(
    world, settings, mailoutbox
):
    settings.FUGONG_EMAIL = True
    settings.EMAIL_BACKEND = "notify.tests.test_delivery.CountingBackend"
    users = [testing.user(f"u{n}", "official", region_id="150200") for n in range(5)]
    for u in users:
        u.email = f"{u.username}@example.org"
        u.save()
    CountingBackend.opened = CountingBackend.closed = 0
    CountingBackend.refuse = {"u2@example.org"}
    publish(Kind.PROBLEM_ASSIGNED, recipients=users, title="t", text="x")
    assert deliver_due(now=timezone.now()) == 5
    assert (CountingBackend.opened, CountingBackend.closed) == (2, 2)
    assert sorted(m.to[0] for m in mailoutbox) == [f"u{n}@example.org" for n in (0, 1, 3, 4)]
    refused = Delivery.objects.get(status="pending")
    assert refused.user == users[2] and refused.last_error == "SMTP SMTPServerDisconnected"
    assert "u2@example.org" not in refused.last_error


def test_an_address_removed_before_sending_fails_without_retrying(world, settings, mailoutbox):
    settings.FUGONG_EMAIL = True
    world.bob.email = "bob@example.org"
    world.bob.save()
    event(world)
    world.bob.email = ""
    world.bob.save()
    deliver_due(now=timezone.now())
    d = Delivery.objects.get()
    assert d.status == Delivery.Status.FAILED and d.attempts == 1
    assert d.last_error == "the user has no e-mail address"
    assert not mailoutbox


def test_email_waiting_when_the_site_stops_sending_email_is_given_up(world, settings, mailoutbox):
    settings.FUGONG_EMAIL = True
    world.bob.email = "bob@example.org"
    world.bob.save()
    event(world)
    settings.FUGONG_EMAIL = False  # the SMTP host was removed and the worker restarted
    deliver_due(now=timezone.now())
    d = Delivery.objects.get()
    assert d.status == Delivery.Status.FAILED and d.last_error.startswith(
        "the site sends no e-mail"
    )
    assert not mailoutbox


# --- retries, giving up, leases ------------------------------------------------------------------


def test_a_failure_is_retried_after_the_backoff_and_then_sent(world):
    with Receiver(failures=1) as receiver:
        robot(receiver)
        event(world)
        now = timezone.now()
        assert deliver_due(now=now) == 1
        d = Delivery.objects.get()
        assert (d.status, d.attempts, d.last_error) == ("pending", 1, "HTTP 500")
        assert now + MINUTE <= d.next_attempt_at <= now + 1.25 * MINUTE
        assert d.leased_until is None
        assert deliver_due(now=now + 30 * timedelta(seconds=1)) == 0  # not yet
        assert deliver_due(now=d.next_attempt_at) == 1
    d.refresh_from_db()
    assert (d.status, d.attempts, d.last_error) == ("sent", 2, "")
    assert d.sent_at is not None and len(receiver.requests) == 2


def test_bounded_retries_give_up_after_the_set_number_of_attempts(world, settings):
    settings.FUGONG_NOTIFY_MAX_ATTEMPTS = 4
    with Receiver(failures=1000) as receiver:
        robot(receiver)
        event(world)
        now = timezone.now()
        for _ in range(10):
            deliver_due(now=now)
            now += 2 * timedelta(hours=1)
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == ("failed", 4)
    assert len(receiver.requests) == 4


def test_a_claimed_delivery_is_not_claimed_again_until_its_lease_runs_out(world):
    with Receiver() as receiver:
        robot(receiver)
        event(world)
    now = timezone.now()
    (first,) = claim(10, now)
    assert claim(10, now) == []  # a second worker finds nothing
    assert claim(10, now + delivery.LEASE - timedelta(seconds=1)) == []
    (again,) = claim(10, now + delivery.LEASE + timedelta(seconds=1))  # the first one died
    assert again.pk == first.pk and again.attempts == 2
    assert again.lease_token != first.lease_token


def test_killed_between_send_and_mark_sends_again_with_the_same_event_id(world):
    """At least once: the message went out but the worker died before marking it; after the
    lease it goes out again, and the receiver can tell it is the same event."""
    with Receiver() as receiver:
        robot(receiver, secret=SECRET)
        e = event(world)
        now = timezone.now()
        (claimed,) = claim(10, now)
        delivery.send(claimed)  # ... and the worker is killed here
        assert deliver_due(now=now + timedelta(seconds=30)) == 0  # still leased
        assert deliver_due(now=now + delivery.LEASE + timedelta(seconds=1)) == 1
    first, second = receiver.requests
    assert first.event_id == second.event_id == str(e.id)
    assert first.body == second.body
    d = Delivery.objects.get()
    assert (d.status, d.attempts) == ("sent", 2)


def test_a_late_worker_does_not_overwrite_the_outcome_of_the_one_that_took_over(world):
    with Receiver() as receiver:
        robot(receiver)
        event(world)
        now = timezone.now()
        (slow,) = claim(10, now)
        later = now + delivery.LEASE + timedelta(seconds=1)
        assert deliver_due(now=later) == 1  # took over after the lease and sent
        delivery.attempt(slow, later)  # the first worker finally gets to mark: a failure, say
    d = Delivery.objects.get()
    assert d.status == Delivery.Status.SENT and d.last_error == ""


def test_a_stopping_worker_hands_back_what_it_did_not_send(world):
    with Receiver() as receiver:
        robot(receiver)
        for n in range(3):
            event(world, n)
        now = timezone.now()
        asked = []

        def stop() -> bool:
            asked.append(1)
            return len(asked) > 1  # stop after the first send

        assert deliver_due(now=now, stop=stop) == 1
        assert len(receiver.requests) == 1
        rows = Delivery.objects.order_by("id")
        assert [d.status for d in rows] == ["sent", "pending", "pending"]
        assert [d.attempts for d in rows] == [1, 0, 0]
        assert all(d.leased_until is None for d in rows[1:])
        assert deliver_due(now=now) == 2  # at once, by the next worker
    assert len(receiver.requests) == 3


def test_a_disabled_robot_keeps_its_deliveries_until_it_is_enabled(world):
    with Receiver() as receiver:
        r = robot(receiver)
        event(world)
        r.active = False
        r.save()
        now = timezone.now()
        assert deliver_due(now=now) == 0
        r.active = True
        r.save()
        assert deliver_due(now=now) == 1
    assert Delivery.objects.get().status == Delivery.Status.SENT


# --- the rate per robot --------------------------------------------------------------------------


def test_a_robot_gets_at_most_20_messages_a_minute_and_the_rest_wait(world):
    with Receiver() as receiver:
        r = robot(receiver)
        for n in range(45):
            event(world, n)
        start = timezone.now()
        sent_at: list[float] = []
        now = start
        while Delivery.objects.filter(status="pending").exists():
            before = len(receiver.requests)
            deliver_due(limit=100, now=now)
            sent_at += [(now - start).total_seconds()] * (len(receiver.requests) - before)
            now += timedelta(seconds=10)
            assert now - start < timedelta(minutes=10)
    assert len(receiver.requests) == 45
    assert len({s.event_id for s in receiver.requests}) == 45
    # in every 60-second window, at most 20
    assert max(sum(1 for t in sent_at if s <= t < s + 60) for s in sent_at) == 20
    assert Delivery.objects.filter(robot=r, attempts=1).count() == 45  # deferred, never failed


def test_deferred_deliveries_wait_for_the_minute_to_free_up(world, settings):
    settings.FUGONG_ROBOT_RATE_PER_MINUTE = 2
    with Receiver() as receiver:
        robot(receiver)
        for n in range(3):
            event(world, n)
        now = timezone.now()
        assert deliver_due(limit=10, now=now) == 2
        waiting = Delivery.objects.get(status="pending")
        assert waiting.attempts == 0 and waiting.last_error == ""
        assert waiting.next_attempt_at == now + MINUTE
        assert deliver_due(limit=10, now=now + timedelta(seconds=59)) == 0
        assert deliver_due(limit=10, now=now + MINUTE + timedelta(seconds=1)) == 1
    assert len(receiver.requests) == 3


# --- nothing secret or personal leaves -----------------------------------------------------------


def test_payloads_and_logs_hold_no_phone_numbers_or_secrets(world, caplog):
    caplog.set_level(logging.DEBUG)
    with Receiver(secret=SECRET, failures=2) as receiver:
        r = robot(receiver, secret=SECRET)
        publish(
            Kind.PROBLEM_ASSIGNED,
            recipients=[world.bob],
            title="请联系13812345678",
            text="联系电话13912345678，身份证150203199001011234",
            region_code="150203",
        )
        now = timezone.now()
        for _ in range(4):
            deliver_due(now=now)
            now += timedelta(minutes=5)
    assert len(receiver.requests) == 3
    for seen in receiver.requests:
        text = seen.raw.decode()
        assert not MOBILE.search(text), text
        assert "150203199001011234" not in text
        assert SECRET not in text
    logged = caplog.text
    assert "delivery" in logged and "HTTP 500" in logged  # the failures were logged ...
    assert SECRET not in logged and "tok-0123456789abcdef" not in logged  # ... without secrets
    assert not MOBILE.search(logged)
    assert masking.mask_secret(SECRET) == "SEC…abcd"
    assert SECRET not in r.masked_url + r.masked_secret


def test_a_dropped_connection_or_an_answer_that_is_not_json_is_a_failed_attempt(world):
    with Receiver() as receiver:
        robot(receiver)
        event(world)

        def hang_up(seen, number):
            raise ConnectionResetError  # the handler dies: the connection closes unanswered

        receiver.hook = hang_up
        now = timezone.now()
        deliver_due(now=now)
        d = Delivery.objects.get()
        assert (d.status, d.attempts) == ("pending", 1)
        assert d.last_error == "connection failed (RemoteDisconnected)"
        receiver.hook = None
        receiver.raw_answer = b"<html>502 Bad Gateway</html>"
        deliver_due(now=now + timedelta(minutes=2))
        d.refresh_from_db()
        assert (d.status, d.attempts, d.last_error) == ("pending", 2, "the answer is not JSON")
        receiver.raw_answer = None
        deliver_due(now=now + timedelta(minutes=5))
    assert status(d) == "sent"
    assert len(receiver.requests) == 3
