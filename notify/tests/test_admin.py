"""The back office: group robots whose secret and webhook token are never shown back, the outbox
read-only, and "retry now" for deliveries that were given up."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from notify.models import Channel, Delivery, Kind, Robot
from notify.services import publish

SECRET = "SEC9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"
URL = "https://oapi.dingtalk.com/robot/send?access_token=7c3b1a9e8d2f4c6b0a1e3d5f7b9c2e4a"


def admin_client(world) -> Client:
    client = Client()
    client.force_login(world.root)
    return client


def test_a_robot_is_added_and_its_secrets_are_never_shown_back(world):
    client = admin_client(world)
    r = client.post(
        "/admin/notify/robot/add/",
        {
            "name": "包头市工信局群",
            "kind": "dingtalk",
            "webhook_url": URL,
            "secret": SECRET,
            "region": "150200",
            "kinds": [Kind.PROBLEM_ASSIGNED, Kind.PROBLEM_OVERDUE],
            "active": "on",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    robot = Robot.objects.get()
    assert (robot.webhook_url, robot.secret) == (URL, SECRET)
    assert robot.kinds == [Kind.PROBLEM_ASSIGNED, Kind.PROBLEM_OVERDUE]
    for page in (
        client.get("/admin/notify/robot/").content.decode(),
        client.get(f"/admin/notify/robot/{robot.pk}/change/").content.decode(),
    ):
        assert SECRET not in page and "7c3b1a9e8d2f4c6b0a1e3d5f7b9c2e4a" not in page
        assert "SEC…b1a0" in page
        assert "access_token=7c3…2e4a" in page
    audit = AuditEvent.objects.get(action="save_robot")
    assert SECRET not in str(audit.detail) and URL not in str(audit.detail)


def test_saving_with_empty_secret_fields_keeps_them_and_clearing_removes_the_secret(world):
    robot = Robot.objects.create(
        kind=Channel.DINGTALK, name="r", webhook_url=URL, secret=SECRET, kinds=[Kind.ROLLUP_CHECK]
    )
    client = admin_client(world)
    form = {"name": "新名字", "kind": "dingtalk", "kinds": [Kind.ROLLUP_CHECK], "active": "on"}
    assert client.post(f"/admin/notify/robot/{robot.pk}/change/", form).status_code == 302
    robot.refresh_from_db()
    assert (robot.name, robot.webhook_url, robot.secret) == ("新名字", URL, SECRET)
    form["clear_secret"] = "on"
    client.post(f"/admin/notify/robot/{robot.pk}/change/", form)
    robot.refresh_from_db()
    assert robot.secret == "" and robot.webhook_url == URL


def test_only_http_webhooks_are_accepted(world):
    r = admin_client(world).post(
        "/admin/notify/robot/add/",
        {
            "name": "x",
            "kind": "wecom",
            "webhook_url": "file:///etc/passwd",
            "kinds": ["problem.assigned"],
        },
    )
    assert r.status_code == 200 and not Robot.objects.exists()


def test_the_outbox_is_read_only_and_failed_deliveries_can_be_retried(world):
    Robot.objects.create(
        kind=Channel.WECOM, name="r", webhook_url=URL, kinds=[Kind.PROBLEM_ASSIGNED]
    )
    event = publish(Kind.PROBLEM_ASSIGNED, recipients=[world.bob], title="t", text="x")
    last = timezone.now()
    Delivery.objects.update(
        status="failed", attempts=24, last_attempt_at=last, last_error="HTTP 500"
    )
    client = admin_client(world)
    assert client.get("/admin/notify/event/").status_code == 200
    assert client.get("/admin/notify/delivery/").status_code == 200
    assert client.get("/admin/notify/jobstate/").status_code == 200
    d = Delivery.objects.get()
    assert client.get(f"/admin/notify/event/{event.pk}/change/").status_code == 200  # view only
    r = client.post(f"/admin/notify/event/{event.pk}/change/", {"title": "changed"})
    assert r.status_code == 403
    r = client.post(
        "/admin/notify/delivery/",
        {"action": "retry_now", "_selected_action": [d.pk]},
    )
    assert r.status_code == 302
    d.refresh_from_db()
    assert (d.status, d.attempts) == ("pending", 0)
    assert d.next_attempt_at >= last + timedelta(minutes=1)  # not sooner than the rate allows
