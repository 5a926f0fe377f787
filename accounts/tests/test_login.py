"""Logging in: by username or USCC, throttled per account, sessions rotated and ended."""

import subprocess
import sys
from io import StringIO

from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client

from accounts.models import ApiToken
from audit.models import AuditEvent
from lib.testing import PASSWORD


def login(
    client: Client, username: str, password: str = PASSWORD, addr: str = "10.0.0.1", **headers
):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=addr,
        **headers,
    )


def test_login_by_username_and_by_uscc(world):
    assert login(Client(), "bob").status_code == 302
    r = login(Client(), world.steel.uscc.lower())  # the reporter of steel, by its USCC
    assert r.status_code == 302
    assert Session.objects.count() == 2


def test_wrong_password_shows_the_form_again_and_is_audited(world):
    r = login(Client(), "bob", "wrong-password")
    assert r.status_code == 200 and "form" in r.content.decode()
    assert AuditEvent.objects.filter(action="login", result="denied", object_id="bob").exists()
    assert not AuditEvent.objects.filter(detail__icontains="wrong-password").exists()


def test_successful_login_is_audited(world):
    login(Client(), "carol")
    assert AuditEvent.objects.filter(action="login", result="ok", actor=world.carol).exists()


def test_account_locks_after_five_failures_without_locking_others_on_the_same_address(
    world, settings
):
    for _ in range(5):
        login(Client(), "bob", "nope", addr="10.9.9.9")
    # bob is locked even with the right password, from any address, for the cool-off
    assert login(Client(), "bob", addr="10.1.1.1").status_code == 429
    # alice, behind the same NAT address, is not
    assert login(Client(), "alice", addr="10.9.9.9").status_code == 302


def test_forged_forwarded_for_does_not_dodge_the_lock(world):
    for n in range(5):
        login(Client(), "bob", "nope", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert login(Client(), "bob", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_session_id_rotates_at_login(world):
    c = Client()
    c.get("/accounts/login/")
    c.cookies["sessionid"] = "attacker-chosen-id"
    login(c, "bob")
    assert c.cookies["sessionid"].value != "attacker-chosen-id"


def test_disabling_an_account_ends_its_sessions(world):
    c = Client()
    login(c, "bob")
    assert c.get("/enterprises/").status_code == 200
    world.bob.is_active = False
    world.bob.save(update_fields=["is_active"])
    assert c.get("/enterprises/").status_code == 302


def test_absolute_session_limit(world, settings):
    c = Client()
    login(c, "bob")
    session = c.session
    session["started_at"] = 0  # long ago
    session.save()
    r = c.get("/enterprises/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_api_session_writes_need_the_csrf_token(world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.carol)
    body = '{"headcount": 801}'
    r = c.patch(f"/api/v1/enterprises/{world.steel.uscc}", body, content_type="application/json")
    assert r.status_code in (401, 403)
    world.steel.refresh_from_db()
    assert world.steel.headcount == 800
    c.get("/enterprises/")  # sets the CSRF cookie
    token = c.cookies["csrftoken"].value
    r = c.patch(
        f"/api/v1/enterprises/{world.steel.uscc}",
        body,
        content_type="application/json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert r.status_code == 200
    world.steel.refresh_from_db()
    assert world.steel.headcount == 801


def test_web_posts_need_the_csrf_token(world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.bob)
    assert c.post("/accounts/me/tokens/").status_code == 403
    assert not ApiToken.objects.filter(user=world.bob).exists()


def test_issue_token_command_prints_a_token_that_is_stored_hashed(world):
    out = StringIO()
    call_command("issue_token", "bob", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=world.bob)
    assert raw.startswith("fg_") and raw not in (token.digest, token.prefix)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/enterprises").status_code == 200


def test_tokens_from_the_user_page_are_shown_once_and_can_be_revoked(world):
    c = Client()
    c.force_login(world.bob)
    c.post("/accounts/me/tokens/", {"name": "script"})
    page = c.get("/accounts/me/").content.decode()
    token = ApiToken.objects.get(user=world.bob)
    raw = page.split('id="new-token">')[1].split("<")[0]
    assert raw.startswith(token.prefix)
    assert raw not in c.get("/accounts/me/").content.decode()  # shown once
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/enterprises").status_code == 200
    c.post(f"/accounts/me/tokens/{token.pk}/revoke/")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/enterprises").status_code == 401


def test_invitation_link_creates_a_reporter_for_that_enterprise_once(world):
    c = Client()
    c.force_login(world.carol)
    r = c.post(f"/accounts/invite/{world.textile.uscc}/")
    assert r.status_code == 404  # textile is outside carol's county
    r = c.post(f"/accounts/invite/{world.steel.uscc}/", follow=True)
    link = next(str(m) for m in r.context["messages"]).split(": ")[-1]
    path = link.split("testserver")[-1]
    new = Client()
    form = {
        "username": "steel_reporter",
        "new_password1": "Spring-2020-back",
        "new_password2": "Spring-2020-back",
    }
    r = new.post(path, form)
    assert r.status_code == 302
    from accounts.models import User

    user = User.objects.get(username="steel_reporter")
    assert user.role == "reporter" and user.enterprise_id == world.steel.pk
    assert Client().post(path, {**form, "username": "again"}).status_code == 404  # used


def test_passwords_are_hashed_with_argon2_outside_tests():
    from fugong import settings as module  # the module, not the test override

    assert module.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_check_deploy_passes_in_production_settings(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "FUGONG_HTTPS": "true",
        "FUGONG_SECRET_KEY": "x" * 60 + "-production-key",
        "FUGONG_VAR_DIR": str(tmp_path),
        "FUGONG_ALLOWED_HOSTS": "fugong.example.org",
    }
    r = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stdout + r.stderr
