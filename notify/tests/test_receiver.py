"""RELIABILITY check 8 for messages: a group-robot endpoint that fails, then recovers; one that
is slow while enterprises keep reporting.

The receivers are real HTTP servers on 127.0.0.1 (notify/tests/receiver.py). Time moves by
passing `now` to deliver_due, never by sleeping.
"""

import threading
from collections import defaultdict
from datetime import date, timedelta
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from dispatch.models import Report
from dispatch.tests.factories import report
from lib import testing
from notify import delivery
from notify.delivery import deliver_due
from notify.models import Channel, Delivery, Event, Kind, Robot
from notify.services import publish

from .receiver import Receiver
from .test_delivery import MOBILE, SECRET

EVENTS = 6


def problems(world, n: int) -> list[Event]:
    events = []
    for i in range(n):
        e = publish(
            Kind.PROBLEM_ASSIGNED,
            recipients=[world.bob],
            title=f"新诉求{i}：物流受阻",
            text=f"第{i}项诉求已分派，联系人电话13812345678。",
            url=f"/problems/{i}/",
            region_code="150203",
        )
        assert e is not None
        events.append(e)
    return events


def drain(now, rounds: int = 60, step=timedelta(seconds=30)):
    """Run the worker's delivery step until nothing is pending (or `rounds` steps)."""
    for _ in range(rounds):
        if not Delivery.objects.filter(status=Delivery.Status.PENDING).exists():
            return now
        deliver_due(limit=50, now=now)
        now += step
    raise AssertionError("deliveries still pending")


@pytest.mark.parametrize("fail_with", ["http", "errcode"])
def test_an_endpoint_that_fails_three_times_then_recovers_gets_every_message_once(world, fail_with):
    with (
        Receiver(failures=3, fail_with=fail_with, secret=SECRET) as ding,
        Receiver(failures=3, fail_with=fail_with) as wecom,
    ):
        for receiver, kind, secret in (
            (ding, Channel.DINGTALK, SECRET),
            (wecom, Channel.WECOM, ""),
        ):
            Robot.objects.create(
                kind=kind,
                name=kind,
                webhook_url=receiver.url(),
                secret=secret,
                kinds=[Kind.PROBLEM_ASSIGNED],
                region_id="150200",
            )
        events = problems(world, EVENTS)
        drain(timezone.now())

    ids = {str(e.id) for e in events}
    for receiver in (ding, wecom):
        seen = receiver.requests
        assert len(seen) == EVENTS + 3  # three failures, each retried once
        # every event arrived, under its own id, and nothing else did
        assert {s.event_id for s in seen} == ids
        # a repeat is the same message with the same id
        by_id = defaultdict(set)
        for s in seen:
            by_id[s.event_id].add(s.content)
        assert all(len(contents) == 1 for contents in by_id.values())
        # the id is in the text too, for people and for receivers that drop headers
        for s in seen:
            assert s.content.endswith(f"（编号 {s.event_id.replace('-', '')[:12]}）")
        # exactly one accepted request per event: no duplicate after recovery
        accepted = [s.event_id for s in seen[3:]]
        assert sorted(accepted) == sorted(ids)
        for s in seen:
            text = s.raw.decode()
            assert not MOBILE.search(text) and SECRET not in text
    assert all(s.signature_ok for s in ding.requests)
    assert {s.body["msgtype"] for s in ding.requests + wecom.requests} == {"markdown"}
    assert all("title" in s.body["markdown"] for s in ding.requests)
    assert all(set(s.body["markdown"]) == {"content"} for s in wecom.requests)
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2 * EVENTS
    assert sum(Delivery.objects.values_list("attempts", flat=True)) == 2 * (EVENTS + 3)


@pytest.mark.django_db(transaction=True)
def test_a_slow_endpoint_times_out_is_retried_and_does_not_hold_up_reports(settings):
    """While the worker waits on a robot that does not answer, an enterprise reports and an
    event is published in its transaction: the report commits, the attempt fails on its
    timeout, and the retry delivers both messages."""
    testing.load_reference_once()
    world = testing.World.build()
    settings.FUGONG_NOTIFY_TIMEOUT_SECONDS = 1
    arrived = threading.Event()
    in_transaction: list[bool] = []
    real_send = delivery.send

    def watched_send(d, *args):
        in_transaction.append(connection.in_atomic_block)
        return real_send(d, *args)

    with Receiver(slow=1, delay=5.0) as receiver:
        receiver.hook = lambda seen, number: arrived.set()
        Robot.objects.create(
            kind=Channel.WECOM,
            name="slow",
            webhook_url=receiver.url(),
            kinds=[Kind.PROBLEM_ASSIGNED],
        )
        (first,) = problems(world, 1)
        now = timezone.now()
        outcome: list[int] = []

        def worker():
            try:
                outcome.append(deliver_due(now=now))
            finally:
                connection.close()

        with mock.patch.object(delivery, "send", watched_send):
            sender = threading.Thread(target=worker)
            sender.start()
            assert arrived.wait(10), "the worker never reached the endpoint"
            # Meanwhile, a report and the event about it, in one transaction.
            day = date.today() - timedelta(days=1)
            with transaction.atomic():
                report(world.textile, day, staff_on_site=42)
                second = publish(
                    Kind.PROBLEM_ASSIGNED,
                    recipients=[world.bob],
                    title="新诉求：用工",
                    text="一项新诉求",
                    region_code="150204",
                )
            assert Report.objects.get(enterprise=world.textile, date=day).staff_on_site == 42
            sender.join(30)
            assert not sender.is_alive()
        receiver.pause.set()
        assert outcome == [1]
        assert in_transaction == [False]  # no transaction (no lock) is held while sending
        d = Delivery.objects.get(event=first)
        assert (d.status, d.attempts, d.last_error) == ("pending", 1, "no answer within 1 s")
        drain(now + timedelta(minutes=2))
    assert second is not None
    accepted = {s.event_id for s in receiver.requests[1:]}
    assert accepted == {str(first.id), str(second.id)}
    assert Delivery.objects.filter(status=Delivery.Status.SENT).count() == 2
