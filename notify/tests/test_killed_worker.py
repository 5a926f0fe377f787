"""A worker killed (SIGKILL) between sending a message and marking it sent loses nothing.

A real worker process (`manage.py run_worker --once` on the test database) sends a DingTalk
message to a receiver on 127.0.0.1. Before answering, the receiver locks the delivery's row in
its own transaction, so the worker, having had its answer, cannot record it: the test kills the
worker then, exactly between send and mark. The delivery stays pending under the dead worker's
lease; once the lease is over a second worker sends it again, with the same event id (header and
text), and marks it sent. The receiver verifies both requests' signatures itself, and neither
the payloads nor the workers' output holds a phone number, the secret or the access token.

The lease is shortened for the workers through FUGONG_NOTIFY_LEASE_SECONDS.
"""

import re
import signal
import subprocess
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from lib import testing
from notify.models import Channel, Delivery, Kind, Robot
from notify.services import publish

from .receiver import Receiver, Seen
from .test_delivery import SECRET

LEASE_SECONDS = 2
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def worker() -> subprocess.Popen:
    return testing.worker_process(
        FUGONG_NOTIFY_LEASE_SECONDS=str(LEASE_SECONDS), FUGONG_LOG_LEVEL="INFO"
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_between_send_and_mark_loses_nothing_and_repeats_the_same_id():
    testing.load_reference_once()  # after a flush
    bob = testing.user("bob", "official", region_id="150200")
    answered, killed = threading.Event(), threading.Event()
    holding: list = []
    ours: list[int] = []  # PostgreSQL: the server processes of this test's connections

    def lock_the_row(seen: Seen, number: int) -> None:
        # Runs in the receiver's thread before it answers the first request.
        if number != 1:
            return
        block = transaction.atomic()
        block.__enter__()
        holding.append(block)
        pk = Delivery.objects.values_list("pk", flat=True).get()
        list(Delivery.objects.select_for_update().filter(pk=pk))  # PostgreSQL: the row
        Delivery.objects.filter(pk=pk).update(last_error="")  # SQLite: the write lock
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                ours.append(cursor.fetchone()[0])

    def hold_until_killed(seen: Seen, number: int) -> None:
        if number != 1:
            return
        answered.set()
        killed.wait(60)
        transaction.set_rollback(True)
        holding.pop().__exit__(None, None, None)
        connection.close()

    with Receiver(secret=SECRET) as receiver:
        receiver.hook, receiver.after_answer = lock_the_row, hold_until_killed
        Robot.objects.create(
            kind=Channel.DINGTALK,
            name="包头工信",
            webhook_url=receiver.url(),
            secret=SECRET,
            kinds=[Kind.PROBLEM_ASSIGNED],
        )
        event = publish(
            Kind.PROBLEM_ASSIGNED,
            recipients=[bob],
            title="新诉求：原材料短缺",
            text="请尽快联系企业（电话13812345678）。",
            url="/problems/7/",
            region_code="150203",
        )
        assert event is not None
        connection.close()  # SQLite: hold nothing open while the worker writes

        first = worker()
        deadline = time.monotonic() + 60
        while not answered.wait(0.05):
            alive = time.monotonic() < deadline and first.poll() is None
            assert alive, first.communicate()[0].decode(errors="replace")
        first.send_signal(signal.SIGKILL)  # it has its answer and cannot mark: killed here
        first.wait(10)
        # PostgreSQL would still run the mark the dead worker had sent, once the row is free.
        testing.end_sessions_of_killed_workers(keep=tuple(ours))
        killed.set()
        first_output = first.communicate()[0].decode(errors="replace")
        deadline = time.monotonic() + 10
        while holding and time.monotonic() < deadline:
            time.sleep(0.01)  # the receiver's transaction ends

        d = Delivery.objects.get()
        assert (d.status, d.attempts, d.sent_at) == ("pending", 1, None)
        assert d.leased_until is not None  # the dead worker's lease
        assert len(receiver.requests) == 1

        time.sleep(max(0.0, (d.leased_until - timezone.now()).total_seconds()) + 0.1)
        connection.close()
        second = worker()
        second_output = second.communicate(timeout=120)[0].decode(errors="replace")
        assert second.returncode == 0, second_output

    d.refresh_from_db()
    assert (d.status, d.attempts) == ("sent", 2)
    sent_first, sent_again = receiver.requests
    assert sent_first.event_id == sent_again.event_id == str(event.id)
    assert sent_first.content == sent_again.content  # one message, twice: a receiver drops one
    assert sent_again.content.endswith(f"（编号 {event.id.hex[:12]}）")
    assert sent_first.signature_ok and sent_again.signature_ok
    for text in (sent_first.raw.decode(), sent_again.raw.decode(), first_output, second_output):
        assert not MOBILE.search(text), text
        assert SECRET not in text and "tok-0123456789abcdef" not in text
