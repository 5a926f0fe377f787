"""fugong.uploads: a body larger than its view takes is refused with 413 before a byte of it is
read (CsrfViewMiddleware, and django-ninja, read the whole body before any size check in a view),
for every upload: enterprise imports on the page and through the API, sheets, attachments. A
body sent without its length, or with a smaller one than it carries, is read no further than
the length declared."""

import io

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from accounts.models import ApiToken
from problems.models import Problem
from registry.models import ImportJob

MIB = 1024 * 1024
TOKEN = "fugongcsrftokenfortheuploadtest0"  # any 32 letters: the CSRF cookie's secret
MESSAGE = "文件超过1 MB上限 (the upload is larger than 1 MB)"


@pytest.fixture(autouse=True)
def one_mb(settings):
    settings.FUGONG_UPLOAD_MAX_BYTES = MIB
    settings.FUGONG_ATTACHMENT_MAX_BYTES = MIB


def browser(user) -> Client:
    """A signed-in browser whose posts pass the real CSRF check (which reads the body)."""
    c = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    c.cookies["csrftoken"] = TOKEN
    return c


def script(user) -> Client:
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post_files(client, path: str, sizes: list[int], field="file", **meta):
    """Post a form with files of these sizes as a browser does; the answer and how many bytes of
    the body the server read. `meta` may replace the declared CONTENT_LENGTH."""
    data: dict = {"csrfmiddlewaretoken": TOKEN, "mode": "check"}
    data[field] = []
    for n, size in enumerate(sizes):
        upload = io.BytesIO(b"a," * (size // 2))
        upload.name = f"big{n}.csv"
        data[field].append(upload)
    body = encode_multipart(BOUNDARY, data)
    sent = io.BytesIO(body)
    r = client.generic("POST", path, body, MULTIPART_CONTENT, **{"wsgi.input": sent, **meta})
    return r, sent.tell()


def test_an_enterprise_import_over_the_limit_is_refused_unread(world):
    r, read = post_files(browser(world.bob), "/enterprises/import/", [3 * MIB])
    assert r.status_code == 413 and read == 0
    assert MESSAGE in r.content.decode() and not ImportJob.objects.exists()
    assert "default-src" in r["Content-Security-Policy"]  # a page like any other


def test_the_refusal_page_leads_back_to_the_page_the_upload_came_from(world):
    """The upload's address takes only POST: the page links back to where the form was (the
    referring page of this site; the home page for any other or none)."""
    here = "http://testserver/dispatch/park/"
    for referer, back in ((here, here), ("https://elsewhere.example/x", "/"), (None, "/")):
        meta = {"HTTP_REFERER": referer} if referer else {}
        r, read = post_files(browser(world.erin), "/dispatch/park/upload/", [3 * MIB], **meta)
        assert r.status_code == 413 and read == 0
        assert f'<a href="{back}" id="back">Back</a>' in r.content.decode(), referer


def test_an_api_import_over_the_limit_is_refused_unread_in_json(world):
    r, read = post_files(script(world.bob), "/api/v1/imports", [3 * MIB])
    assert r.status_code == 413 and read == 0
    assert r.json() == {"detail": MESSAGE} and not ImportJob.objects.exists()


def test_an_import_within_the_limit_is_read(world):
    r, read = post_files(browser(world.bob), "/enterprises/import/", [MIB - 10 * 1024])
    assert read > MIB - 10 * 1024 and r.status_code == 302  # checked in the background
    r, read = post_files(script(world.bob), "/api/v1/imports", [MIB - 10 * 1024])
    assert read > MIB - 10 * 1024 and r.status_code == 202
    assert ImportJob.objects.count() == 2


@pytest.mark.parametrize("declared", ["", "1000", "nonsense"])
def test_a_body_is_never_read_past_the_length_it_declares(world, declared):
    # Sent without a length (chunked), or with less than it carries: Django's WSGI request reads
    # no further than the declared length, so the check above bounds every body.
    for client, path in (
        (browser(world.bob), "/enterprises/import/"),
        (script(world.bob), "/api/v1/imports"),
    ):
        r, read = post_files(client, path, [3 * MIB], CONTENT_LENGTH=declared)
        assert read <= 1000 and r.status_code in (400, 403, 422)
    assert not ImportJob.objects.exists()


def test_the_new_problem_form_takes_its_attachments_together(world):
    # Five attachments of 1 MB each may come in one form; one more megabyte may not.
    dave = browser(world.dave)
    r, read = post_files(dave, "/problems/new/", [MIB - 20 * 1024] * 3, field="files")
    assert read > 3 * (MIB - 20 * 1024) and r.status_code == 422  # judged by the form: not a PDF…
    r, read = post_files(dave, "/problems/new/", [6 * MIB], field="files")
    assert r.status_code == 413 and read == 0 and "文件超过5 MB上限" in r.content.decode()
    assert not Problem.objects.exists()


def test_an_attachment_over_the_limit_is_refused_unread(world):
    # Refused whichever problem is named: the size is judged before the problem is looked up.
    r, read = post_files(browser(world.dave), "/problems/1/attachments/", [3 * MIB])
    assert r.status_code == 413 and read == 0 and MESSAGE in r.content.decode()
    r, read = post_files(script(world.dave), "/api/v1/problems/1/attachments", [3 * MIB])
    assert r.status_code == 413 and read == 0 and r.json() == {"detail": MESSAGE}
