"""Hostile files are refused with a message, in bounded memory; exports never carry formulas.

RELIABILITY checks 10-14. Memory is measured in a child process (its peak RSS is its own); time
is not asserted here (shared machines are noisy): `make bench` is where speed is measured.
"""

import base64
import io
import json
import os
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from lib import spreadsheets
from lib.spreadsheets import SpreadsheetError

ROOT = Path(__file__).resolve().parents[2]
MEMORY_BUDGET_MB = 200  # RELIABILITY check 10


def workbook(rows: list[list], **options) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, **options})
    ws = wb.add_worksheet()
    for n, row in enumerate(rows):
        ws.write_row(n, 0, row)
    wb.close()
    return buf.getvalue()


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part replaced (or added)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            if info.filename != name:
                z.writestr(info.filename, src.read(info.filename))
        z.writestr(name, content)
    return out.getvalue()


SHEET = "xl/worksheets/sheet1.xml"
NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def sheet_xml(cells: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?><worksheet '
        + NS
        + b"><sheetData>"
        + cells
        + b"</sheetData></worksheet>"
    )


def refused(data: bytes, filename: str = "a.xlsx", max_rows: int = 1000) -> str:
    with pytest.raises(SpreadsheetError) as info:
        list(spreadsheets.read_rows(data, filename, max_rows))
    return str(info.value)


def peak_mb_reading(path: Path, filename: str) -> tuple[str, float]:
    """Read a file through read_rows in a fresh interpreter: (outcome, peak RSS in MB)."""
    code = f"""
import json, sys
sys.path.insert(0, {str(ROOT)!r})
from lib import spreadsheets
data = open({str(path)!r}, "rb").read()
try:
    list(spreadsheets.read_rows(data, {filename!r}, 200_000))
    outcome = "read"
except spreadsheets.SpreadsheetError as exc:
    outcome = str(exc)
# VmHWM: this program's own peak (ru_maxrss would include the parent's image before exec)
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
print(json.dumps([outcome, int(peak) / 1024]))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    outcome, peak = json.loads(out.stdout)
    return outcome, peak


def zip_bomb(path: Path, inflated_mb: int) -> None:
    """A workbook whose sheet inflates to `inflated_mb` MB of zeros (a few hundred KB on disk)."""
    base = zipfile.ZipFile(io.BytesIO(workbook([["x"]])))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for info in base.infolist():
            if info.filename != SHEET:
                z.writestr(info.filename, base.read(info.filename))
        with z.open(SHEET, "w", force_zip64=True) as part:
            block = b"0" * (1 << 20)
            for _ in range(inflated_mb):
                part.write(block)


def test_a_zip_bomb_is_refused_by_its_declared_size_in_little_memory(tmp_path):
    path = tmp_path / "bomb.xlsx"
    zip_bomb(path, 300)
    assert path.stat().st_size < 2 * 1024 * 1024
    outcome, peak = peak_mb_reading(path, "bomb.xlsx")
    assert "inflates" in outcome or "压缩" in outcome
    assert peak < MEMORY_BUDGET_MB


def central_records(data: bytes | bytearray) -> list[int]:
    """Offsets of the zip's central directory records, in order."""
    found, pos = [], bytes(data).find(b"PK\x01\x02")
    while pos != -1:
        found.append(pos)
        pos = bytes(data).find(b"PK\x01\x02", pos + 4)
    return found


def test_forged_sizes_are_caught_by_the_reader():
    """A part that declares fewer bytes than it holds: the reader stops at the declaration."""
    data = bytearray(workbook([["企业", 1]] * 50))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo(SHEET)
    struct.pack_into("<I", data, info.header_offset + 22, 10)  # local header: uncompressed size
    name = SHEET.encode()
    record = next(p for p in central_records(data) if data[p + 46 : p + 46 + len(name)] == name)
    struct.pack_into("<I", data, record + 24, 10)  # central directory: uncompressed size
    message = refused(bytes(data))
    assert "damaged" in message or "cannot be read" in message


def test_more_than_a_hundred_parts_are_refused():
    data = workbook([["x"]])
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        src = zipfile.ZipFile(io.BytesIO(data))
        for info in src.infolist():
            z.writestr(info.filename, src.read(info.filename))
        for n in range(120):
            z.writestr(f"xl/media/image{n}.png", b"x")
    assert "too many parts" in refused(out.getvalue())


def test_overlapping_entries_are_refused():
    """Two directory entries pointing at the same bytes (the trick of non-recursive zip bombs)."""
    data = bytearray(workbook([["x"]]))
    first = zipfile.ZipFile(io.BytesIO(bytes(data))).infolist()[0]
    second_record = central_records(data)[1]
    struct.pack_into("<I", data, second_record + 42, first.header_offset)
    assert "overlapping" in refused(bytes(data))


def test_a_ten_megabyte_cell_is_refused(tmp_path):
    big = base64.b64encode(os.urandom(7_500_000)).decode()  # 10 MB that does not compress
    sheet = sheet_xml(
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + big.encode() + b"</t></is></c></row>"
    )
    assert "32,767" in refused(with_part(workbook([["x"]]), SHEET, sheet))
    csv = ("名称\n" + "a" * (10 * 1024 * 1024) + "\n").encode()
    assert "32,767" in refused(csv, "a.csv")


def test_a_million_columns_are_refused_in_little_memory(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_bytes(b",".join([b"a"] * 1_000_000) + b"\n")
    outcome, peak = peak_mb_reading(path, "wide.csv")
    assert "too many columns" in outcome and peak < MEMORY_BUDGET_MB
    # In a workbook one far cell would make the parser lay out a huge empty rectangle.
    wide = sheet_xml(
        b'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c><c r="BDWGN1" t="inlineStr"><is><t>b</t></is></c></row>'
    )
    path = tmp_path / "wide.xlsx"
    path.write_bytes(with_part(workbook([["x"]]), SHEET, wide))
    outcome, peak = peak_mb_reading(path, "wide.xlsx")
    assert "too many columns" in outcome and peak < MEMORY_BUDGET_MB


def test_a_cell_far_below_the_row_cap_is_refused_before_parsing():
    far = sheet_xml(b'<row r="1"><c r="A9999999" t="inlineStr"><is><t>a</t></is></c></row>')
    assert "more rows than the limit" in refused(with_part(workbook([["x"]]), SHEET, far))
    unnumbered = sheet_xml(b"<row><c><v>1</v></c></row>")
    assert "references" in refused(with_part(workbook([["x"]]), SHEET, unnumbered))


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_a_sheet_beyond_the_row_cap_is_stopped_with_a_message(kind):
    rows = [["名称", "人数"]] + [[f"企业{n}", n] for n in range(150)]
    if kind == "xlsx":
        data = workbook(rows)
    else:
        data = "\n".join(",".join(map(str, r)) for r in rows).encode()
    assert "more rows than the limit of 100" in refused(data, f"a.{kind}", max_rows=100)


def test_formulas_are_refused_naming_the_cell():
    data = workbook([["名称"], ['=HYPERLINK("http://evil.example","x")']])
    message = refused(data)
    assert "A2" in message and "paste values" in message
    dde = workbook([["名称"], ["=cmd|' /C calc'!A0"]])
    assert "formulas" in refused(dde)


@pytest.mark.parametrize("part", [SHEET, "xl/sharedStrings.xml", "[Content_Types].xml"])
def test_a_doctype_anywhere_is_refused(part):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<sst " + NS + b"><si><t>&lol2;</t></si></sst>"
    )
    assert "DOCTYPE" in refused(with_part(workbook([["x"]]), part, laughs))


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "a.xlsx", "only .xlsx and .csv"),
        (b"%PDF-1.7 ...", "a.pdf", "only .xlsx and .csv"),
        (workbook([["x"]]), "a.csv", "wrong extension"),
        (b"PK\x03\x04garbage", "a.xlsx", "damaged"),
        (b"a,b\x00c", "a.csv", "not a text CSV"),
    ],
)
def test_wrong_or_renamed_files_are_refused(data, name, message):
    assert message in refused(data, name)


def test_gb18030_csv_from_older_excel_is_read():
    text = "企业名称,人数\n包钢,100\n"
    rows = list(spreadsheets.read_rows(text.encode("gb18030"), "a.csv", 10))
    assert rows == [["企业名称", "人数"], ["包钢", "100"]]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048), st.sampled_from(["a.xlsx", "a.csv", "a.txt"]))
def test_arbitrary_bytes_give_rows_or_a_refusal_never_a_crash(data, name):
    try:
        for row in spreadsheets.read_rows(data, name, 100):
            assert isinstance(row, list)
    except SpreadsheetError:
        pass


def test_exported_text_that_looks_like_a_formula_stays_text(tmp_path):
    hostile = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    path = tmp_path / "out.xlsx"
    spreadsheets.write_xlsx(str(path), ["名称"], ([h] for h in hostile))
    with zipfile.ZipFile(path) as z:
        sheet = z.read(SHEET)
    assert b"<f>" not in sheet and b"<f " not in sheet  # 0 formulas (RELIABILITY check 14)
    values = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert [r[0] for r in values[1:]] == hostile


def test_csv_cells_that_look_like_formulas_are_prefixed():
    assert [
        spreadsheets.csv_safe(v) for v in ["=1+1", "+1", "-1", "@A", "\tA", "\rA", "包钢", 5]
    ] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@A",
        "'\tA",
        "'\rA",
        "包钢",
        5,
    ]
