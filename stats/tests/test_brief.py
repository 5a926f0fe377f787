"""The daily brief (stats.brief): the paragraph from hand-counted fixtures, and the .xlsx, .docx
and PDF downloads with the breakdown tables (no formulas, no markup, no URL fetched).

The world (lib/testing.py) on Friday 2020-02-21, a working day: steel (昆都仑区 150203, 800
people, leading, in the park), textile (青山区 150204, 120), dairy (呼和浩特 新城区 150102, 300,
livelihood) and coal (Shanxi, out of every Inner Mongolia view), all above scale: daily reporters.
"""

import base64
import io
import re
import socket
import urllib.request
import zipfile
import zlib
from datetime import date
from unittest import mock

import pytest

from dispatch.tests.factories import report
from lib import testing
from regions.models import Region
from stats import brief
from stats.queries import View

DAY = date(2020, 2, 21)
PROVINCE = View(prefix="15")
BAOTOU = View(prefix="1502")

PROVINCE_TEXT = (
    # 3 expected (steel, textile, dairy); steel full and dairy partial: 2 resumed; dairy after
    # the 17:00 cut-off: 1 on time. Capacity (80×800 + 40×300) ÷ 1100 = 69.09%; staff 750 of
    # 1220 = 61.48%. Baotou 1 of 2 resumed, Hohhot 1 of 1.
    "截至2月21日，内蒙古自治区纳入调度的企业中复工复产企业达到2户，复工率66.7%，"
    "产能恢复率69.1%；员工返岗人数750人，到岗率61.5%。应报3户，已报2户，填报率66.7%，"
    "及时率33.3%。无发热、疑似、确诊病例。"
    "分地区看，复工率最高的是呼和浩特市（100%），最低的是包头市（50%）。"
)


@pytest.fixture
def reported(world):
    report(world.steel, DAY, status="full", staff_on_site=600, capacity_pct=80)
    report(world.dairy, DAY, when=(2020, 2, 21, 17, 1), staff_on_site=150, capacity_pct=40)
    report(world.coal, DAY, status="not_resumed", staff_on_site=5, capacity_pct=0)
    return world


def test_province_paragraph(reported, django_assert_max_num_queries):
    # constant: the rollups by county, the figures and the calendar (queries.cadences asks it
    # per query), whatever the number of enterprises; one more asks whether the region has
    # problems (a brief speaks of them only then)
    with django_assert_max_num_queries(17):
        assert brief.text(PROVINCE, DAY) == PROVINCE_TEXT


def test_city_paragraph_with_numbers_in_wan_and_cases(world):
    """Baotou: a big enterprise in 青山区 brings staff on site to 687,000 (68.7万人)."""
    big = testing.enterprise("150204", "3110", headcount=900_000)
    report(big, DAY, status="partial", staff_on_site=686_400, capacity_pct=60, fever=1)
    report(world.steel, DAY, status="full", staff_on_site=600, capacity_pct=80)
    report(world.textile, DAY, status="not_resumed", staff_on_site=0, capacity_pct=0)
    assert brief.text(BAOTOU, DAY) == (
        # resumed 2 of 3; capacity (60×900000 + 80×800 + 0×120) ÷ 900920 = 60.01% → 60%;
        # staff 687000 ÷ 900920 = 76.26%; 昆都仑区 1 of 1, 青山区 1 of 2.
        "截至2月21日，包头市纳入调度的企业中复工复产企业达到2户，复工率66.7%，产能恢复率60%；"
        "员工返岗人数68.7万人，到岗率76.3%。应报3户，已报3户，填报率100%，及时率100%。"
        "报告发热1例、疑似0例、确诊0例。"
        "分地区看，复工率最高的是昆都仑区（100%），最低的是青山区（50%）。"
    )


def test_county_has_no_child_regions_and_ties_are_named_together(reported):
    assert brief.text(View(prefix="150203"), DAY) == (
        "截至2月21日，昆都仑区纳入调度的企业中复工复产企业达到1户，复工率100%，"
        "产能恢复率80%；员工返岗人数600人，到岗率75%。应报1户，已报1户，填报率100%，"
        "及时率100%。无发热、疑似、确诊病例。"
    )
    report(reported.textile, DAY, status="partial", staff_on_site=60, capacity_pct=50)
    text = brief.text(PROVINCE, DAY)
    assert text.endswith("无发热、疑似、确诊病例。各地区复工率均为100%。")


def test_filters_name_what_is_counted(reported):
    assert brief.text(PROVINCE.narrowed(tag="livelihood"), DAY) == (
        "截至2月21日，内蒙古自治区纳入调度的民生保障企业中复工复产企业达到1户，复工率100%，"
        "产能恢复率40%；员工返岗人数150人，到岗率50%。应报1户，已报1户，填报率100%，"
        "及时率0%。无发热、疑似、确诊病例。"
    )
    # an association's view: its divisions across the whole country (coal's 06 is not one)
    text = brief.text(View(divisions=("31",)), DAY)
    assert text.startswith(
        "截至2月21日，全国纳入调度的黑色金属冶炼和压延加工业企业中复工复产企业达到1户，"
    )
    assert "分地区看" not in text  # one province only
    park = brief.text(PROVINCE.narrowed(park=reported.park.pk), DAY)
    assert park.startswith("截至2月21日，内蒙古自治区昆区工业园纳入调度的企业中复工复产企业达到1户")


def test_no_reports_yet_and_nothing_expected(world):
    assert brief.text(PROVINCE, DAY) == (
        "截至2月21日，内蒙古自治区纳入调度的企业应报3户，尚无企业填报。"
    )
    assert brief.text(View(prefix="13"), DAY) == "截至2月21日，河北省暂无纳入调度的企业。"


def test_non_reporting_day_counts_weekly_reporters_only(world):
    """Saturday the 22nd: daily reporters owe nothing; a weekly park enterprise (50 people)
    that reported on Monday the 17th still counts."""
    weekly = testing.enterprise("150203", above_scale=False, park=world.park, headcount=50)
    report(weekly, date(2020, 2, 17), status="full", staff_on_site=45, capacity_pct=100)
    assert brief.text(PROVINCE, date(2020, 2, 22)) == (
        "截至2月22日，内蒙古自治区纳入调度的企业中复工复产企业达到1户，复工率100%，"
        "产能恢复率100%；员工返岗人数45人，到岗率90%。应报1户，已报1户，填报率100%，"
        "及时率100%。无发热、疑似、确诊病例。2月22日为非填报日，仅统计周调度企业。"
    )
    assert brief.text(View(prefix="1501"), date(2020, 2, 22)) == (
        "截至2月22日，呼和浩特市暂无纳入调度的企业。2月22日为非填报日，仅统计周调度企业。"
    )


# --- .xlsx ---------------------------------------------------------------------------------------


def _workbook(data: bytes):
    import openpyxl

    return openpyxl.load_workbook(io.BytesIO(data))


def _no_formulas(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<(?:\w+:)?f[\s>/]", z.read(name)), name
    for ws in _workbook(data).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)


def _rows(ws) -> list[tuple]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def _queries(call) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def test_documents_cost_the_same_queries_whatever_the_data(reported):
    before = [_queries(lambda f=f: f(PROVINCE, DAY)) for f in (brief.xlsx, brief.docx, brief.pdf)]
    for county in ("150203", "150204", "150102", "150105", "150206"):
        for n in range(3):
            e = testing.enterprise(county, "1711", tags=("leading", "backbone"))
            report(e, DAY, status="partial" if n else "full", staff_on_site=10 + n)
    after = [_queries(lambda f=f: f(PROVINCE, DAY)) for f in (brief.xlsx, brief.docx, brief.pdf)]
    assert before == after
    assert max(after) <= 80


def test_xlsx_has_the_paragraph_headline_and_tables(reported):
    data = brief.xlsx(PROVINCE, DAY)
    _no_formulas(data)
    wb = _workbook(data)
    assert wb.sheetnames == [
        "日报",
        "分地区",
        "分行业",
        "分规模",
        "分园区",
        "分重点名单",
        "分风险等级",
    ]
    first = wb["日报"]
    assert first["A1"].value == "复工复产日报"
    assert (first["B2"].value, first["B3"].value) == ("内蒙古自治区", "2020年2月21日")
    assert first["B4"].value == PROVINCE_TEXT
    headline = {r[0]: r[1] for r in _rows(first)[6:]}
    assert headline["应报户数"] == 3 and headline["已报户数"] == 2 and headline["复工户数"] == 2
    assert headline["复工率"] == 2 / 3 and headline["及时率"] == 1 / 3
    assert headline["正常用工人数"] == 1220 and headline["返岗人数"] == 750
    assert headline["产能恢复率"] == (80 * 800 + 40 * 300) / 1100 / 100
    assert headline["到岗率"] == 750 / 1220
    assert (headline["发热"], headline["疑似"], headline["确诊"]) == (0, 0, 0)
    assert (first["A10"].value, first["B10"].number_format) == ("复工率", "0.0%")
    assert (first["A14"].value, first["B14"].number_format) == ("到岗率", "0.0%")
    assert (first["A13"].value, first["B13"].number_format) == ("返岗人数", "General")

    regions = wb["分地区"]
    assert _rows(regions)[0][:6] == (
        "名称",
        "地区代码",
        "应报户数",
        "已报户数",
        "复工户数",
        "复工率",
    )
    body = {r[1]: r for r in _rows(regions)[1:]}
    assert set(body) == {"150100", "150200"}
    # name, code, expected, reported, resumed, rate, capacity, headcount, on site, return rate
    assert body["150200"][:10] == ("包头市", "150200", 2, 1, 1, 0.5, 0.8, 920, 600, 600 / 920)
    assert body["150100"][:10] == ("呼和浩特市", "150100", 1, 1, 1, 1.0, 0.4, 300, 150, 0.5)
    assert regions["F2"].number_format == "0.0%"
    assert regions["C2"].number_format == "General"

    divisions = {r[1]: r[:5] for r in _rows(wb["分行业"])[1:]}
    assert divisions == {
        "14": ("食品制造业", "14", 1, 1, 1),
        "17": ("纺织业", "17", 1, 0, 0),
        "31": ("黑色金属冶炼和压延加工业", "31", 1, 1, 1),
    }
    assert [r[:4] for r in _rows(wb["分规模"])[1:]] == [("中型", 3, 2, 2)]
    parks = {r[0]: r[1:4] for r in _rows(wb["分园区"])[1:]}
    assert parks == {"昆区工业园": (1, 1, 1), "（不在园区 not in a park）": (2, 1, 1)}
    assert [r[:4] for r in _rows(wb["分重点名单"])[1:]] == [
        ("龙头", 1, 1, 1),
        ("民生保障", 1, 1, 1),
    ]
    assert [r[:4] for r in _rows(wb["分风险等级"])[1:]] == [("低风险", 3, 2, 2)]


def test_xlsx_text_that_looks_like_a_formula_stays_text(reported):
    Region.objects.filter(code="150200").update(name='=HYPERLINK("http://x.test","包头")')
    reported.park.name = "=1+1"
    reported.park.save()
    data = brief.xlsx(PROVINCE, DAY)
    _no_formulas(data)
    wb = _workbook(data)
    names = [r[0] for r in _rows(wb["分地区"])[1:]]
    assert '=HYPERLINK("http://x.test","包头")' in names
    assert "=1+1" in [r[0] for r in _rows(wb["分园区"])[1:]]
    parked = brief.xlsx(PROVINCE.narrowed(park=reported.park.pk), DAY)
    _no_formulas(parked)
    assert _workbook(parked)["日报"]["B2"].value == "内蒙古自治区=1+1"


def test_xlsx_with_no_data(db):
    testing.load_reference_once()
    wb = _workbook(brief.xlsx(View(prefix="13"), DAY))
    assert wb["日报"]["B4"].value == "截至2月21日，河北省暂无纳入调度的企业。"
    assert _rows(wb["分地区"])[1:] == []
    headline = {r[0]: r[1] for r in _rows(wb["日报"])[6:]}
    assert headline["应报户数"] == 0 and headline["复工率"] is None


# --- .docx ---------------------------------------------------------------------------------------


def test_docx_has_title_date_region_paragraph_and_tables(reported):
    import docx

    document = docx.Document(io.BytesIO(brief.docx(PROVINCE, DAY)))
    texts = [p.text for p in document.paragraphs]
    assert texts[:4] == ["复工复产日报", "日期：2020年2月21日", "地区：内蒙古自治区", PROVINCE_TEXT]
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings == ["分地区", "分行业", "分规模", "分园区", "分重点名单", "分风险等级"]
    regions = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert regions[0] == ["名称", "应报户数", "已报户数", "复工户数", "复工率", "产能恢复率",
                          "返岗人数", "到岗率", "填报率", "及时率"]  # fmt: skip
    assert regions[1:] == [
        ["呼和浩特市", "1", "1", "1", "100%", "40%", "150", "50%", "100%", "0%"],
        ["包头市", "2", "1", "1", "50%", "80%", "600", "65.2%", "50%", "50%"],
    ]
    industries = [row.cells[0].text for row in document.tables[1].rows[1:]]
    assert industries == ["14 食品制造业", "17 纺织业", "31 黑色金属冶炼和压延加工业"]
    assert document.core_properties.title == "复工复产日报"


def test_docx_with_no_reports_and_a_control_character(world):
    Region.objects.filter(code="150000").update(name="内蒙古\x07自治区")
    document = __import__("docx").Document(io.BytesIO(brief.docx(PROVINCE, DAY)))
    texts = [p.text for p in document.paragraphs]
    assert texts[2:4] == [
        "地区：内蒙古自治区",
        "截至2月21日，内蒙古自治区纳入调度的企业应报3户，尚无企业填报。",
    ]
    # the tables still list the expected enterprises, with nothing reported
    assert [c.text for c in document.tables[0].rows[1].cells][:5] == [
        "呼和浩特市",
        "1",
        "0",
        "0",
        "0%",
    ]


# --- PDF -----------------------------------------------------------------------------------------


def pdf_text(data: bytes) -> str:
    """The text drawn on the pages: reportlab writes STSong-Light text as UCS-2 strings inside
    ASCII85 + Flate content streams (pypdf is not a dependency; this reads just what we write)."""
    out = []
    for raw in re.findall(rb"stream\r?\n(.*?)endstream", data, re.S):
        body = raw.strip()
        if body.endswith(b"~>"):
            body = base64.a85decode(body[:-2], adobe=False)
        try:
            content = zlib.decompress(body)
        except zlib.error:
            continue
        for literal in re.findall(rb"\(((?:\\.|[^\\)])*)\)\s*Tj", content, re.S):
            unescaped = re.sub(
                rb"\\([0-7]{1,3}|.)",
                lambda m: (
                    bytes([int(m.group(1), 8)])
                    if m.group(1)[:1].isdigit()
                    else {b"n": b"\n", b"r": b"\r", b"t": b"\t"}.get(m.group(1), m.group(1))
                ),
                literal,
            )
            out.append(unescaped.decode("utf-16-be", errors="replace"))
    return "".join(out)


def test_pdf_has_the_paragraph_and_tables(reported):
    data = brief.pdf(PROVINCE, DAY)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert b"STSong-Light" in data and b"http" not in data
    text = pdf_text(data)
    assert PROVINCE_TEXT in text
    for words in (
        "复工复产日报",
        "日期：2020年2月21日",
        "地区：内蒙古自治区",
        "分风险等级",
        "呼和浩特市",
    ):
        assert words in text
    assert brief.pdf(PROVINCE, DAY) == data  # invariant: no timestamp, the same bytes


def test_pdf_markup_in_names_is_text_and_nothing_is_fetched(reported):
    """A park named like reportlab markup for a remote image: drawn as text, never fetched."""
    name = '<img src="http://127.0.0.1:9/x.png" width="10" height="10"/><b>园区</b>'
    reported.park.name = name
    reported.park.save()

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access: {args!r}")

    with (
        mock.patch.object(socket.socket, "connect", refuse),
        mock.patch.object(urllib.request, "urlopen", refuse),
    ):
        data = brief.pdf(PROVINCE.narrowed(park=reported.park.pk), DAY)
    assert data.startswith(b"%PDF-")
    assert b"/Subtype /Image" not in data
    assert "内蒙古自治区<img src=" in pdf_text(data).replace("\n", "")


def test_pdf_with_no_data(db):
    testing.load_reference_once()
    data = brief.pdf(View(prefix="13"), DAY)
    assert "截至2月21日，河北省暂无纳入调度的企业。" in pdf_text(data)


def test_filename_and_formats():
    assert brief.filename(PROVINCE, DAY, "xlsx") == "brief-150000-2020-02-21.xlsx"
    assert brief.filename(View(), DAY, "pdf") == "brief-000000-2020-02-21.pdf"
    assert set(brief.FORMATS) == {"xlsx", "docx", "pdf"}
