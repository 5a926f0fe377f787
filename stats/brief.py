"""The daily brief 日报 (issue 3, item 8): seed 003's paragraph generated from the figures of a
region and date, and the same brief as .xlsx, .docx and PDF with the breakdown tables.

Pure functions of a stats.queries.View and a date: the caller (a view or the API) decides the view
through stats.queries.view_for, so scoping happens once, there. Every figure comes from
stats.queries (the rollup tables), with DESIGN.md's definitions and names:

    截至2月22日，内蒙古自治区纳入调度的企业中复工复产企业达到1792户，复工率65.2%，产能恢复率…；
    员工返岗人数68.7万人，到岗率64.5%。应报2750户，已报2700户，填报率98.2%，及时率95.3%。
    无发热、疑似、确诊病例。分地区看，复工率最高的是…（…%），最低的是…（…%）。

Region, park and industry names are data someone typed in: the spreadsheet is written with
formulas off (lib.spreadsheets), and the PDF escapes them so reportlab's paragraph markup (which
can load images from URLs) never sees a tag.
"""

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from xml.sax.saxutils import escape

from dispatch.calendar import is_reporting_day
from lib import spreadsheets
from regions.models import Region

from . import numbers, queries
from . import tables as dashboard
from .queries import Row, View

TITLE = "复工复产日报"
FONT = "STSong-Light"  # one of reportlab's built-in CID fonts: Chinese without font files
COUNTRY = "全国"
SIZE_WORDS = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}


@dataclass(frozen=True)
class Column:
    header: str
    key: str
    rate: bool = False  # a fraction shown as a percentage


COLUMNS = (
    Column("应报户数", "expected"),
    Column("已报户数", "reported"),
    Column("复工户数", "resumed"),
    Column("复工率", "resumption_rate", rate=True),
    Column("产能恢复率", "capacity_recovery", rate=True),
    Column("正常用工人数", "headcount"),
    Column("返岗人数", "staff_on_site"),
    Column("到岗率", "staff_return_rate", rate=True),
    Column("填报率", "completeness", rate=True),
    Column("及时率", "timeliness", rate=True),
    Column("发热", "fever"),
    Column("疑似", "suspected"),
    Column("确诊", "confirmed"),
)
# A page is narrower than a sheet: the documents keep the figures the paragraph speaks of.
SHORT = tuple(c for c in COLUMNS if c.key not in ("headcount", "fever", "suspected", "confirmed"))


@dataclass
class Table:
    title: str  # also the sheet's name (at most 31 characters, none of []:*?/\)
    key_header: str  # the code column's header; "" when the key is no code worth showing
    rows: list[Row]


@dataclass
class Brief:
    view: View
    day: date
    place: str  # 内蒙古自治区, or 全国; a park's name follows its region
    kinds: str  # what the filters narrow to: "黑色金属冶炼和压延加工业龙头"; "" for all
    reporting_day: bool
    figures: dict[str, Any]
    children: list[Row]
    problems: str = ""  # the problem desk's sentence, once the region has problems
    paragraph: str = ""
    tables: list[Table] = field(default_factory=list)

    @property
    def scope(self) -> str:
        """The brief's subject for a heading: 内蒙古自治区, 内蒙古自治区（龙头企业）."""
        return f"{self.place}（{self.kinds}企业）" if self.kinds else self.place

    @property
    def long_date(self) -> str:
        return f"{self.day.year}年{self.day.month}月{self.day.day}日"


# --- the paragraph -------------------------------------------------------------------------------


def text(view: View, day: date, *, problems: bool = True) -> str:
    """The brief paragraph for a view as of a date (`problems`: whether its reader may see the
    problem desk's figures, accounts.scope.can_see_problem_metrics)."""
    return build(view, day, tables=False, problems=problems).paragraph


def build(view: View, day: date, *, tables: bool = True, problems: bool = True) -> Brief:
    """Everything a brief shows, read once (the paragraph, and the tables when asked for)."""
    region = Region.objects.filter(code=view.prefix.ljust(6, "0")).first() if view.prefix else None
    place = region.name if region else (view.prefix.ljust(6, "0") if view.prefix else COUNTRY)
    if view.park:
        from registry.models import Park

        park = Park.objects.filter(pk=view.park).values_list("name", flat=True).first()
        place += park or ""
    brief = Brief(
        view=view,
        day=day,
        place=place,
        kinds=_kinds(view),
        reporting_day=is_reporting_day(day),
        figures=queries.figures(view, day),
        # the dashboard's rows (stats.tables), so brief and dashboard name the same child
        # regions: a province's municipal districts and directly administered counties too.
        # A county has none: the rows would be the county itself.
        children=(
            dashboard.by_child_region(
                view, day, dashboard.children(region) if region or not view.prefix else {}
            )
            if len(view.prefix) < 6
            else []
        ),
    )
    brief.problems = problem_sentence(view.prefix, day) if problems else ""
    brief.paragraph = paragraph(brief)
    if tables:
        brief.tables = _tables(view, day, brief.children)
    return brief


def _kinds(view: View) -> str:
    """The filters of a view as words before 企业: industry names, size, key list."""
    from industries.models import Industry
    from registry.models import Tag

    words = []
    if view.divisions:
        names = dict(Industry.objects.filter(code__in=view.divisions).values_list("code", "name"))
        words.append("、".join(names.get(d, d) for d in sorted(view.divisions)))
    if view.size:
        words.append(SIZE_WORDS.get(view.size, view.size))
    if view.tag:
        labels = {t.value: str(t.label) for t in Tag}
        words.append(chinese(labels.get(view.tag, view.tag)))
    return "".join(words)


def chinese(label: str) -> str:
    """The Chinese part of a bilingual label ("leading 龙头" → "龙头"); the label itself when it
    has none (a label already translated to Chinese, or one that never was)."""
    last = label.rsplit(" ", 1)[-1]
    return last if re.search(r"[\u4e00-\u9fff]", last) else label


def paragraph(brief: Brief) -> str:
    """Seed 003's paragraph from a brief's figures (no query)."""
    f = brief.figures
    when = f"截至{brief.day.month}月{brief.day.day}日"
    subject = f"{brief.place}纳入调度的{brief.kinds}企业"
    note = (
        ""
        if brief.reporting_day
        else f"{brief.day.month}月{brief.day.day}日为非填报日，仅统计周调度企业。"
    )
    problems = brief.problems + "。" if brief.problems else ""
    if not f["expected"] and not f["reported"]:
        return f"{when}，{brief.place}暂无纳入调度的{brief.kinds}企业。{problems}{note}"
    if not f["reported"]:
        expected = numbers.enterprises(f["expected"])
        return f"{when}，{subject}应报{expected}，尚无企业填报。{problems}{note}"
    parts = [
        f"{when}，{subject}中复工复产企业达到{numbers.enterprises(f['resumed'])}，"
        f"复工率{numbers.percent(f['resumption_rate'])}"
    ]
    if f["capacity_recovery"] is not None:
        parts.append(f"，产能恢复率{numbers.percent(f['capacity_recovery'])}")
    parts.append(f"；员工返岗人数{numbers.people(f['staff_on_site'])}")
    if f["staff_return_rate"] is not None:
        parts.append(f"，到岗率{numbers.percent(f['staff_return_rate'])}")
    parts.append(
        f"。应报{numbers.enterprises(f['expected'])}，已报{numbers.enterprises(f['reported'])}，"
        f"填报率{numbers.percent(f['completeness'])}，及时率{numbers.percent(f['timeliness'])}。"
    )
    if f["fever"] or f["suspected"] or f["confirmed"]:
        parts.append(
            f"报告发热{numbers.cases(f['fever'])}、疑似{numbers.cases(f['suspected'])}、"
            f"确诊{numbers.cases(f['confirmed'])}。"
        )
    else:
        parts.append("无发热、疑似、确诊病例。")  # a zero report is an answer (零报告)
    parts.append(_extremes(brief.children))
    parts.append(problems)
    parts.append(note)
    return "".join(parts)


def problem_sentence(prefix: str, day: date) -> str:
    """本日新增诉求N件，办结M件，满意率P% for the region's subtree, or "" where no problem has
    been raised by that day (a region that does not use the problem desk gets no sentence)."""
    from problems import metrics

    if not metrics.problems_of(prefix).filter(created_at__lt=metrics.bounds(day, day)[1]).exists():
        return ""
    return metrics.brief_line(prefix.ljust(6, "0") if prefix else "", day)


def _extremes(children: Sequence[Row]) -> str:
    """The child regions with the highest and the lowest resumption rate (ties named together)."""
    rated = [r for r in children if r.figures["resumption_rate"] is not None]
    if len(rated) < 2:
        return ""
    rates = [r.figures["resumption_rate"] for r in rated]
    high, low = max(rates), min(rates)
    if high == low:
        return f"各地区复工率均为{numbers.percent(high)}。"

    def named(rate: float) -> str:
        return "、".join(r.label for r in rated if r.figures["resumption_rate"] == rate)

    return (
        f"分地区看，复工率最高的是{named(high)}（{numbers.percent(high)}），"
        f"最低的是{named(low)}（{numbers.percent(low)}）。"
    )


# --- the breakdown tables ------------------------------------------------------------------------


def _tables(view: View, day: date, children: list[Row]) -> list[Table]:
    from dispatch.models import RiskLevel

    sizes = queries.by_column(view, day, "size")
    for row in sizes:
        row.label = SIZE_WORDS.get(row.key, row.label)
    tags = [r for r in queries.by_tag(view, day) if r.figures["expected"] or r.figures["reported"]]
    for row in tags:
        row.label = chinese(row.label)
    # stats.tables.by_risk, since stats.queries.risk_levels filters with a lookup Django refuses
    # (region_id__startswith) as soon as a region is given.
    risks = dashboard.by_risk(view, day)
    words = {level: chinese(str(label)) for level, label in RiskLevel.choices}
    for row in risks:
        row.label = words.get(row.key, row.label)
    return [
        Table("分地区", "地区代码", children or queries.by_region(view, day)),
        Table("分行业", "行业代码", queries.by_column(view, day, "division")),
        Table("分规模", "", sizes),
        Table("分园区", "", queries.by_column(view, day, "park_id")),
        Table("分重点名单", "", tags),
        Table("分风险等级", "", risks),
    ]


def _label(table: Table, row: Row) -> str:
    """A row's name in a document: an industry keeps its code ("31 黑色金属…")."""
    return f"{row.key} {row.label}" if table.key_header == "行业代码" else row.label


def headline(brief: Brief) -> list[tuple[str, Any, bool]]:
    """The headline figures as (name, value, is a rate)."""
    return [(c.header, brief.figures[c.key], c.rate) for c in COLUMNS]


def filename(view: View, day: date, extension: str) -> str:
    """An ASCII file name for a download: brief-150000-2020-02-22.xlsx."""
    code = view.prefix.ljust(6, "0") if view.prefix else "000000"
    return f"brief-{code}-{day.isoformat()}.{extension}"


# --- .xlsx ---------------------------------------------------------------------------------------


def xlsx(view: View, day: date, *, problems: bool = True) -> bytes:
    """The brief as a workbook: the paragraph and headline figures, then a sheet per breakdown;
    rates are numbers formatted as percentages, and no cell is ever a formula."""
    brief = build(view, day, problems=problems)
    out = io.BytesIO()
    workbook = spreadsheets.safe_workbook(out)
    bold = workbook.add_format({"bold": True})
    title = workbook.add_format({"bold": True, "font_size": 14})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    head = workbook.add_format({"bold": True, "bg_color": "#EEF2F7", "text_wrap": True})
    pct = workbook.add_format({"num_format": "0.0%"})

    def put(ws, row: int, col: int, value: Any, rate: bool = False) -> None:
        if value is None:
            ws.write_blank(row, col, None)
        elif isinstance(value, str):
            ws.write_string(row, col, _plain(value))  # text stays text, whatever it starts with
        elif rate:
            ws.write_number(row, col, value, pct)
        else:
            ws.write_number(row, col, value)

    ws = workbook.add_worksheet("日报")
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 70)
    ws.write_string(0, 0, TITLE, title)
    ws.write_string(1, 0, "地区", bold)
    put(ws, 1, 1, brief.scope)
    ws.write_string(2, 0, "日期", bold)
    put(ws, 2, 1, brief.long_date)
    ws.write_string(3, 0, "简报", bold)
    ws.set_row(3, 15 * (len(brief.paragraph) // 34 + 1))  # ~34 Chinese characters a line
    ws.write_string(3, 1, _plain(brief.paragraph), wrap)
    ws.write_string(5, 0, "指标", head)
    ws.write_string(5, 1, "数值", head)
    for n, (name, value, rate) in enumerate(headline(brief), start=6):
        put(ws, n, 0, name)
        put(ws, n, 1, value, rate)

    for table in brief.tables:
        ws = workbook.add_worksheet(table.title)
        headers = ["名称", table.key_header] if table.key_header else ["名称"]
        headers += [c.header for c in COLUMNS]
        ws.set_column(0, 0, 24)
        ws.set_column(1, len(headers) - 1, 11)
        ws.freeze_panes(1, 1)
        for col, header in enumerate(headers):
            ws.write_string(0, col, header, head)
        for n, row in enumerate(table.rows, start=1):
            values: list[tuple[Any, bool]] = [(row.label, False)]
            if table.key_header:
                values.append((row.key, False))
            values += [(row.figures[c.key], c.rate) for c in COLUMNS]
            for col, (value, rate) in enumerate(values):
                put(ws, n, col, value, rate)
    workbook.close()
    return out.getvalue()


# --- .docx ---------------------------------------------------------------------------------------


def _cells(table: Table, row: Row) -> list[str]:
    return [_label(table, row)] + [
        numbers.percent(row.figures[c.key]) if c.rate else str(row.figures[c.key]) for c in SHORT
    ]


def docx(view: View, day: date, *, problems: bool = True) -> bytes:
    """The brief as a Word document: title, date, region, the paragraph, the breakdown tables."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    brief = build(view, day, problems=problems)
    document = Document()
    for name in ("Normal", "Title", "Heading 2"):
        style = document.styles[name]
        # Word picks the East Asian font from w:eastAsia; without it Chinese falls back to
        # whatever the reader's machine guesses.
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), "宋体")
    document.styles["Normal"].font.size = Pt(11)
    document.core_properties.title = TITLE
    document.core_properties.author = "fugong"
    document.add_heading(TITLE, level=0)
    document.add_paragraph(f"日期：{brief.long_date}")
    document.add_paragraph(f"地区：{_plain(brief.scope)}")
    document.add_paragraph(_plain(brief.paragraph))
    for table in brief.tables:
        if not table.rows:
            continue
        document.add_heading(table.title, level=2)
        grid = document.add_table(rows=1, cols=len(SHORT) + 1)
        grid.style = "Table Grid"
        for cell, header in zip(
            grid.rows[0].cells, ["名称", *(c.header for c in SHORT)], strict=True
        ):
            cell.text = header
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in table.rows:
            for cell, value in zip(grid.add_row().cells, _cells(table, row), strict=True):
                cell.text = _plain(value)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------------


def pdf(view: View, day: date, *, problems: bool = True) -> bytes:
    """The brief as PDF (A4 landscape) in reportlab's built-in STSong-Light: no font file, and
    nothing fetched: every piece of text is escaped before reportlab's markup parser sees it."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as Grid

    _register_font()
    brief = build(view, day, problems=problems)

    def style(name: str, size: float, **more: Any) -> ParagraphStyle:
        return ParagraphStyle(
            name, fontName=FONT, fontSize=size, leading=size * 1.5, wordWrap="CJK", **more
        )

    title, heading, body, cell = (
        style("title", 20, alignment=1, spaceAfter=4 * mm),
        style("heading", 13, spaceBefore=5 * mm, spaceAfter=2 * mm),
        style("body", 11, spaceAfter=2 * mm),
        style("cell", 8),
    )

    def para(value: str, st: ParagraphStyle) -> Paragraph:
        return Paragraph(escape(_plain(value)), st)

    story: list[Any] = [
        para(TITLE, title),
        para(f"日期：{brief.long_date}", body),
        para(f"地区：{brief.scope}", body),
        para(brief.paragraph, body),
    ]
    page = landscape(A4)
    width = page[0] - 30 * mm
    first = 60 * mm
    widths = [first] + [(width - first) / len(SHORT)] * len(SHORT)
    for table in brief.tables:
        if not table.rows:
            continue
        data: list[list[Any]] = [[para(h, cell) for h in ["名称", *(c.header for c in SHORT)]]]
        data += [[para(v, cell) for v in _cells(table, row)] for row in table.rows]
        grid = Grid(data, colWidths=widths, repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#EEF2F7")),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        story += [para(table.title, heading), grid]
    story.append(Spacer(1, 4 * mm))
    out = io.BytesIO()
    SimpleDocTemplate(
        out,
        pagesize=page,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=TITLE,
        author="fugong",
        invariant=1,  # no timestamp or random id: the same brief gives the same bytes
    ).build(story)
    return out.getvalue()


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _plain(value: str) -> str:
    """Text without the control characters XML cannot hold (Word and reportlab refuse them)."""
    return _NOT_XML.sub("", value)


# The formats a download can take, for the views and the API (extension → (builder, MIME type)).
FORMATS: dict[str, tuple[Callable[[View, date], bytes], str]] = {
    "xlsx": (xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "docx": (docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "pdf": (pdf, "application/pdf"),
}
