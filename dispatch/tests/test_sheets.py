"""A park's reports by spreadsheet: the template, the dry run (writes nothing, predicts the real
run exactly), row-and-column errors, .xlsx and .csv alike, refused files, scope."""

import csv
import io
import re
from datetime import date

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from audit.models import AuditEvent
from dispatch import actions, sheets, validation
from dispatch.models import Report, ReportVersion
from lib import spreadsheets, testing

from .factories import at, report, versions_kept

FRI = date(2020, 2, 21)  # "today"
THU = date(2020, 2, 20)


def client_for(user) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="en")
    c.force_login(user)
    return c


@pytest.fixture
def park(world):
    """The Kundulun park: steel (reports Thursday and Friday), machinery (Thursday), chemicals
    (none yet). Ordered by name in the template: 包钢示范钢铁, 园区化工, 园区机械."""
    machinery = testing.enterprise("150203", name="园区机械", park=world.park, headcount=60)
    chemicals = testing.enterprise("150203", name="园区化工", park=world.park, headcount=40)
    report(world.steel, THU, staff_on_site=300)
    report(world.steel, FRI, staff_on_site=320, difficulties=["labour", "energy"], note="-缺电")
    report(machinery, THU, status="full", staff_on_site=55, capacity_pct=90, mask_days=3)
    return world, machinery, chemicals


def template(client, day: date = FRI) -> bytes:
    with at(2020, 2, 21, 10):
        r = client.get(f"/dispatch/park/template.xlsx?date={day.isoformat()}")
    assert r.status_code == 200, r.content
    return b"".join(r.streaming_content)


def rows_of(data: bytes) -> list[list]:
    return list(spreadsheets.read_rows(data, "t.xlsx", 100))


def upload(client, data: bytes, name: str, mode: str = "check", **extra):
    with at(2020, 2, 21, 11):
        return client.post(
            "/dispatch/park/upload/",
            {"file": SimpleUploadedFile(name, data), "mode": mode, **extra},
        )


def import_checked(client, page: str):
    digest = re.search(r'name="digest" value="(\w+)"', page)
    assert digest, "no import button"
    with at(2020, 2, 21, 11):
        return client.post("/dispatch/park/upload/", {"mode": "import", "digest": digest[1]})


def summary_of(page: str) -> dict[str, int]:
    return {
        k: int(re.search(rf'id="n-{k}">(\d+)<', page)[1])  # type: ignore[index]
        for k in ("rows", "created", "corrected", "unchanged", "errors")
    }


def filled(world, data: bytes) -> list[list]:
    """The template as a park manager fills it: steel as it was (unchanged), chemicals filled but
    its fever left blank (error), machinery's Thursday values for Friday (new), a row for an
    enterprise outside the park (error), and steel's Thursday corrected."""
    rows = [list(r) for r in rows_of(data)]
    steel, chemicals, machinery = rows[2], rows[3], rows[4]
    assert [steel[1], chemicals[1], machinery[1]] == ["包钢示范钢铁", "园区化工", "园区机械"]
    chemicals[4:13] = ["部分复工", 20, 30, "是", "否", 5, "", 0, 0]
    outside = [world.textile.uscc, "青山纺织", 120, "2020-02-21", "部分复工", 10, 50]
    outside += ["是", "是", 7, 0, 0, 0, "", "", ""]
    thursday = [*steel[:3], "2020-02-20", "部分复工", 250, 50, "是", "是", 7, 0, 0, 0, "", "", ""]
    return [*rows, outside, thursday]


def as_xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def as_csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def counts() -> tuple[int, int, int]:
    return Report.objects.count(), versions_kept(), AuditEvent.objects.count()


def test_template_holds_the_park_managers_enterprises_prefilled(park):
    world, machinery, chemicals = park
    rows = rows_of(template(client_for(world.erin)))
    assert rows[0] == sheets.HEADERS
    assert rows[1][0].startswith(sheets.NOTE_MARK) and "0是有效答案" in rows[1][0]
    assert "没有人在岗填0" in rows[1][5]
    data = rows[2:]
    assert [r[0] for r in data] == [world.steel.uscc, chemicals.uscc, machinery.uscc]
    # steel: its Friday report (the one for the date itself), so sending it back changes nothing
    assert data[0][1:] == [
        "包钢示范钢铁", 800, "2020-02-21", "部分复工", 320, 50, "是", "是", 7, 0, 0, 0,
        "用工，能源", "", "-缺电",
    ]  # fmt: skip
    # chemicals: nothing earlier, so only the date is filled and every figure waits for an answer
    assert data[1][1:4] == ["园区化工", 40, "2020-02-21"] and set(data[1][4:]) == {""}
    # machinery: Thursday's values offered for Friday
    assert data[2][3:10] == ["2020-02-21", "全面复工", 55, 90, "是", "是", 3]


def test_dry_run_writes_nothing_and_predicts_the_real_run(park):
    world, machinery, chemicals = park
    erin = client_for(world.erin)
    data = as_xlsx(filled(world, template(erin)))
    before = counts()
    r = upload(erin, data, "park.xlsx")
    page = check_page = r.content.decode()
    assert r.status_code == 200
    assert counts() == before  # no report, no version, no audit row
    expected = {"rows": 5, "created": 1, "corrected": 1, "unchanged": 1, "errors": 2}
    assert summary_of(page) == expected
    assert "Import 2 reports" in page

    r = import_checked(erin, page)
    page = r.content.decode()
    assert summary_of(page) == expected
    assert 'id="same-as-check"' in page and "As the check said." in page
    assert Report.objects.count() == before[0] + 1
    new = Report.objects.get(enterprise=machinery, date=FRI)
    assert (new.status, new.staff_on_site, new.capacity_pct, new.mask_days) == ("full", 55, 90, 3)
    assert new.submitted_by == world.erin
    assert new.source == "import" and not ReportVersion.objects.filter(report=new).exists()
    thursday = Report.objects.get(enterprise=world.steel, date=THU)
    assert thursday.version == 2 and thursday.staff_on_site == 250
    assert not Report.objects.filter(enterprise=chemicals).exists()
    assert not Report.objects.filter(enterprise=world.textile).exists()
    friday = Report.objects.get(enterprise=world.steel, date=FRI)
    assert friday.version == 1 and friday.note == "-缺电"  # sent back unchanged: no new version
    # The checked file is used once: importing it again needs a new check.
    assert import_checked(erin, check_page).status_code == 409


def test_bad_rows_are_named_by_row_and_column(park):
    world, _, _ = park
    data = as_xlsx(filled(world, template(client_for(world.erin))))
    with at(2020, 2, 21, 11):
        result = sheets.run(actor=world.erin, data=data, filename="p.xlsx", dry_run=True)
    assert [(p.row, p.column, p.reason) for p in result.problems] == [
        (4, "K（发热人数）", validation.REQUIRED),
        (6, "A（统一社会信用代码）", sheets.NOT_REPORTABLE),
    ]
    page = upload(client_for(world.erin), data, "p.xlsx").content.decode()
    problems = page[page.index('id="problems"') :]
    assert "row 4" in problems and "K（发热人数）" in problems and "0也要填写" in problems
    assert "row 6" in problems and "not an enterprise of your park" in problems


@pytest.mark.parametrize("name", ["p.csv", "p.xlsx"])
def test_a_cell_that_is_no_whole_number_is_a_row_error(park, name):
    world, _, _ = park
    erin = client_for(world.erin)
    rows = [list(r) for r in rows_of(template(erin))]
    rows[2][5] = "²"  # steel's staff on site: passes str.isdigit(), not int()
    rows[4][12] = "9" * 5000  # machinery's confirmed cases: longer than int() reads
    del rows[3]  # chemicals, not filled in
    before = counts()
    r = upload(erin, (as_csv if name.endswith(".csv") else as_xlsx)(rows), name)
    page = r.content.decode()
    assert r.status_code == 200 and counts() == before
    assert summary_of(page)["errors"] == 2
    problems = page[page.index('id="problems"') :]
    assert (
        "row 3" in problems
        and "F（在岗人数）" in problems
        and "应为整数 (a whole number)" in problems
    )
    assert "row 4" in problems and "M（确诊病例）" in problems
    assert "应在0到1000000之间 (between 0 and 1000000)" in problems


def test_rows_are_checked_and_written_with_the_collector_paused(park, monkeypatch):
    """lib.gcpause around the rows' checks and the write; back on afterwards."""
    import gc

    world, _, _ = park
    data = as_xlsx(filled(world, template(client_for(world.erin))))
    seen: list[bool] = []
    for name, module in (("clean", actions), ("write", actions)):
        original = getattr(module, name)

        def watched(*args, _original=original, **kwargs):
            seen.append(gc.isenabled())
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, watched)
    assert gc.isenabled()
    with at(2020, 2, 21, 11):
        result = sheets.run(actor=world.erin, data=data, filename="p.xlsx", dry_run=True)
    assert result.summary()["created"] == 1
    assert len(seen) > 1 and not any(seen)
    assert gc.isenabled()


def test_csv_and_xlsx_give_the_same_result(park):
    world, _, _ = park
    erin = client_for(world.erin)
    rows = filled(world, template(erin))
    results = []
    for name, data in (("p.xlsx", as_xlsx(rows)), ("p.csv", as_csv(rows))):
        with at(2020, 2, 21, 11):
            result = sheets.run(actor=world.erin, data=data, filename=name, dry_run=True)
        results.append((result.summary(), [(p.row, p.column) for p in result.problems]))
    assert results[0] == results[1]
    assert results[0][0] == {"rows": 5, "created": 1, "corrected": 1, "unchanged": 1, "errors": 2}
    r = upload(erin, as_csv(rows), "p.csv")
    assert summary_of(import_checked(erin, r.content.decode()).content.decode())["created"] == 1
    assert Report.objects.filter(date=FRI).count() == 2


def test_a_locked_date_is_an_error_for_its_rows(park):
    from dispatch.models import PeriodLock

    world, _, _ = park
    PeriodLock.objects.create(region_id="150203", date=THU, locked_by=world.carol)
    data = as_xlsx(filled(world, template(client_for(world.erin))))
    with at(2020, 2, 21, 11):
        result = sheets.run(actor=world.erin, data=data, filename="p.xlsx", dry_run=False)
    assert result.summary() == {
        "rows": 5,
        "created": 1,
        "corrected": 0,
        "unchanged": 1,
        "errors": 3,
    }
    assert [(p.row, p.column, p.reason) for p in result.problems][-1] == (
        7,
        "D（日期）",
        actions.LOCKED,
    )
    assert Report.objects.get(enterprise=world.steel, date=THU).version == 1


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("report.txt", b"uscc,date\n", "only .xlsx and .csv"),
        ("report.pdf", b"%PDF-1.4\n", "only .xlsx and .csv"),
        ("report.csv", b"PK\x03\x04rest", "wrong extension"),
        ("report.csv", "名称,日期\n甲,2020-02-21\n".encode(), "no header row"),
    ],
)
def test_other_files_are_refused_with_a_clear_message(park, name, data, words):
    world, _, _ = park
    erin = client_for(world.erin)  # before counting: logging in is audited
    before = counts()
    r = upload(erin, data, name)
    assert r.status_code == 400
    assert words in r.content.decode() and 'id="upload-error"' in r.content.decode()
    assert counts() == before


def test_more_rows_than_the_page_takes_are_refused(park):
    world, _, _ = park
    lines = [",".join(sheets.HEADERS)] + [f"X{n},甲,1,2020-02-21" for n in range(5001)]
    r = upload(client_for(world.erin), "\n".join(lines).encode(), "big.csv")
    assert r.status_code == 400 and "limit of 5000" in r.content.decode()


def test_a_stale_or_forged_check_is_not_imported(park):
    world, _, _ = park
    erin = client_for(world.erin)
    page = upload(erin, as_xlsx(filled(world, template(erin))), "p.xlsx").content.decode()
    forged = page.replace('name="digest" value="', 'name="digest" value="0')
    before = counts()
    assert import_checked(erin, forged).status_code == 409
    assert counts() == before


@pytest.mark.parametrize("name", ["bob", "dave", "grace", "frank"])
def test_only_park_managers_have_the_park_sheet(park, name):
    world, _, _ = park
    c = client_for(getattr(world, name))
    with at(2020, 2, 21, 10):
        assert c.get("/dispatch/park/template.xlsx").status_code == 404
    assert upload(c, b"uscc\n", "p.csv").status_code == 404
