"""A park's reports by spreadsheet: the template with the park's enterprises prefilled, and the
upload, checked first (a dry run) and then imported.

One path for both runs: `run` reads the sheet, checks every row with the rule set (actions.clean)
and hands the good rows to actions.write, the same write as the form and the API. The dry run does
exactly that inside a transaction it then rolls back, so its summary (new / corrected / unchanged /
errors) is the real run's classification, not an estimate of it.
"""

import hashlib
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import translation

from accounts import scope
from lib import gcpause, spreadsheets
from lib.spreadsheets import SpreadsheetError
from registry.imports import column_letter
from registry.models import Enterprise

from . import actions, calendar, validation
from .models import Difficulty, Report, Status

MAX_ROWS = 5000  # synchronous on the page: a park's sheet, not a province's
MAX_LISTED_PROBLEMS = 500
HEADER_SEARCH_ROWS = 10
NOTE_MARK = "填写说明"  # the first cell of the header-comment row, skipped when reading

# (field, header, what the header-comment row says about it)
COLUMNS: list[tuple[str, str, str]] = [
    ("uscc", "统一社会信用代码", f"{NOTE_MARK}：0是有效答案（零报告），空白不是 (0 is an answer)"),
    ("name", "企业名称", "仅供核对，不导入 (for reference)"),
    ("headcount", "正常用工人数", "仅供核对，不导入 (for reference)"),
    ("date", "日期", "如2020-02-22，不能是未来日期"),
    ("status", "复工状态", "未复工 / 部分复工 / 全面复工"),
    ("staff_on_site", "在岗人数", "必填，没有人在岗填0"),
    ("capacity_pct", "产能恢复（%）", "0到150；未复工填0"),
    ("temperature_checks", "体温检测", "是 / 否"),
    ("disinfection", "消毒", "是 / 否"),
    ("mask_days", "口罩储备天数", "必填，没有储备填0"),
    ("fever", "发热人数", "必填，没有填0"),
    ("suspected", "疑似病例", "必填，没有填0"),
    ("confirmed", "确诊病例", "必填，没有填0"),
    ("difficulties", "遇到的困难", "可空；多个用逗号分隔，如：用工，原材料"),
    ("over_headcount_reason", "超出正常用工的原因", "在岗人数超过正常用工人数时必填"),
    ("note", "备注", "可空，最多2000字"),
]
HEADERS = [header for _, header, _ in COLUMNS]
READ = set(validation.FIELDS) | {"uscc"}  # columns that are imported; the rest are for reference
NOT_REPORTABLE = "不是您园区的企业，或代码有误 (not an enterprise of your park)"
NO_USCC = "缺少统一社会信用代码 (the USCC is missing)"


def _normal(text: Any) -> str:
    value = str(text or "").strip().lower()
    for a, b in (("（", "("), ("）", ")"), ("*", ""), (" ", ""), ("\u3000", "")):
        value = value.replace(a, b)
    return value


ALIASES: dict[str, str] = {}
for _field, _header, _ in COLUMNS:
    ALIASES[_normal(_header)] = _field
    ALIASES[_normal(_header.split("（")[0])] = _field
    ALIASES[_field] = _field
for _field, _label in validation.LABELS.items():
    ALIASES[_normal(_label)] = _field
    ALIASES[_normal(_label.split(" (")[0])] = _field


def _word(choices: Any, code: str) -> str:
    """The Chinese word of a choice ('部分复工'), as the rule set reads it back."""
    with translation.override(None):  # the msgid ends with the Chinese word
        return str(dict(choices)[code]).split(" ")[-1]


# --- the template --------------------------------------------------------------------------------


def latest_reports(enterprises: list[Enterprise], day: date) -> dict[int, Report]:
    """Each enterprise's latest report on or before `day` (the one for `day` if it is in, so
    sending the template back unchanged changes nothing)."""
    last = (
        Report.objects.filter(enterprise=OuterRef("pk"), date__lte=day)
        .order_by("-date")
        .values("pk")[:1]
    )
    ids = (
        Enterprise.objects.filter(pk__in=[e.pk for e in enterprises])
        .annotate(last=Subquery(last))
        .exclude(last=None)
        .values_list("last", flat=True)
    )
    return {r.enterprise_id: r for r in Report.objects.filter(pk__in=list(ids))}


def template_row(enterprise: Enterprise, day: date, last: Report | None) -> list[Any]:
    row: list[Any] = [enterprise.uscc, enterprise.name, enterprise.headcount, day.isoformat()]
    if last is None:
        return row + [""] * (len(COLUMNS) - len(row))
    return [
        *row,
        _word(Status.choices, last.status),
        last.staff_on_site,
        last.capacity_pct,
        "是" if last.temperature_checks else "否",
        "是" if last.disinfection else "否",
        last.mask_days,
        last.fever,
        last.suspected,
        last.confirmed,
        "，".join(_word(Difficulty.choices, d) for d in last.difficulties or []),
        last.over_headcount_reason,
        last.note,
    ]


def write_template(target: IO[bytes], actor, day: date) -> int:
    """The park's workbook for `day`: one row per enterprise in the actor's scope, prefilled with
    its last report; returns the number of enterprises."""
    enterprises = list(scope.enterprises(actor).order_by("name", "pk")[:MAX_ROWS])
    last = latest_reports(enterprises, day)
    workbook = spreadsheets.safe_workbook(target)
    sheet = workbook.add_worksheet("填报")
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F7", "border": 1})
    note = workbook.add_format({"italic": True, "font_color": "#616E7C", "text_wrap": True})
    widths = [22, 26, 10, 12, 12] + [10] * 8 + [22, 22, 30]
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width)
    sheet.write_row(0, 0, HEADERS, bold)
    sheet.write_row(1, 0, [text for _, _, text in COLUMNS], note)
    sheet.freeze_panes(2, 1)
    for n, e in enumerate(enterprises, start=2):
        # Text stays text in this workbook (strings_to_formulas off), so no quote is added: a
        # note sent back unchanged must read back unchanged.
        sheet.write_row(n, 0, template_row(e, day, last.get(e.pk)))
    spreadsheets.add_sheet(
        workbook,
        "填写说明",
        ["列", "说明"],
        [(header, text) for _, header, text in COLUMNS],
        widths=[20, 70],
    )
    workbook.close()
    return len(enterprises)


def template_file(actor, day: date) -> IO[bytes]:
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    write_template(tmp, actor, day)
    tmp.seek(0)
    return tmp


# --- reading and running -------------------------------------------------------------------------


@dataclass
class Problem:
    row: int  # as the spreadsheet numbers it (the header row is 1)
    column: str  # "F（在岗人数）", or the field's label when the column is missing
    reason: str


@dataclass
class Result:
    dry_run: bool
    rows: int = 0
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    errors: int = 0  # rows refused
    problems: list[Problem] = field(default_factory=list)
    truncated: bool = False  # more problems than are listed

    def summary(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "created": self.created,
            "corrected": self.corrected,
            "unchanged": self.unchanged,
            "errors": self.errors,
        }


@dataclass
class Sheet:
    columns: dict[str, int]  # field -> index
    headers: list[Any]
    rows: list[tuple[int, dict[str, Any]]]  # (row number, raw values)

    def column(self, name: str) -> str:
        if name in self.columns:
            index = self.columns[name]
            return f"{column_letter(index)}（{self.headers[index]}）"
        return validation.LABELS.get(name, "统一社会信用代码 (USCC)" if name == "uscc" else name)


def _value(cell: Any) -> Any:
    if isinstance(cell, datetime):  # a date typed into Excel comes back as a datetime
        return cell.date()
    return cell


def read(data: bytes, filename: str) -> Sheet:
    """The sheet's header and data rows; raises SpreadsheetError for a file we refuse."""
    # Room for the header rows above the data; the data rows are counted against MAX_ROWS below.
    rows = spreadsheets.read_rows(data, filename, MAX_ROWS + HEADER_SEARCH_ROWS)
    columns: dict[str, int] = {}
    headers: list[Any] = []
    number = 0
    for number, row in enumerate(rows, start=1):
        found = {
            ALIASES[_normal(c)]: i
            for i, c in reversed(list(enumerate(row)))
            if _normal(c) in ALIASES
        }
        if "uscc" in found:
            columns, headers = {k: v for k, v in found.items() if k in READ}, list(row)
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if not columns:
        raise SpreadsheetError(
            "找不到表头：第一行应包含“统一社会信用代码”等列，请使用下载的模板 "
            "(no header row with 统一社会信用代码: use the downloaded template)"
        )
    sheet = Sheet(columns=columns, headers=headers, rows=[])
    for number, row in enumerate(rows, start=number + 1):  # noqa: B020 (the same rows, read on)
        if not any(str(c).strip() for c in row if c is not None):
            continue
        if str(row[0] if row else "").startswith(NOTE_MARK):
            continue
        if len(sheet.rows) >= MAX_ROWS:
            raise SpreadsheetError(
                f"行数超过上限{MAX_ROWS} (more rows than the limit of {MAX_ROWS})"
            )
        raw = {
            name: _value(row[index]) if index < len(row) else None
            for name, index in columns.items()
        }
        sheet.rows.append((number, raw))
    return sheet


def run(*, actor, data: bytes, filename: str, dry_run: bool, request=None) -> Result:
    """Check every row, write the good ones (or, in a dry run, write them and roll back)."""
    sheet = read(data, filename)
    result = Result(dry_run=dry_run, rows=len(sheet.rows))
    bad: set[int] = set()

    def problem(number: int, name: str, reason: str) -> None:
        bad.add(number)
        if len(result.problems) < MAX_LISTED_PROBLEMS:
            result.problems.append(Problem(number, sheet.column(name), reason))
        else:
            result.truncated = True

    def uscc_of(raw: dict[str, Any]) -> str:
        return str(raw.get("uscc") or "").strip().upper()

    with gcpause.paused():  # the rows are checked and written as the batch API's are
        enterprises = actions.reportable(actor, {uscc_of(raw) for _, raw in sheet.rows} - {""})
        today = calendar.today()
        items: list[actions.Item] = []
        for number, raw in sheet.rows:
            uscc = uscc_of(raw)
            enterprise = enterprises.get(uscc)
            if enterprise is None:
                problem(number, "uscc", NOT_REPORTABLE if uscc else NO_USCC)
                continue
            cleaned = actions.clean(raw, enterprise, today)
            for name, reason in cleaned.errors.items():
                problem(number, name, reason)
            if not cleaned.errors:
                items.append(actions.Item(enterprise, cleaned.values, number))

        with transaction.atomic():
            outcomes = (
                actions.write(items, actor=actor, source="import", request=request) if items else []
            )
            if dry_run:
                transaction.set_rollback(True)  # everything write() did, undone; outcomes stay
    for outcome in outcomes:
        if outcome.errors:
            for name, reason in outcome.errors.items():
                problem(outcome.index, name, reason)
        elif outcome.created:
            result.created += 1
        elif outcome.changed:
            result.corrected += 1
        else:
            result.unchanged += 1
    result.errors = len(bad)
    result.problems.sort(key=lambda p: p.row)
    return result


# --- the checked file, kept for the real run -----------------------------------------------------


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kept_path(user) -> Path:
    # One file per user: a new check replaces the last one, so this never grows past
    # (park managers × the upload limit).
    return Path(settings.VAR_DIR) / "dispatch-uploads" / f"{int(user.pk)}.bin"


def keep(user, data: bytes) -> str:
    path = _kept_path(user)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest(data)


def kept(user, expected: str) -> bytes | None:
    """The file this user checked last, if it is the one with this digest."""
    path = _kept_path(user)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return data if expected and digest(data) == expected else None


def forget(user) -> None:
    _kept_path(user).unlink(missing_ok=True)
