"""Risk levels (分区分级) set in bulk from a spreadsheet, and the words a level or date may be
written in, shared by the page, the import and the API.

A sheet has one row per county and date: 区划代码 (six-digit GB/T 2260 code), 风险等级 (low /
medium / high, or 低 / 中 / 高, 低风险 / 中风险 / 高风险) and 生效日期 (the first day the level
applies). A check (dry run) lists every row with what it would do or why it cannot (unknown code,
not a county, outside the importer's area, bad level, bad date, the same county and date twice);
an import writes the good rows in one transaction through actions.set_risk (audited, scoped) and
leaves the bad ones out. A county outside the importer's area is an error, never written.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction

from lib import spreadsheets
from regions.models import Level, Region

from . import actions
from .models import CountyRisk, RiskLevel

MAX_ROWS = 10_000  # every county of the country (2,847) a few times over

# Header words -> field; matched after stripping spaces and lower-casing.
HEADERS = {
    "区划代码": "region",
    "行政区划代码": "region",
    "地区代码": "region",
    "代码": "region",
    "region": "region",
    "code": "region",
    "county": "region",
    "风险等级": "level",
    "等级": "level",
    "风险": "level",
    "level": "level",
    "risk": "level",
    "risklevel": "level",
    "risk_level": "level",
    "生效日期": "effective_from",
    "生效时间": "effective_from",
    "日期": "effective_from",
    "effective_from": "effective_from",
    "effectivefrom": "effective_from",
    "date": "effective_from",
    "from": "effective_from",
}
REQUIRED = ("region", "level", "effective_from")
COLUMN_WORDS = {"region": "区划代码", "level": "风险等级", "effective_from": "生效日期"}

LEVEL_WORDS = {
    "low": RiskLevel.LOW,
    "medium": RiskLevel.MEDIUM,
    "high": RiskLevel.HIGH,
    "低": RiskLevel.LOW,
    "中": RiskLevel.MEDIUM,
    "高": RiskLevel.HIGH,
    "低风险": RiskLevel.LOW,
    "中风险": RiskLevel.MEDIUM,
    "高风险": RiskLevel.HIGH,
    "低风险地区": RiskLevel.LOW,
    "中风险地区": RiskLevel.MEDIUM,
    "高风险地区": RiskLevel.HIGH,
    "低风险区": RiskLevel.LOW,
    "中风险区": RiskLevel.MEDIUM,
    "高风险区": RiskLevel.HIGH,
}

UNKNOWN_REGION = "没有这个区划代码 (no region has this code)"
NOT_A_COUNTY = "风险等级按县级区划设置 (risk levels are set per county)"
RETIRED = "该区划代码已撤销 (this region code is no longer in use)"
OUT_OF_SCOPE = "不在您的管辖范围内 (outside your area)"
BAD_LEVEL = "风险等级应为低、中或高风险 (the level must be low, medium or high)"
BAD_DATE = "日期格式应为2020-02-10 (a date like 2020-02-10)"
TOO_EARLY = "日期太早 (too early a date)"
BLANK = "必填 (required)"
TWICE = "同一县同一日期出现两次 (the same county and date twice)"
MISSING_COLUMNS = "缺少列 (missing columns): {}"
NO_HEADER = (
    "找不到表头：区划代码、风险等级、生效日期 (no header row with 区划代码, 风险等级, 生效日期)"
)


def in_effect(prefix: str, day: date) -> dict[str, tuple[date, str]]:
    """Each graded county's (effective_from, level) in effect on `day` under a code prefix, in one
    query (stats.queries.risk_levels gives the level alone; pages and the API show the date too)."""
    out: dict[str, tuple[date, str]] = {}
    rows = CountyRisk.objects.filter(effective_from__lte=day)
    if prefix:
        rows = rows.filter(region__code__startswith=prefix)
    for code, since, level in rows.values_list("region_id", "effective_from", "level"):
        if code not in out or out[code][0] < since:
            out[code] = (since, level)
    return out


def parse_level(value: Any) -> str | None:
    """low / medium / high from any of the words people write; None when it is none of them."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).lower()
    return LEVEL_WORDS.get(text)


EXCEL_EPOCH = date(1899, 12, 30)
EXCEL_SERIALS = (36526, 73050)  # 2000-01-01 to 2099-12-31
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_date(value: Any) -> date | None:
    """A date from a cell or a field: a date, 2020-02-10, 2020/2/10, 2020.2.10, 2020年2月10日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float) and EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]:
        # A date typed into a cell without a date format reaches us as Excel's day number.
        return EXCEL_EPOCH + timedelta(days=int(value))
    text = str(value).strip()
    if len(text) >= 19 and text[10] in " T":  # a datetime written out: take its date
        text = text[:10]
    found = _DATE.match(text)
    if not found:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def _code(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed into a number cell
    return str(value).strip() if value is not None else ""


@dataclass
class Row:
    """One row of a sheet (or of the page's form) and what checking it found."""

    line: int  # the sheet's row number, for the person who fixes it
    region: str
    level_text: str
    date_text: str
    level: str = ""
    effective_from: date | None = None
    name: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    outcome: str = ""  # new, changed, unchanged (valid rows)
    before: str = ""  # the level already stored for that county and date, when there is one

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class Result:
    rows: list[Row]
    dry_run: bool
    written: int = 0

    @property
    def good(self) -> list[Row]:
        return [r for r in self.rows if r.ok]

    @property
    def bad(self) -> list[Row]:
        return [r for r in self.rows if not r.ok]

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.ok and r.outcome == outcome)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "new": self.count("new"),
            "changed": self.count("changed"),
            "unchanged": self.count("unchanged"),
            "errors": len(self.bad),
            "to_write": self.count("new") + self.count("changed"),
        }


def read(data: bytes, filename: str) -> list[Row]:
    """The rows of a sheet (the first sheet of an .xlsx, or a .csv). Raises
    spreadsheets.SpreadsheetError for a file we refuse or a sheet without the columns."""
    columns: dict[str, int] | None = None
    rows: list[Row] = []
    for number, cells in enumerate(spreadsheets.read_rows(data, filename, MAX_ROWS), start=1):
        if columns is None:
            found = {}
            for i, cell in enumerate(cells):
                key = re.sub(r"\s+", "", str(cell or "")).lower()
                if key in HEADERS and HEADERS[key] not in found:
                    found[HEADERS[key]] = i
            if found:
                missing = [COLUMN_WORDS[c] for c in REQUIRED if c not in found]
                if missing:
                    raise spreadsheets.SpreadsheetError(MISSING_COLUMNS.format("、".join(missing)))
                columns = found
            elif number > spreadsheets.HEADER_ROWS:
                break
            continue

        values = [cells[columns[c]] if columns[c] < len(cells) else None for c in REQUIRED]
        if all(v is None or str(v).strip() == "" for v in values):
            continue  # a blank line
        if len(rows) >= MAX_ROWS:
            raise spreadsheets.SpreadsheetError(
                f"行数超过上限{MAX_ROWS} (more rows than the limit of {MAX_ROWS})"
            )
        region, level, day = values
        rows.append(
            Row(
                line=number,
                region=_code(region),
                level_text=str(level).strip() if level is not None else "",
                date_text=day.isoformat()[:10] if isinstance(day, date) else str(day or "").strip(),
            )
        )
        rows[-1].effective_from = parse_date(day)
    if columns is None:
        raise spreadsheets.SpreadsheetError(NO_HEADER)
    return rows


def check(actor, rows: Sequence[Row]) -> list[Row]:
    """Judge every row (two queries, whatever the number of rows); the rows are returned with
    their errors or their outcome filled in."""
    codes = {r.region for r in rows if re.fullmatch(r"\d{6}", r.region)}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes)}
    stored = {
        (code, since): level
        for code, since, level in CountyRisk.objects.filter(region_id__in=codes).values_list(
            "region_id", "effective_from", "level"
        )
    }
    seen: set[tuple[str, date]] = set()
    for row in rows:
        row.errors = {}
        region = regions.get(row.region)
        if not row.region:
            row.errors["region"] = BLANK
        elif region is None:
            row.errors["region"] = UNKNOWN_REGION
        elif not actions.can_manage(actor, region):
            row.errors["region"] = OUT_OF_SCOPE
        elif region.level != Level.COUNTY:
            row.errors["region"] = NOT_A_COUNTY
        elif not region.active:
            row.errors["region"] = RETIRED
        if region is not None and "region" not in row.errors:
            row.name = region.name
        level = parse_level(row.level_text)
        if not row.level_text:
            row.errors["level"] = BLANK
        elif level is None:
            row.errors["level"] = BAD_LEVEL
        else:
            row.level = level
        if row.effective_from is None:
            row.effective_from = parse_date(row.date_text)
        if not row.date_text and row.effective_from is None:
            row.errors["effective_from"] = BLANK
        elif row.effective_from is None:
            row.errors["effective_from"] = BAD_DATE
        elif row.effective_from.year < 2000:
            row.errors["effective_from"] = TOO_EARLY
        if row.errors:
            continue
        assert row.effective_from is not None
        key = (row.region, row.effective_from)
        if key in seen:
            row.errors["effective_from"] = TWICE
            continue
        seen.add(key)
        row.before = stored.get(key, "")
        row.outcome = (
            "new" if not row.before else "unchanged" if row.before == row.level else "changed"
        )
    return list(rows)


def apply(actor, rows: Iterable[Row], *, source: str = "import", request=None) -> int:
    """Write the good rows that change something (one transaction); returns how many."""
    todo = [r for r in rows if r.ok and r.outcome in ("new", "changed")]
    if not todo:
        return 0
    regions = {r.code: r for r in Region.objects.filter(code__in={row.region for row in todo})}
    with transaction.atomic():
        for row in todo:
            assert row.effective_from is not None
            actions.set_risk(
                actor=actor,
                region=regions[row.region],
                level=row.level,
                effective_from=row.effective_from,
                source=source,
                request=request,
            )
    return len(todo)


def import_levels(*, actor, data: bytes, filename: str, dry_run: bool, request=None) -> Result:
    """Check a sheet, and unless it is a dry run write its good rows. Raises SpreadsheetError."""
    rows = check(actor, read(data, filename))
    result = Result(rows=rows, dry_run=dry_run)
    if not dry_run:
        result.written = apply(actor, rows, source="import", request=request)
    return result


def carried(rows: Iterable[Row]) -> list[list[Any]]:
    """The good rows of a dry run in a plain form a page can carry (signed) to the import."""
    return [
        [r.line, r.region, r.level, r.effective_from.isoformat() if r.effective_from else ""]
        for r in rows
        if r.ok
    ]


def import_carried(actor, plain: Iterable[Sequence[Any]], *, request=None) -> Result:
    """Import the rows a dry run showed (see `carried`), checking them again first: the person's
    area or the stored levels may have changed since."""
    rows = [
        Row(line=int(line), region=str(code), level_text=str(level), date_text=str(day))
        for line, code, level, day in plain
    ]
    rows = check(actor, rows)
    result = Result(rows=rows, dry_run=False)
    result.written = apply(actor, rows, source="import", request=request)
    return result
