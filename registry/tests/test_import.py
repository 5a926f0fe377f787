"""Importing enterprises: template, dry run, all-or-nothing real run, re-import by USCC, jobs."""

import io
from datetime import timedelta

import pytest
import xlsxwriter
from django.test import Client
from django.utils import timezone
from python_calamine import CalamineWorkbook

from audit.models import AuditEvent
from lib import testing
from registry import actions, imports, validation
from registry.models import Enterprise, EnterpriseChange, EnterpriseTag, ImportJob

H = imports.HEADERS


def xlsx(
    rows: list[list], headers: list[str] = H, title: str | None = None, formulas: bool = False
) -> bytes:
    """A workbook as Excel writes it; text starting with = becomes a formula only if asked."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": formulas})
    ws = wb.add_worksheet()
    start = 0
    if title:
        ws.write_row(0, 0, [title])
        start = 1
    ws.write_row(start, 0, headers)
    for n, row in enumerate(rows, start=start + 1):
        ws.write_row(n, 0, row)
    wb.close()
    return buf.getvalue()


def csv_bytes(rows: list[list], headers: list[str] = H) -> bytes:
    lines = [",".join(headers)] + [",".join(str(c) for c in r) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def good_row(n: int, county: str = "150204", **over) -> list:
    values = {
        "uscc": testing.uscc_for(county, 9_000_000 + n),
        "name": f"导入企业{n}",
        "region": county,
        "industry": "3110",
        "headcount": 100 + n,
        "revenue": 3000,
        "output_value": 1200.5,
        "above_scale": "是",
        "tags": "骨干、外贸" if n % 2 else "",
        "park": "",
        "size_class": "",
    } | over
    return [values[f] for f, _, _ in imports.COLUMNS]


def run(actor, data: bytes, filename: str = "sheet.xlsx", dry_run: bool = True) -> ImportJob:
    job = imports.submit(actor=actor, data=data, filename=filename, dry_run=dry_run)
    assert imports.run_pending() == 1
    job.refresh_from_db()
    return job


def counts() -> tuple[int, int, int]:
    return (
        Enterprise.objects.count(),
        EnterpriseChange.objects.count(),
        EnterpriseTag.objects.count(),
    )


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_the_template_has_the_chinese_headers_and_an_explanation_sheet(world):
    r = client_for(world.bob).get("/enterprises/import/template.xlsx")
    assert r.status_code == 200 and r["Content-Disposition"].startswith("attachment")
    book = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content)))
    assert book.sheet_names == ["企业名录", "填写说明"]
    assert book.get_sheet_by_index(0).to_python()[0] == H
    notes = book.get_sheet_by_index(1).to_python()
    assert [row[0] for row in notes[1:]] == H and notes[1][1] == "必填"


@pytest.mark.parametrize("who", ["dave", "erin", "frank", "grace"])
def test_who_may_not_register_enterprises_cannot_import(world, who):
    c = client_for(getattr(world, who))
    assert c.get("/enterprises/import/").status_code == 404
    assert c.get("/enterprises/import/template.xlsx").status_code == 404


def test_a_dry_run_lists_every_bad_row_with_row_column_and_reason_and_writes_nothing(world):
    before = counts()
    bad_check = good_row(1)
    bad_check[0] = bad_check[0][:-1] + ("0" if bad_check[0][-1] != "0" else "1")
    rows = [
        good_row(0),
        bad_check,  # row 3
        good_row(2, region="999999"),  # row 4: not a county
        good_row(3, county="150102"),  # row 5: Hohhot, outside bob's Baotou
        good_row(0),  # row 6: the same code as row 2
        good_row(5, tags="龙头、大型"),  # row 7: unknown tag
        good_row(6, headcount="很多"),  # row 8
        good_row(7, park="不存在园区"),  # row 9
        good_row(8, name='=HYPERLINK("http://x")'),  # row 10
    ]
    job = run(world.bob, xlsx(rows))
    assert job.status == ImportJob.Status.REJECTED and job.dry_run
    assert counts() == before
    found = {(e["row"], e["column"].split("（")[0]) for e in job.errors}
    assert found == {
        (3, "A"),
        (4, "C"),
        (5, "C"),
        (6, "A"),
        (7, "I"),
        (8, "E"),
        (9, "J"),
        (10, "B"),
    }
    reasons = {e["row"]: e for e in job.errors}
    assert "校验" in reasons[3]["reason"] or "check" in reasons[3]["reason"]
    assert reasons[3]["column"] == "A（统一社会信用代码）"
    assert "第2行" in reasons[6]["reason"]
    assert "管辖" in reasons[5]["reason"]
    assert job.error_count == 8 and job.total == 9


def test_the_real_run_with_one_bad_row_writes_nothing(world):
    before = counts()
    rows = [good_row(n) for n in range(20)] + [good_row(99, headcount=-5)]
    job = run(world.bob, xlsx(rows), dry_run=False)
    assert job.status == ImportJob.Status.REJECTED and job.error_count == 1
    assert job.errors == [
        {"row": 22, "column": "E（正常用工人数）", "reason": job.errors[0]["reason"]}
    ]
    assert counts() == before


def test_a_clean_dry_run_reports_what_the_real_run_then_does(world):
    rows = [good_row(n) for n in range(30)]
    rows.append(good_row(40, uscc=world.textile.uscc, name="青山纺织（新名）", region="150204"))
    rows.append(
        good_row(
            41,
            uscc=world.steel.uscc,
            name=world.steel.name,
            region="150203",
            headcount=world.steel.headcount,
            industry="3110",
            revenue="5000",
            output_value="",
            tags="龙头",
            park="昆区工业园",
            size_class="中型",
        )
    )
    before = counts()
    dry = run(world.bob, xlsx(rows))
    assert counts() == before
    assert (dry.status, dry.total) == (ImportJob.Status.DONE, 32)
    assert (dry.created_count, dry.updated_count, dry.unchanged_count) == (30, 1, 1)

    real = run(world.bob, xlsx(rows), dry_run=False)
    assert real.status == ImportJob.Status.DONE
    summary = (real.created_count, real.updated_count, real.unchanged_count)
    assert summary == (dry.created_count, dry.updated_count, dry.unchanged_count)
    assert sum(summary) == real.total
    assert Enterprise.objects.count() == before[0] + 30
    world.textile.refresh_from_db()
    assert world.textile.name == "青山纺织（新名）"
    new = Enterprise.objects.get(uscc=rows[1][0])
    assert (new.region_id, new.industry_id, new.headcount, new.above_scale) == (
        "150204",
        "3110",
        101,
        True,
    )
    assert sorted(new.tags) == ["backbone", "foreign_trade"]
    assert new.size_class == "small" and not new.size_overridden  # 101 people, 3000万: small
    assert new.changes.get().source == "import"
    assert world.textile.changes.filter(source="import").get().changes["name"] == [
        "青山纺织",
        "青山纺织（新名）",
    ]
    event = AuditEvent.objects.filter(
        action="import", object_id=str(real.pk), detail__has_key="created"
    ).get()
    assert event is not None and event.detail["created"] == 30 and event.actor == world.bob


def test_re_importing_updates_by_uscc_and_never_duplicates(world):
    rows = [good_row(n) for n in range(10)]
    first = run(world.bob, csv_bytes(rows), "名录.csv", dry_run=False)
    assert first.created_count == 10
    rows[4][imports.HEADERS.index("正常用工人数")] = 555
    rows[5][imports.HEADERS.index("标签")] = "民生保障"
    again = run(world.bob, csv_bytes(rows), "名录.csv", dry_run=False)
    assert (again.created_count, again.updated_count, again.unchanged_count) == (0, 2, 8)
    assert Enterprise.objects.filter(uscc__in=[r[0] for r in rows]).count() == 10
    assert Enterprise.objects.get(uscc=rows[4][0]).headcount == 555
    assert Enterprise.objects.get(uscc=rows[5][0]).tags == ["livelihood"]


def test_columns_absent_from_the_file_leave_existing_values_alone(world):
    headers = ["统一社会信用代码", "企业名称", "县区代码", "行业代码", "正常用工人数"]
    row = [world.steel.uscc, world.steel.name, "150203", "3110", 900]
    job = run(world.bob, xlsx([row], headers=headers), dry_run=False)
    assert (job.status, job.updated_count) == (ImportJob.Status.DONE, 1)
    world.steel.refresh_from_db()
    assert world.steel.headcount == 900
    assert world.steel.tags == ["leading"] and world.steel.park == world.park


def test_an_exported_list_re_imports_unchanged(world):
    lookups = validation.Lookups()
    for (
        e
    ) in Enterprise.objects.all():  # the world's sizes were set by hand: let them follow the table
        actions.apply_values(e, {}, lookups)
        e.save()
    r = client_for(world.bob).get("/enterprises/export.xlsx")
    data = b"".join(r.streaming_content)
    job = run(world.bob, data, "export.xlsx")
    assert job.status == ImportJob.Status.DONE, job.errors
    assert (job.total, job.created_count, job.updated_count) == (2, 0, 0)
    assert job.unchanged_count == 2
    assert "县区" in job.message  # the name columns of the export are ignored, and said so


def test_a_title_line_above_the_headers_is_skipped_and_rows_keep_their_numbers(world):
    job = run(world.bob, xlsx([good_row(1), good_row(2, headcount="x")], title="包头市企业名录"))
    assert [(e["row"], e["column"][0]) for e in job.errors] == [(4, "E")]


def test_an_enterprise_registered_elsewhere_cannot_be_updated_by_import(world):
    row = good_row(1, uscc=world.dairy.uscc, county="150204")
    job = run(world.bob, xlsx([row]), dry_run=False)
    assert job.status == ImportJob.Status.REJECTED
    assert job.errors[0]["row"] == 2 and job.errors[0]["column"].startswith("A")
    world.dairy.refresh_from_db()
    assert world.dairy.region_id == "150102"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (["企业名称", "县区代码"], "表头"),
        (["统一社会信用代码", "企业名称"], "缺少必填列"),
        ([*H, "统一社会信用代码"], "两次"),
    ],
)
def test_a_sheet_without_the_needed_headers_is_refused_as_a_whole(world, headers, message):
    job = run(world.bob, xlsx([["x"] * len(headers)], headers=headers))
    assert job.status == ImportJob.Status.FAILED and message in job.message


def test_a_workbook_with_formulas_is_refused_naming_a_cell(world):
    row = good_row(1, name='=HYPERLINK("http://evil.example","点击")')
    job = run(world.bob, xlsx([row], formulas=True))
    assert job.status == ImportJob.Status.FAILED and "B2" in job.message
    assert "公式" in job.message and not Enterprise.objects.filter(uscc=row[0]).exists()


def test_a_failure_while_writing_leaves_nothing_behind(world, monkeypatch):
    before = counts()

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(EnterpriseChange.objects, "bulk_create", broken)
    job = run(world.bob, xlsx([good_row(n) for n in range(5)]), dry_run=False)
    assert job.status == ImportJob.Status.FAILED and "nothing was written" in job.message
    assert counts() == before


def test_progress_is_reported_while_checking(world, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 10)
    seen: list[int] = []
    plan = imports.check(
        xlsx([good_row(n) for n in range(35)]), "a.xlsx", world.bob, progress=seen.append
    )
    assert seen == [10, 20, 30] and plan.total == 35


def test_a_job_whose_worker_died_is_taken_again_and_one_with_a_live_lease_is_not(world):
    data = xlsx([good_row(1)])
    live = imports.submit(actor=world.bob, data=data, filename="a.xlsx", dry_run=False)
    dead = imports.submit(actor=world.bob, data=data, filename="b.xlsx", dry_run=False)
    spent = imports.submit(actor=world.bob, data=data, filename="c.xlsx", dry_run=False)
    soon, past = timezone.now() + timedelta(minutes=5), timezone.now() - timedelta(seconds=1)
    ImportJob.objects.filter(pk=live.pk).update(status="writing", lease_until=soon, attempts=1)
    ImportJob.objects.filter(pk=dead.pk).update(status="writing", lease_until=past, attempts=1)
    ImportJob.objects.filter(pk=spent.pk).update(status="checking", lease_until=past, attempts=3)
    assert imports.run_pending() == 1
    live.refresh_from_db(), dead.refresh_from_db(), spent.refresh_from_db()
    assert live.status == "writing"
    assert (dead.status, dead.attempts, dead.created_count) == ("done", 2, 1)
    assert spent.status == "failed" and bytes(spent.data) == b""


def test_file_names_are_only_labels(world):
    job = imports.submit(
        actor=world.bob, data=csv_bytes([]), filename="../../etc/passwd.csv", dry_run=True
    )
    assert job.filename == "passwd.csv"


# --- the web pages ---------------------------------------------------------------------------


def test_upload_check_then_import_from_the_pages(world):
    c = client_for(world.bob)
    assert (
        'href="/enterprises/import/template.xlsx"' in c.get("/enterprises/import/").content.decode()
    )
    upload = io.BytesIO(xlsx([good_row(n) for n in range(3)]))
    upload.name = "包头.xlsx"
    r = c.post("/enterprises/import/", {"file": upload, "mode": "check"})
    assert r.status_code == 302
    job = ImportJob.objects.get()
    assert r["Location"] == f"/enterprises/import/{job.pk}/" and job.dry_run
    page = c.get(r["Location"], headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page  # still queued: polls
    imports.run_pending()
    page = c.get(r["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in page and 'id="created">3<' in page and "run-import" in page
    assert Enterprise.objects.filter(name__startswith="导入企业").count() == 0
    r = c.post(f"/enterprises/import/{job.pk}/run/")
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert r["Location"] == f"/enterprises/import/{real.pk}/" and not real.dry_run
    imports.run_pending()
    assert Enterprise.objects.filter(name__startswith="导入企业").count() == 3
    job.refresh_from_db()
    assert bytes(job.data) == b""  # the checked file is not kept twice
    assert c.post(f"/enterprises/import/{job.pk}/run/").status_code == 302
    assert ImportJob.objects.count() == 2  # a used check cannot be imported again


def test_a_running_job_shows_its_progress(world):
    job = imports.submit(actor=world.bob, data=csv_bytes([]), filename="a.csv", dry_run=True)
    ImportJob.objects.filter(pk=job.pk).update(status="checking", total=200, processed=50)
    page = client_for(world.bob).get(f"/enterprises/import/{job.pk}/").content.decode()
    assert 'value="25"' in page and "every 1s" in page


def test_rejected_rows_are_shown_and_downloadable(world):
    job = run(world.bob, xlsx([good_row(1, headcount="x")]))
    c = client_for(world.bob)
    page = c.get(f"/enterprises/import/{job.pk}/").content.decode()
    assert "E（正常用工人数）" in page
    r = c.get(f"/enterprises/import/{job.pk}/errors.xlsx")
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(b"".join(r.streaming_content)))
    rows = sheet.get_sheet_by_index(0).to_python()
    assert rows[0] == ["行", "列", "原因"] and rows[1][:2] == [2, "E（正常用工人数）"]


def test_another_users_job_is_404(world):
    job = run(world.bob, xlsx([good_row(1)]))
    for user in (world.carol, world.alice):
        c = client_for(user)
        assert c.get(f"/enterprises/import/{job.pk}/").status_code == 404
        assert c.post(f"/enterprises/import/{job.pk}/run/").status_code == 404
    assert ImportJob.objects.count() == 1


def test_a_wrong_file_type_is_refused_at_once(world):
    upload = io.BytesIO(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    upload.name = "photo.xlsx"
    r = client_for(world.bob).post("/enterprises/import/", {"file": upload, "mode": "check"})
    assert r.status_code == 400 and "只接受" in r.content.decode()
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("size", [5_000, 200_000])  # within the form's margin, and far beyond
def test_an_oversize_upload_is_refused(world, settings, size):
    settings.FUGONG_UPLOAD_MAX_BYTES = 1024
    upload = io.BytesIO(b"a," * (size // 2))
    upload.name = "big.csv"
    r = client_for(world.bob).post("/enterprises/import/", {"file": upload})
    assert r.status_code == 413 and not ImportJob.objects.exists()


def test_the_upload_needs_the_csrf_token(world):
    c = Client(enforce_csrf_checks=True)
    c.force_login(world.bob)
    upload = io.BytesIO(csv_bytes([good_row(1)]))
    upload.name = "a.csv"
    assert c.post("/enterprises/import/", {"file": upload}).status_code == 403


# --- the API ---------------------------------------------------------------------------------


def test_the_api_queues_a_check_and_reports_its_outcome(world):
    c = client_for(world.bob)
    upload = io.BytesIO(csv_bytes([good_row(1), good_row(2, region="12")]))
    upload.name = "api.csv"
    r = c.post("/api/v1/imports", {"file": upload})
    assert r.status_code == 202 and r.json()["status"] == "queued" and r.json()["dry_run"]
    imports.run_pending()
    body = c.get(f"/api/v1/imports/{r.json()['id']}").json()
    assert body["status"] == "rejected" and body["error_count"] == 1
    assert body["errors"][0]["row"] == 3 and body["errors"][0]["column"].startswith("C")
    assert client_for(world.carol).get(f"/api/v1/imports/{r.json()['id']}").status_code == 404
    upload = io.BytesIO(b"not a sheet")
    upload.name = "x.pdf"
    assert c.post("/api/v1/imports", {"file": upload}).status_code == 400
    assert client_for(world.dave).post("/api/v1/imports", {"file": upload}).status_code == 404


def test_the_list_offers_import_only_to_those_who_may(world):
    assert 'id="import"' in client_for(world.bob).get("/enterprises/").content.decode()
    assert 'id="import"' not in client_for(world.frank).get("/enterprises/").content.decode()
