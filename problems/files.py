"""Attachment files: the type decided by the bytes (magic numbers), never by the name; stored
under a generated name in VAR_DIR/attachments; the uploaded name kept only for display.

Accepted: PDF, PNG, JPEG, and the Office zip containers .docx and .xlsx (a zip whose parts say
which one it is). Anything else is refused, and so is a name whose extension disagrees with the
content (an .exe renamed .pdf, a .png renamed .docx); a name without an extension gets the
content's.
"""

import hashlib
import io
import re
import unicodedata
import uuid
import zipfile
from pathlib import Path, PurePosixPath

from django.conf import settings

MAX_PER_PROBLEM = 5

# kind → (Content-Type, extensions a name may carry)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
}
STORED = re.compile(r"[0-9a-f]{32}")


class BadFile(ValueError):
    """The file may not be attached; the message says why (in Chinese and English)."""


class TooLarge(BadFile):
    pass


def max_bytes() -> int:
    return settings.FUGONG_ATTACHMENT_MAX_BYTES


def sniff(data: bytes) -> str | None:
    """The kind of file these bytes are, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"PK\x03\x04"):
        return _office(data)
    return None


def _office(data: bytes) -> str | None:
    """docx or xlsx by the parts the zip lists (the central directory only: nothing inflated)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    return None


def display_name(name: str, kind: str) -> str:
    """The uploaded name made safe to show and to send in Content-Disposition: its last path
    part only, no control characters, at most 120 characters, ending in the extension of the
    content's type (added when the name had none)."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C")
    base = base.strip().strip(".").strip()
    if base and not PurePosixPath(base).suffix:
        base += KINDS[kind][1][0]
    if len(base) > 120:
        stem, dot, ext = base.rpartition(".")
        base = stem[: 119 - len(ext)] + dot + ext if dot and len(ext) <= 10 else base[:120]
    return base or f"attachment{KINDS[kind][1][0]}"


def check(data: bytes, name: str) -> str:
    """The kind of an upload, or BadFile saying why it is refused."""
    if len(data) > max_bytes():
        mb = max_bytes() / (1024 * 1024)
        raise TooLarge(f"文件超过{mb:g} MB上限 (the file is larger than {mb:g} MB)")
    if not data:
        raise BadFile("文件为空 (the file is empty)")
    kind = sniff(data)
    if kind is None:
        raise BadFile(
            "只能上传PDF、PNG、JPEG、Word（.docx）或Excel（.xlsx）文件 "
            "(only PDF, PNG, JPEG, .docx or .xlsx files)"
        )
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    if suffix and suffix not in KINDS[kind][1]:
        raise BadFile(
            f"文件扩展名与内容不符：内容是{kind.upper()} "
            f"(the name's extension does not match the content, which is {kind.upper()})"
        )
    return kind


def directory() -> Path:
    return Path(settings.VAR_DIR) / "attachments"


def path_of(stored_name: str) -> Path:
    """Where a stored file lives; only generated names are ever turned into paths."""
    if not STORED.fullmatch(stored_name):
        raise ValueError("not a stored attachment name")
    return directory() / stored_name


def store(data: bytes) -> tuple[str, str]:
    """Write the bytes under a new generated name: (stored name, SHA-256)."""
    stored = uuid.uuid4().hex
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{stored}.part"
    temporary.write_bytes(data)
    temporary.replace(folder / stored)
    return stored, hashlib.sha256(data).hexdigest()


def remove(stored_name: str) -> None:
    path_of(stored_name).unlink(missing_ok=True)


def read_upload(upload) -> bytes:
    """An uploaded file's bytes, read no further than one byte past the limit."""
    data = upload.read(max_bytes() + 1)
    if len(data) > max_bytes():
        mb = max_bytes() / (1024 * 1024)
        raise TooLarge(f"文件超过{mb:g} MB上限 (the file is larger than {mb:g} MB)")
    return data
