"""Attachments (RELIABILITY 13): the type by the bytes, never the name; renamed extensions
refused; size and count bounded; names never used as paths (../../etc/passwd is stored under a
generated name and shown as passwd); downloads only in scope, as downloads, with the sniffed
type and nosniff."""

import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from docx import Document
from openpyxl import Workbook

from accounts.models import ApiToken
from problems import files
from problems.models import Attachment

from .factories import raise_

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 60


def docx_bytes() -> bytes:
    out = io.BytesIO()
    d = Document()
    d.add_paragraph("用工需求清单")
    d.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    out = io.BytesIO()
    wb = Workbook()
    wb.active["A1"] = "岗位"
    wb.save(out)
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not an office file")
    return out.getvalue()


def client_for(user) -> Client:
    _, raw = ApiToken.issue(user)
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def upload(client, problem, name: str, data: bytes):
    return client.post(
        f"/api/v1/problems/{problem.pk}/attachments", {"file": SimpleUploadedFile(name, data)}
    )


GOOD = [
    ("招聘计划.pdf", PDF, "pdf", "application/pdf"),
    ("现场.PNG", PNG, "png", "image/png"),
    ("车间.jpeg", JPEG, "jpeg", "image/jpeg"),
    ("photo.jpg", JPEG, "jpeg", "image/jpeg"),
    (
        "清单.docx",
        None,
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "岗位.xlsx",
        None,
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
]


@pytest.mark.parametrize(("name", "data", "kind", "ctype"), GOOD)
def test_accepted_types_round_trip(world, desks, attachments_in_tmp, name, data, kind, ctype):
    data = data or (docx_bytes() if kind == "docx" else xlsx_bytes())
    p = raise_(world.dave, world.steel)
    r = upload(client_for(world.dave), p, name, data)
    assert r.status_code == 201, r.content
    assert (r.json()["kind"], r.json()["filename"], r.json()["size"]) == (kind, name, len(data))
    a = Attachment.objects.get()
    assert re.fullmatch(r"[0-9a-f]{32}", a.stored_name)
    assert [f.name for f in attachments_in_tmp.iterdir()] == [a.stored_name]
    api_url = r.json()["url"].replace("/problems/", "/api/v1/problems/").rstrip("/")
    got = client_for(desks.henry).get(api_url)
    assert got.status_code == 200
    assert got["Content-Type"] == ctype
    assert got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Disposition"].startswith("attachment;")
    assert b"".join(got.streaming_content) == data
    page = Client()
    page.force_login(world.carol)
    web = page.get(r.json()["url"])
    assert web.status_code == 200 and web["Content-Type"] == ctype
    assert web["Content-Disposition"].startswith("attachment;")


REFUSED = [
    ("setup.pdf", EXE, "only PDF"),  # an .exe renamed .pdf
    ("setup.exe", EXE, "only PDF"),
    ("photo.pdf", PNG, "extension"),  # a PNG renamed .pdf
    ("image.docx", JPEG, "extension"),
    ("list.xlsx", None, "extension"),  # a .docx renamed .xlsx
    ("archive.docx", plain_zip(), "only PDF"),  # a zip that is no office file
    ("page.html", b"<html><script>alert(1)</script></html>", "only PDF"),
    ("notes.txt", "纯文本".encode(), "only PDF"),
    ("empty.pdf", b"", "empty"),
    ("half.pdf", b"%PD", "only PDF"),
]


@pytest.mark.parametrize(("name", "data", "words"), REFUSED)
def test_other_types_and_renamed_extensions_are_refused(
    world, desks, attachments_in_tmp, name, data, words
):
    p = raise_(world.dave, world.steel)
    r = upload(client_for(world.dave), p, name, docx_bytes() if data is None else data)
    assert r.status_code == 422, r.content
    assert r.json()["detail"][0]["loc"] == ["body", "file"]
    assert words in r.json()["detail"][0]["msg"]
    assert not Attachment.objects.exists()
    assert not attachments_in_tmp.exists() or not any(attachments_in_tmp.iterdir())


def test_size_is_bounded(world, desks, settings):
    settings.FUGONG_ATTACHMENT_MAX_BYTES = 1000
    p = raise_(world.dave, world.steel)
    dave = client_for(world.dave)
    exactly = PDF + b" " * (1000 - len(PDF))
    assert upload(dave, p, "ok.pdf", exactly).status_code == 201
    r = upload(dave, p, "big.pdf", exactly + b" ")
    assert r.status_code == 413 and "MB" in r.json()["detail"]
    assert Attachment.objects.count() == 1


def test_at_most_five_per_problem(world, desks):
    p = raise_(world.dave, world.steel)
    dave = client_for(world.dave)
    assert [upload(dave, p, f"{n}.png", PNG).status_code for n in range(5)] == [201] * 5
    r = upload(dave, p, "6.png", PNG)
    assert r.status_code == 422 and "5" in r.json()["detail"][0]["msg"]
    assert Attachment.objects.filter(problem=p).count() == 5


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd.png"),
        ("../../etc/passwd.png", "passwd.png"),
        ("..\\..\\Windows\\System32\\evil.png", "evil.png"),
        ("/var/lib/x.png", "x.png"),
        ("....png", "png.png"),
        ("长" * 200 + ".png", "长" * 116 + ".png"),
    ],
)
def test_names_are_never_paths(world, desks, attachments_in_tmp, tmp_path, name, shown):
    p = raise_(world.dave, world.steel)
    r = upload(client_for(world.dave), p, name, PNG)
    assert r.status_code == 201, r.content
    a = Attachment.objects.get()
    assert a.filename == shown
    # the only file written is the generated name, inside the attachments directory
    written = [f.relative_to(tmp_path) for f in tmp_path.rglob("*") if f.is_file()]
    assert [str(f) for f in written] == [f"attachments/{a.stored_name}"]
    got = client_for(world.dave).get(f"/api/v1/problems/{p.pk}/attachments/{a.pk}")
    assert got.status_code == 200
    disposition = got["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ('a"\r\nSet-Cookie: x=1;.png', 'a"Set-Cookie: x=1;.png'),
        ("tab\there\x00.png", "tabhere.png"),
        ("\u202eexe.png", "exe.png"),  # right-to-left override: no more hiding the extension
        ("", "attachment.png"),
        ("../..", "attachment.png"),
    ],
)
def test_display_names_lose_control_characters(name, shown):
    assert files.display_name(name, "png") == shown


def test_a_stored_name_must_be_generated():
    for bad in ("../x", "a" * 32 + "/", "passwd", "A" * 32):
        with pytest.raises(ValueError):
            files.path_of(bad)


def test_an_attachment_of_another_problem_is_not_served(world, desks):
    mine = raise_(world.dave, world.steel)
    other = raise_(world.bob, world.textile)
    r = upload(client_for(world.bob), other, "x.png", PNG)
    aid = r.json()["id"]
    bob = client_for(world.bob)
    assert bob.get(f"/api/v1/problems/{other.pk}/attachments/{aid}").status_code == 200
    assert bob.get(f"/api/v1/problems/{mine.pk}/attachments/{aid}").status_code == 404
    assert bob.get(f"/api/v1/problems/{mine.pk}/attachments/{2**70}").status_code == 404


def test_readers_along_may_not_attach(world, desks):
    p = raise_(world.dave, world.steel)
    for who in (desks.kate, world.erin):
        assert upload(client_for(who), p, "x.png", PNG).status_code == 403
    assert not Attachment.objects.exists()


def test_the_page_refuses_a_bad_file_with_a_message(world, desks):
    p = raise_(world.dave, world.steel)
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(world.dave)
    r = c.post(f"/problems/{p.pk}/attachments/", {"file": SimpleUploadedFile("a.pdf", EXE)})
    assert r.status_code == 422
    assert "only PDF" in r.content.decode()
    r = c.post(f"/problems/{p.pk}/attachments/", {"file": SimpleUploadedFile("a.pdf", PDF)})
    assert r.status_code == 302
    assert Attachment.objects.filter(problem=p).count() == 1
