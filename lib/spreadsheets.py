"""Spreadsheets in and out, safely.

In: a declared-size check of the zip before any parser sees it (a zip bomb is refused in
milliseconds), a streaming scan that refuses formulas and DOCTYPEs, then python-calamine (Rust;
no XML entity expansion) with row, column and cell caps. Out: xlsxwriter with
strings_to_formulas off, so text such as "=HYPERLINK(…)" stays text.
"""

import csv
import io
import itertools
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

MAX_ZIP_ENTRIES = 100
MAX_INFLATED_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200  # inflated ÷ compressed, per entry
MAX_COLUMNS = 200
MAX_CELL_CHARS = 32_767  # Excel's own limit for a cell
HEADER_ROWS = 20  # room for a title and the header above the data rows


class SpreadsheetError(ValueError):
    """A file we refuse, with a message for the person who uploaded it."""


def sniff(data: bytes, filename: str) -> str:
    """'xlsx' or 'csv' from the content (the extension is only a hint and must agree)."""
    name = filename.lower()
    if data[:4] == b"PK\x03\x04":
        if not name.endswith((".xlsx", ".xlsm")):
            raise SpreadsheetError(
                "文件内容是Excel工作簿，但扩展名不是.xlsx (an Excel workbook with the wrong extension)"
            )
        return "xlsx"
    if name.endswith(".csv"):
        if b"\x00" in data[:4096]:
            raise SpreadsheetError("不是文本CSV文件 (not a text CSV file)")
        return "csv"
    raise SpreadsheetError("只接受.xlsx或.csv文件 (only .xlsx and .csv files are accepted)")


def check_zip(data: bytes) -> None:
    """Refuse zip bombs and malformed containers by their declared sizes, before parsing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise SpreadsheetError(
            "文件已损坏或不是Excel工作簿 (the file is damaged or not a workbook)"
        ) from exc
    infos = archive.infolist()
    if len(infos) > MAX_ZIP_ENTRIES:
        raise SpreadsheetError(
            f"工作簿包含过多部件（{len(infos)}） (too many parts in the workbook)"
        )
    total = 0
    spans = []
    for info in infos:
        total += info.file_size
        if info.file_size > MAX_INFLATED_BYTES or total > MAX_INFLATED_BYTES:
            raise SpreadsheetError(
                "工作簿解压后过大 (the workbook inflates beyond the allowed size)"
            )
        if (
            info.compress_size
            and info.file_size / info.compress_size > MAX_RATIO
            and info.file_size > 10 * 1024 * 1024
        ):
            raise SpreadsheetError("工作簿压缩比异常，疑似压缩炸弹 (suspicious compression ratio)")
        spans.append(
            (info.header_offset, info.header_offset + len(info.FileHeader()) + info.compress_size)
        )
    spans.sort()
    for (_, end), (start, _) in itertools.pairwise(spans):
        if start < end:
            raise SpreadsheetError(
                "工作簿内部结构重叠，拒绝处理 (overlapping entries in the workbook)"
            )
    if "xl/workbook.xml" not in archive.namelist():
        raise SpreadsheetError("不是Excel工作簿 (not an Excel workbook)")


_FORMULA = re.compile(rb'<c r="([A-Z]{1,3}[0-9]+)"[^>]*>\s*<(?:\w+:)?f[\s>/]')
_CELL_REF = re.compile(rb'<c r="([A-Z]+)([0-9]+)"')
_UNNUMBERED = re.compile(rb"<(?:c|row)(?![^>]*\br=)[\s/>]")


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def scan_parts(data: bytes, max_rows: int) -> None:
    """Stream every XML part once, before the parser, and refuse what would hurt it.

    Refused: a DOCTYPE (entity expansion, XXE; Excel never writes one); formulas (their value is
    whatever Excel last computed, and =HYPERLINK() or a DDE call has no place in a register: the
    person is asked to paste values); cells beyond the column or row caps, and cells or rows
    without their reference, since the parser lays a sheet out as a dense rectangle and one far
    cell would cost memory for every cell before it.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if not name.endswith((".xml", ".rels")):
                continue
            sheet = name.startswith("xl/worksheets/")
            tail = b""
            with archive.open(name) as part:
                while chunk := part.read(1 << 20):
                    window = tail + chunk
                    cut = window.rfind(b">") + 1  # whole tags only; the rest waits for more
                    body, tail = window[:cut], window[cut:]
                    if len(tail) > MAX_CELL_CHARS * 4 + 1024:
                        body, tail = window, b""
                    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
                        raise SpreadsheetError(
                            "工作簿含有DOCTYPE声明，拒绝处理 (a part declares a DOCTYPE; refused)"
                        )
                    if sheet:
                        _check_sheet_chunk(body, max_rows)


def _check_sheet_chunk(body: bytes, max_rows: int) -> None:
    found = _FORMULA.search(body)
    if found:
        cell = found.group(1).decode()
        raise SpreadsheetError(
            f"工作簿含有公式（如{cell}单元格），请复制后“选择性粘贴→数值”再导入 "
            f"(the workbook contains formulas, e.g. in {cell}; paste values only)"
        )
    if _UNNUMBERED.search(body):
        raise SpreadsheetError(
            "工作簿的单元格缺少位置信息，请用Excel另存后再导入 (cells without references; "
            "save the file again in Excel)"
        )
    refs = _CELL_REF.findall(body)
    if not refs:
        return
    widest = max((c for c, _ in refs), key=lambda c: (len(c), c))
    if _column_number(widest) > MAX_COLUMNS:
        raise SpreadsheetError(
            f"列数过多（{widest.decode()}列，最多{MAX_COLUMNS}列） (too many columns)"
        )
    if max(int(r) for _, r in refs) > max_rows + HEADER_ROWS:
        raise SpreadsheetError(f"行数超过上限{max_rows} (more rows than the limit of {max_rows})")


def read_rows(data: bytes, filename: str, max_rows: int) -> Iterator[list[Any]]:
    """Rows of the first sheet as lists of values; raises SpreadsheetError for anything hostile."""
    kind = sniff(data, filename)
    if kind == "xlsx":
        check_zip(data)
        try:
            scan_parts(data, max_rows)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise SpreadsheetError("文件已损坏 (the workbook is damaged)") from exc
        yield from _xlsx_rows(data, max_rows)
    else:
        yield from _csv_rows(data, max_rows)


def _xlsx_rows(data: bytes, max_rows: int) -> Iterator[list[Any]]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
    except Exception as exc:  # calamine raises several types for broken files
        raise SpreadsheetError("无法读取工作簿 (the workbook cannot be read)") from exc
    if sheet.width > MAX_COLUMNS:
        raise SpreadsheetError(f"列数过多（{sheet.width}，最多{MAX_COLUMNS}） (too many columns)")
    if sheet.height > max_rows + HEADER_ROWS:
        raise SpreadsheetError(f"行数超过上限{max_rows} (more rows than the limit of {max_rows})")
    try:
        for row in sheet.iter_rows():
            yield [_cell(v) for v in row]
    except SpreadsheetError:
        raise
    except Exception as exc:
        raise SpreadsheetError("无法读取工作簿 (the workbook cannot be read)") from exc


def _csv_rows(data: bytes, max_rows: int) -> Iterator[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SpreadsheetError("CSV编码无法识别，请使用UTF-8 (use UTF-8 for CSV files)")
    csv.field_size_limit(MAX_CELL_CHARS + 1)

    def lines() -> Iterator[str]:
        # A line with thousands of separators is refused before the csv module splits it.
        for line in io.StringIO(text, newline=""):
            if line.count(",") > 10 * MAX_COLUMNS:
                raise SpreadsheetError(f"列数过多（最多{MAX_COLUMNS}） (too many columns)")
            yield line

    try:
        for n, row in enumerate(csv.reader(lines())):
            if n > max_rows:
                raise SpreadsheetError(
                    f"行数超过上限{max_rows} (more rows than the limit of {max_rows})"
                )
            if len(row) > MAX_COLUMNS:
                raise SpreadsheetError(
                    f"列数过多（{len(row)}，最多{MAX_COLUMNS}） (too many columns)"
                )
            yield [_cell(v) for v in row]
    except csv.Error as exc:
        if "field limit" in str(exc):
            raise SpreadsheetError(
                "单元格内容过长 (a cell is longer than 32,767 characters)"
            ) from exc
        raise SpreadsheetError(f"CSV格式错误：{exc} (malformed CSV)") from exc


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        if len(value) > MAX_CELL_CHARS:
            raise SpreadsheetError("单元格内容过长 (a cell is longer than 32,767 characters)")
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Prefix text that a spreadsheet program would run as a formula (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


def write_xlsx(
    target, headers: Sequence[str], rows: Iterator[Sequence[Any]], sheet: str = "Sheet1"
) -> int:
    """Write an xlsx to a path or file object in constant memory; text is never a formula."""
    workbook = safe_workbook(target)
    n = add_sheet(workbook, sheet, headers, rows)
    workbook.close()
    return n


def safe_workbook(target):
    """An xlsxwriter workbook in constant memory where text stays text (no formulas, no links)."""
    import xlsxwriter

    return xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "in_memory": False,
        },
    )


def add_sheet(
    workbook, name: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], widths=()
) -> int:
    """A sheet with a bold, frozen header row; the number of data rows written."""
    ws = workbook.add_worksheet(name)
    bold = workbook.add_format({"bold": True, "bg_color": "#EEF2F7"})
    for col, width in enumerate(widths):
        ws.set_column(col, col, width)
    ws.write_row(0, 0, list(headers), bold)
    ws.freeze_panes(1, 0)
    n = 0
    for n, row in enumerate(rows, start=1):
        ws.write_row(n, 0, [("" if v is None else v) for v in row])
    return n
