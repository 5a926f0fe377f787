"""Delivering the outbox: e-mail, DingTalk and WeCom group robots, retried with backoff.

A worker claims due deliveries with a compare-and-set on their lease (as registry.imports claims
jobs), sends each one, then marks it sent. State lives only in the database, so a channel that
is down loses nothing: its deliveries wait and go out when it answers again, across restarts. A
worker killed between sending and marking leaves the lease to run out; the next claim sends the
message again with the same event id (at least once), in the `X-Fugong-Event-Id` header and at
the end of the text, so a receiver can discard the repeat.

Failed attempts are retried after 1, 2, 4 … minutes (at most an hour, with jitter so the retries
of one outage don't arrive together), and given up after FUGONG_NOTIFY_MAX_ATTEMPTS. Retries are
at least a minute apart and so are a lease's expiry and its claim, so a delivery is attempted at
most once in any minute: counting a robot's deliveries attempted in the last minute counts its
messages, and keeps each robot within FUGONG_ROBOT_RATE_PER_MINUTE (DingTalk and WeCom allow 20).
A delivery over the limit is deferred until the minute frees up, not failed.

Logs and `last_error` name the delivery and the kind of failure only: never a webhook address
(it carries the group's token), a secret, an e-mail address or the message.
"""

import base64
import hashlib
import hmac
import json
import logging
import random
import smtplib
import time
import urllib.error
import urllib.request
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone

from lib.env import envint

from .models import Channel, Delivery, Event, Robot

log = logging.getLogger(__name__)

FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
WINDOW = timedelta(minutes=1)  # the robots' rate window
# Longer than any send (the timeout) and at least a minute (see the module's docstring); tests
# of a killed worker shorten it.
LEASE = timedelta(seconds=envint("FUGONG_NOTIFY_LEASE_SECONDS", "120"))
EVENT_HEADER = "X-Fugong-Event-Id"
MAX_TEXT_BYTES = 3500  # WeCom takes 4096 bytes of markdown; leave room for the title and link


class SendError(Exception):
    """A failed attempt, with a short reason that is safe to store and log. `permanent` failures
    (no address, a malformed webhook) are not retried."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason[:200]
        self.permanent = permanent


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: 1, 2, 4 … minutes, each up to a
    quarter longer, never more than an hour (from there, between 48 and 60 minutes)."""
    rng = rng or random.Random()
    exponent = min(max(attempts, 1) - 1, 12)
    delay = FIRST_RETRY * (2**exponent)
    if delay >= LONGEST_RETRY:
        return LONGEST_RETRY * rng.uniform(0.8, 1.0)
    return min(delay * rng.uniform(1.0, 1.25), LONGEST_RETRY)


# --- messages ------------------------------------------------------------------------------------


def link(event: Event) -> str:
    return f"{settings.FUGONG_SITE_URL}{event.url}" if event.url else ""


def _inert(text: str) -> str:
    """Text as shown in a group's markdown: no links, tags or headings of its own (a title
    written by an enterprise must not become a link in an officials' group)."""
    for a, b in (("[", "［"), ("]", "］"), ("<", "＜"), (">", "＞"), ("#", "＃"), ("`", "'")):
        text = text.replace(a, b)
    return text


def _shorten(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore") + "…"


def _markdown_body(event: Event) -> str:
    paragraphs = [_inert(line) for line in _shorten(event.text).splitlines() if line.strip()]
    url = link(event)
    if url:
        paragraphs.append(f"[查看详情]({url})")
    paragraphs.append(f"（编号 {event.short_id}）")
    return "\n\n".join(paragraphs)


def dingtalk_payload(event: Event) -> dict:
    title = _inert(event.title)
    return {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": f"#### {title}\n\n{_markdown_body(event)}"},
    }


def wecom_payload(event: Event) -> dict:
    return {
        "msgtype": "markdown",
        "markdown": {"content": f"**{_inert(event.title)}**\n\n{_markdown_body(event)}"},
    }


def email_body(event: Event) -> str:
    lines = [event.text]
    url = link(event)
    if url:
        lines.append(url)
    lines.append(f"（编号 {event.short_id}）")
    return "\n\n".join(lines)


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key=secret, msg="<timestamp>\\n<secret>"))."""
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def dingtalk_url(webhook_url: str, secret: str, timestamp_ms: int | None = None) -> str:
    if not secret:
        return webhook_url
    # DingTalk refuses a timestamp an hour away from its clock: always the real time.
    timestamp_ms = timestamp_ms if timestamp_ms is not None else int(time.time() * 1000)
    sign = quote_plus(dingtalk_sign(secret, timestamp_ms))
    joiner = "&" if "?" in webhook_url else "?"
    return f"{webhook_url}{joiner}timestamp={timestamp_ms}&sign={sign}"


# --- sending -------------------------------------------------------------------------------------


def _post_json(url: str, payload: dict, event: Event) -> None:
    """POST a group-robot message; success is an answer with errcode 0."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise SendError("the webhook address is not http(s)", permanent=True)
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=json.dumps(payload, ensure_ascii=False).encode(),
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", EVENT_HEADER: str(event.id)},
    )
    timeout = settings.FUGONG_NOTIFY_TIMEOUT_SECONDS
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            body = response.read(65536)
    except urllib.error.HTTPError as exc:
        raise SendError(f"HTTP {exc.code}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise SendError(f"no answer within {timeout} s") from None
        raise SendError(f"connection failed ({type(exc.reason).__name__})") from None
    except TimeoutError:
        raise SendError(f"no answer within {timeout} s") from None
    except OSError as exc:
        raise SendError(f"connection failed ({type(exc).__name__})") from None
    try:
        answer = json.loads(body)
    except ValueError:
        raise SendError("the answer is not JSON") from None
    errcode = answer.get("errcode") if isinstance(answer, dict) else None
    if errcode != 0:
        raise SendError(f"errcode {str(errcode)[:20]}")


class Mailer:
    """One SMTP connection for a batch of e-mails: opened for the first, closed at the end of
    the batch or after a failure (a thousand reminders are not a thousand TLS handshakes)."""

    def __init__(self) -> None:
        self.connection: Any = None

    def send(self, message: EmailMessage) -> None:
        try:
            if self.connection is None:
                self.connection = get_connection(fail_silently=False)
                self.connection.open()
            message.connection = self.connection
            message.send(fail_silently=False)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except (smtplib.SMTPException, OSError):
                pass  # a connection that broke is gone either way


def _send_email(delivery: Delivery, mailer: Mailer) -> None:
    user = delivery.user
    if not settings.FUGONG_EMAIL:
        raise SendError("the site sends no e-mail (FUGONG_EMAIL_HOST is not set)", permanent=True)
    if user is None or not user.email or not user.is_active:
        raise SendError("the user has no e-mail address", permanent=True)
    event = delivery.event
    message = EmailMessage(
        subject=f"[复工] {event.title}",
        body=email_body(event),
        to=[user.email],
        headers={EVENT_HEADER: str(event.id)},
    )
    try:
        mailer.send(message)
    except (smtplib.SMTPException, OSError) as exc:
        # The exception's text may hold the address: only its kind is kept.
        raise SendError(f"SMTP {type(exc).__name__}") from None


def send(delivery: Delivery, mailer: Mailer | None = None) -> None:
    """One attempt; raises SendError when it did not go through."""
    event = delivery.event
    if delivery.channel == Channel.EMAIL:
        own = mailer is None
        mailer = mailer or Mailer()
        try:
            _send_email(delivery, mailer)
        finally:
            if own:
                mailer.close()
        return
    robot = delivery.robot
    assert robot is not None
    if robot.kind == Channel.DINGTALK:
        _post_json(dingtalk_url(robot.webhook_url, robot.secret), dingtalk_payload(event), event)
    else:
        _post_json(robot.webhook_url, wecom_payload(event), event)


# --- claiming and marking ------------------------------------------------------------------------


def _claimable(now: datetime) -> Q:
    return Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now) & (
        Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    )


def _take(ids: list[int], token: uuid.UUID, now: datetime) -> int:
    if not ids:
        return 0
    return Delivery.objects.filter(_claimable(now), pk__in=ids).update(
        leased_until=now + LEASE,
        lease_token=token,
        attempts=F("attempts") + 1,
        last_attempt_at=now,
    )


def _give_up_interrupted(ids: list[int], now: datetime) -> None:
    """Deliveries whose last allowed attempt was interrupted (their worker died): failed."""
    if ids:
        Delivery.objects.filter(_claimable(now), pk__in=ids).update(
            status=Delivery.Status.FAILED,
            leased_until=None,
            lease_token=None,
            last_error="interrupted on its last attempt",
        )


def claim(limit: int, now: datetime) -> list[Delivery]:
    """Take up to `limit` due deliveries for this worker (none that another worker holds), and
    defer those of robots that have had their messages for this minute."""
    rate = settings.FUGONG_ROBOT_RATE_PER_MINUTE
    most = settings.FUGONG_NOTIFY_MAX_ATTEMPTS
    token = uuid.uuid4()
    rows = list(
        Delivery.objects.filter(_claimable(now))
        .filter(Q(robot__isnull=True) | Q(robot__active=True))  # a disabled robot's wait
        .order_by("next_attempt_at", "id")
        .values_list("pk", "robot_id", "attempts")[: limit * 4]
    )
    _give_up_interrupted([pk for pk, _, attempts in rows if attempts >= most], now)
    emails: list[int] = []
    per_robot: dict[int, list[int]] = defaultdict(list)
    for pk, robot_id, attempts in rows:
        if attempts >= most:
            continue
        if len(emails) + sum(len(v) for v in per_robot.values()) >= limit:
            break
        (per_robot[robot_id] if robot_id else emails).append(pk)
    _take(emails, token, now)
    taken = list(emails)
    for robot_id, ids in per_robot.items():
        with transaction.atomic():
            # One worker at a time counts a robot's minute and takes from it.
            list(Robot.objects.select_for_update().filter(pk=robot_id).values_list("pk"))
            recent = Delivery.objects.filter(robot_id=robot_id, last_attempt_at__gt=now - WINDOW)
            room = max(0, rate - recent.count())
            _take(ids[:room], token, now)
            taken += ids[:room]
            later = ids[room:]
            if later:
                oldest = recent.aggregate(t=Min("last_attempt_at"))["t"] or now
                Delivery.objects.filter(_claimable(now), pk__in=later).update(
                    next_attempt_at=oldest + WINDOW
                )
    return list(
        Delivery.objects.filter(pk__in=taken, lease_token=token)
        .select_related("event", "user", "robot")
        .order_by("next_attempt_at", "id")
    )


def _mine(delivery: Delivery) -> Q:
    # Only while this worker's lease is the one on the row: a worker that overran its lease
    # leaves the outcome to the one that took the delivery over.
    return Q(pk=delivery.pk, lease_token=delivery.lease_token)


def _mark_sent(delivery: Delivery, now: datetime) -> None:
    Delivery.objects.filter(_mine(delivery)).update(
        status=Delivery.Status.SENT,
        sent_at=now,
        leased_until=None,
        lease_token=None,
        last_error="",
    )


def _mark_failed(delivery: Delivery, error: SendError, now: datetime) -> None:
    final = error.permanent or delivery.attempts >= settings.FUGONG_NOTIFY_MAX_ATTEMPTS
    fields: dict = {"leased_until": None, "lease_token": None, "last_error": error.reason}
    if final:
        fields["status"] = Delivery.Status.FAILED
    else:
        fields["next_attempt_at"] = now + backoff(delivery.attempts)
    Delivery.objects.filter(_mine(delivery)).update(**fields)
    log.warning(
        "delivery %s (%s, %s, attempt %s) failed%s: %s",
        delivery.pk,
        delivery.channel,
        delivery.target,
        delivery.attempts,
        ", given up" if final else "",
        error.reason,
    )


def _release(deliveries: list[Delivery]) -> None:
    """Hand back claimed deliveries that were not attempted (the worker is stopping)."""
    for d in deliveries:
        Delivery.objects.filter(_mine(d)).update(
            leased_until=None, lease_token=None, attempts=F("attempts") - 1
        )


def attempt(delivery: Delivery, now: datetime, mailer: Mailer | None = None) -> bool:
    """Send one claimed delivery and record the outcome; True when it went through."""
    try:
        send(delivery, mailer)
    except SendError as exc:
        _mark_failed(delivery, exc, now)
        return False
    except Exception as exc:
        # A bug or an answer nobody expected: retried like a failure. Only the exception's kind
        # is kept, since its text could carry the webhook address.
        _mark_failed(delivery, SendError(f"unexpected {type(exc).__name__}"), now)
        return False
    _mark_sent(delivery, now)
    return True


def deliver_due(
    limit: int = 20,
    now: datetime | None = None,
    stop: Callable[[], bool] | None = None,
) -> int:
    """Claim and attempt up to `limit` due deliveries; the number attempted. `now` fixes the
    clock (tests); `stop` is asked before each send, and what is left is handed back."""
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    claimed = claim(limit, clock())
    mailer = Mailer()
    try:
        for i, delivery in enumerate(claimed):
            if stop is not None and stop():
                _release(claimed[i:])
                return i
            attempt(delivery, clock(), mailer)
    finally:
        mailer.close()
    return len(claimed)
