"""The park's sheet and the risk-level sheet: a file over FUGONG_UPLOAD_MAX_BYTES is refused with
413 before its body is read (not streamed to temporary files first), and nothing is written."""

import io

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

from audit.models import AuditEvent
from dispatch.models import CountyRisk, Report

from .factories import at

MIB = 1024 * 1024
TOKEN = "fugongcsrftokenfortheuploadtest0"  # any 32 letters: the CSRF cookie's secret


def browser(user) -> Client:
    """A signed-in browser whose posts pass the real CSRF check (which reads the body)."""
    c = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    c.cookies["csrftoken"] = TOKEN
    return c


def post_file(client, path: str, size: int, **fields) -> tuple[int, str, int]:
    """Post a form with a file of `size` bytes as a browser does; the answer's status and text,
    and how many bytes of the body the server read."""
    data = {"csrfmiddlewaretoken": TOKEN, **fields}
    data["file"] = io.BytesIO(b"a," * (size // 2))
    data["file"].name = "big.csv"
    body = encode_multipart(BOUNDARY, data)
    sent = io.BytesIO(body)
    with at(2020, 2, 21, 11):
        r = client.generic("POST", path, body, MULTIPART_CONTENT, **{"wsgi.input": sent})
    return r.status_code, r.content.decode(), sent.tell()


def written() -> tuple[int, int, int]:
    return Report.objects.count(), CountyRisk.objects.count(), AuditEvent.objects.count()


@pytest.mark.parametrize("mode", ["check", "import"])
def test_a_park_sheet_over_the_limit_is_refused_unread(world, settings, mode):
    settings.FUGONG_UPLOAD_MAX_BYTES = MIB
    erin = browser(world.erin)
    before = written()
    status, page, read = post_file(erin, "/dispatch/park/upload/", 3 * MIB, mode=mode)
    assert status == 413 and read == 0 and written() == before
    assert "文件超过1 MB上限 (the upload is larger than 1 MB)" in page


def test_a_risk_sheet_over_the_limit_is_refused_unread(world, settings):
    settings.FUGONG_UPLOAD_MAX_BYTES = MIB
    bob = browser(world.bob)
    before = written()
    status, page, read = post_file(bob, "/dispatch/risk/import/", 3 * MIB, mode="import")
    assert status == 413 and read == 0 and written() == before
    assert "文件超过1 MB上限 (the upload is larger than 1 MB)" in page


def test_a_sheet_just_over_the_limit_is_refused_by_the_page_itself(world, settings):
    """Within the allowance for the form's other fields, the page reads the file and says so."""
    settings.FUGONG_UPLOAD_MAX_BYTES = MIB
    erin, bob = browser(world.erin), browser(world.bob)  # before counting: logging in is audited
    before = written()
    status, page, _ = post_file(erin, "/dispatch/park/upload/", MIB + 30 * 1024)
    assert status == 413 and 'id="upload-error"' in page and written() == before
    status, page, _ = post_file(bob, "/dispatch/risk/import/", MIB + 30 * 1024)
    assert status == 413 and 'id="import-error"' in page and written() == before


def test_a_sheet_within_the_limit_is_read(world, settings):
    settings.FUGONG_UPLOAD_MAX_BYTES = MIB
    status, page, read = post_file(browser(world.erin), "/dispatch/park/upload/", MIB - 10 * 1024)
    assert status == 400 and read > MIB - 10 * 1024  # read, then refused for what it holds
    assert 'id="upload-error"' in page
