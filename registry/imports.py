"""Enterprises from .xlsx and .csv: check every row, then write all of them or none.

One path for the dry run and the real run: `check` reads and validates the sheet (the same rules as
the form and the API, in registry/validation.py), `classify` decides for each row whether it
creates, updates or leaves an enterprise alone, and the real run repeats `classify` inside the
transaction that writes, so both report the same summary. Rows are keyed by USCC: a re-import
updates, never duplicates. A row in error stops the whole import and every error is listed with
its row, column and reason.

Jobs run in the worker (`python manage.py run_worker`); `run_job` is what it calls.
"""

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts import scope
from audit.log import record
from lib import spreadsheets
from lib.env import envint
from lib.spreadsheets import SpreadsheetError

from . import actions, validation
from .models import Enterprise, EnterpriseChange, EnterpriseTag, ImportJob, Park
from .signals import enterprises_changed

# (field, header in the template, required)
COLUMNS: list[tuple[str, str, bool]] = [
    ("uscc", "统一社会信用代码", True),
    ("name", "企业名称", True),
    ("region", "县区代码", True),
    ("industry", "行业代码", True),
    ("headcount", "正常用工人数", True),
    ("revenue", "营业收入（万元）", False),
    ("output_value", "基期产值（万元）", False),
    ("above_scale", "是否规上", False),
    ("tags", "标签", False),
    ("park", "园区", False),
    ("size_class", "企业规模", False),
]
HEADERS = [header for _, header, _ in COLUMNS]
NOTES = {
    "uscc": "18位，按GB 32100-2015校验",
    "name": "最多200字",
    "region": "GB/T 2260县级代码，6位，如150203",
    "industry": "GB/T 4754-2017小类代码，4位，如3110",
    "headcount": "整数",
    "revenue": "万元，可空；与用工人数一起确定企业规模",
    "output_value": "万元，可空",
    "above_scale": "是 / 否",
    "tags": "龙头、骨干、重点联系、防疫物资、民生保障、外贸，多个用顿号分隔",
    "park": "本县区已有园区的名称，可空",
    "size_class": "大型 / 中型 / 小型 / 微型；空则按国统字〔2017〕213号自动划分",
}
HEADER_SEARCH_ROWS = 10  # a title line or two above the headers is common in officials' sheets
LEASE = timedelta(seconds=envint("FUGONG_IMPORT_LEASE_SECONDS", "60"))  # tests shorten it
MAX_ATTEMPTS = 3
MAX_LISTED_ERRORS = 5000
PROGRESS_EVERY = 2000
BATCH = 1000
log = logging.getLogger(__name__)


def _normal(header: Any) -> str:
    text = str(header or "").strip().lower()
    for a, b in (("（", "("), ("）", ")"), ("*", ""), ("＊", ""), (" ", ""), ("\u3000", "")):
        text = text.replace(a, b)
    return text


HEADER_ALIASES: dict[str, str] = {}
for _field, _header, _ in COLUMNS:
    HEADER_ALIASES[_normal(_header)] = _field
    HEADER_ALIASES[_normal(_header.split("（")[0])] = _field
    HEADER_ALIASES[_field] = _field
HEADER_ALIASES.update({_normal("统一信用代码"): "uscc", _normal("规模"): "size_class"})


class FileRefused(SpreadsheetError):
    """The file as a whole cannot be imported (wrong type, hostile, headers missing)."""


class UploadTooLarge(SpreadsheetError):
    def __init__(self) -> None:
        mb = settings.FUGONG_UPLOAD_MAX_BYTES / (1024 * 1024)
        super().__init__(f"文件超过{mb:g} MB上限 (the file is larger than {mb:g} MB)")


def read_upload(upload) -> bytes:
    """An uploaded file's bytes, read no further than one byte past the limit."""
    data = upload.read(settings.FUGONG_UPLOAD_MAX_BYTES + 1)
    if len(data) > settings.FUGONG_UPLOAD_MAX_BYTES:
        raise UploadTooLarge
    return data


@dataclass
class Row:
    number: int  # as the spreadsheet numbers it (the header row is usually 1)
    values: dict[str, Any]
    park: Park | None


@dataclass
class Plan:
    columns: dict[str, int]  # field -> index in the sheet
    headers: list[str]  # as written in the file
    rows: list[Row] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)
    ignored_headers: list[str] = field(default_factory=list)
    total: int = 0

    def error(self, row: int, fld: str | None, reason: str) -> None:
        self.error_rows.add(row)
        if len(self.errors) >= MAX_LISTED_ERRORS:
            return
        if fld is not None and fld in self.columns:
            index = self.columns[fld]
            column = f"{column_letter(index)}（{self.headers[index]}）"
        else:
            column = ""
        self.errors.append({"row": row, "column": column, "reason": reason})


@dataclass
class Summary:
    created: list[tuple[Enterprise, list[str]]] = field(default_factory=list)  # with its tags
    updated: list[tuple[Enterprise, dict[str, list[Any]], list[str] | None]] = field(
        default_factory=list
    )
    unchanged: int = 0


def column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


# --- reading -------------------------------------------------------------------------------------


def _header_row(rows: Iterator[list[Any]]) -> tuple[int, list[str]]:
    for number in range(1, HEADER_SEARCH_ROWS + 1):
        cells = next(rows, None)
        if cells is None:
            break
        names = [_normal(c) for c in cells]
        if any(HEADER_ALIASES.get(n) == "uscc" for n in names):
            return number, [str(c or "").strip() for c in cells]
    raise FileRefused(
        "找不到表头：第一行应为模板中的列名，如“统一社会信用代码” "
        "(no header row: the first row should hold the template's column names)"
    )


def check(data: bytes, filename: str, actor, progress: Callable[[int], None] | None = None) -> Plan:
    """Read and validate every row; nothing is written. Raises SpreadsheetError for the file."""
    rows = spreadsheets.read_rows(data, filename, settings.FUGONG_IMPORT_MAX_ROWS)
    header_number, headers = _header_row(rows)
    columns: dict[str, int] = {}
    plan = Plan(columns=columns, headers=headers)
    for index, header in enumerate(headers):
        fld = HEADER_ALIASES.get(_normal(header))
        if fld is None:
            if header:
                plan.ignored_headers.append(header)
        elif fld in columns:
            raise FileRefused(f"列“{header}”出现了两次 (the column {header} appears twice)")
        else:
            columns[fld] = index
    missing = [h for f, h, required in COLUMNS if required and f not in columns]
    if missing:
        raise FileRefused(f"缺少必填列：{'、'.join(missing)} (required columns are missing)")

    lookups = validation.Lookups()
    parks_by_name: dict[str, list[Park]] = {}
    parks_by_id: dict[int, Park] = {}
    for p in Park.objects.all():
        parks_by_name.setdefault(p.name, []).append(p)
        parks_by_id[p.pk] = p
    seen: dict[str, int] = {}
    for number, cells in enumerate(rows, start=header_number + 1):
        if all(c is None or str(c).strip() == "" for c in cells):
            continue
        plan.total += 1
        raw = {f: (cells[i] if i < len(cells) else None) for f, i in columns.items()}
        _check_row(plan, number, raw, actor, lookups, parks_by_name, parks_by_id, seen)
        if progress and plan.total % PROGRESS_EVERY == 0:
            progress(plan.total)
    if plan.total == 0:
        raise FileRefused("表格中没有数据行 (the sheet has no data rows)")
    return plan


def _check_row(plan, number, raw, actor, lookups, parks_by_name, parks_by_id, seen) -> None:
    cleaned = validation.clean(raw, lookups)
    errors = dict(cleaned.errors)
    values = cleaned.values
    region = values.get("region")
    if region is not None and not scope.can_create_in(actor, region):
        errors["region"] = f"{region}不在您的管辖范围内 (outside your region)"
    uscc = values.get("uscc")
    if uscc is not None:
        if uscc in seen:
            errors["uscc"] = f"与第{seen[uscc]}行的代码重复 (the same code as row {seen[uscc]})"
        else:
            seen[uscc] = number
    park = None
    if values.get("park") is not None and region is not None:
        text = str(values["park"]).strip()
        if text.isdigit():
            park = parks_by_id.get(int(text))
        else:
            # the county's own park first, else the one park of that name in the same city
            named = parks_by_name.get(text, [])
            park = next((p for p in named if p.region_id == region), None)
            nearby = [p for p in named if p.region_id[:4] == region[:4]]
            if park is None and len(nearby) == 1:
                park = nearby[0]
        if park is None:
            errors["park"] = (
                f"本地没有名为“{text[:40]}”的园区 (no park of that name in this county or city)"
            )
        elif not region.startswith(park.region_id[:4]):
            errors["park"] = "园区不在企业所在地区 (the park lies in another region)"
            park = None
    for fld, reason in errors.items():
        plan.error(number, fld, reason)
    if not errors:
        # Only the columns present in the file change an existing enterprise.
        present = {k: v for k, v in values.items() if k in plan.columns}
        plan.rows.append(Row(number=number, values=present, park=park))


# --- deciding and writing ------------------------------------------------------------------------


def _existing(usccs: list[str]) -> dict[str, Enterprise]:
    found: dict[str, Enterprise] = {}
    for start in range(0, len(usccs), 500):
        chunk = usccs[start : start + 500]
        for e in Enterprise.objects.filter(uscc__in=chunk).prefetch_related("tag_rows"):
            found[e.uscc] = e
    return found


def classify(plan: Plan, actor, lookups: validation.Lookups) -> Summary:
    """What each checked row would do; an existing enterprise out of the actor's reach is an error."""
    summary = Summary()
    existing = _existing([r.values["uscc"] for r in plan.rows])
    for row in plan.rows:
        values = row.values
        e = existing.get(values["uscc"])
        if e is None:
            e = Enterprise(park=row.park)
            full = {"tags": [], "above_scale": False, **values}
            actions.apply_values(e, full, lookups)
            summary.created.append((e, full["tags"]))
            continue
        if not scope.can_edit_enterprise(actor, e):
            plan.error(
                row.number,
                "uscc",
                "该代码的企业已由其他地区登记，您不能更新 (registered outside your region)",
            )
            continue
        old_tags = [t.tag for t in e.tag_rows.all()]
        before = actions.state(e, old_tags)
        actions.apply_values(e, values, lookups)
        if "park" in values:
            e.park = row.park
        new_tags = values.get("tags")
        after = actions.state(e, new_tags if new_tags is not None else old_tags)
        diff = actions.changes_between(before, after)
        if diff:
            summary.updated.append((e, diff, new_tags))
        else:
            summary.unchanged += 1
    return summary


def write(summary: Summary, actor, source: str = "import") -> None:
    """Write a classified plan in chunks (memory stays flat); the caller holds the transaction."""
    now = timezone.now()
    for start in range(0, len(summary.created), BATCH):
        chunk = summary.created[start : start + BATCH]
        Enterprise.objects.bulk_create([e for e, _ in chunk])
        EnterpriseTag.objects.bulk_create(
            [EnterpriseTag(enterprise=e, tag=t) for e, tags in chunk for t in tags]
        )
        EnterpriseChange.objects.bulk_create(
            [
                EnterpriseChange(
                    enterprise=e,
                    actor=actor,
                    source=source,
                    changes=actions.created_changes(actions.state(e, tags)),
                )
                for e, tags in chunk
            ]
        )
    for start in range(0, len(summary.updated), BATCH):
        chunk_updated = summary.updated[start : start + BATCH]
        updated = [e for e, _, _ in chunk_updated]
        for e in updated:
            e.updated_at = now
        Enterprise.objects.bulk_update(updated, [*actions.TRACKED, "updated_at"])
        retagged = [(e, tags) for e, _, tags in chunk_updated if tags is not None]
        EnterpriseTag.objects.filter(enterprise__in=[e for e, _ in retagged]).delete()
        EnterpriseTag.objects.bulk_create(
            [EnterpriseTag(enterprise=e, tag=t) for e, tags in retagged for t in tags]
        )
        EnterpriseChange.objects.bulk_create(
            [
                EnterpriseChange(enterprise=e, actor=actor, source=source, changes=diff)
                for e, diff, _ in chunk_updated
            ]
        )
    enterprises_changed.send(
        sender=Enterprise,
        ids=[e.pk for e, _ in summary.created] + [e.pk for e, _, _ in summary.updated],
    )


# --- jobs ----------------------------------------------------------------------------------------


def _finish(job: ImportJob, status: str, **fields: Any) -> None:
    fields.setdefault("message", "")
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, finished_at=timezone.now(), lease_until=None, **fields
    )
    for name, value in {"status": status, **fields}.items():
        setattr(job, name, value)


def _counts(plan: Plan, summary: Summary | None) -> dict[str, Any]:
    return {
        "total": plan.total,
        "processed": plan.total,
        "created_count": len(summary.created) if summary else 0,
        "updated_count": len(summary.updated) if summary else 0,
        "unchanged_count": summary.unchanged if summary else 0,
        "error_count": len(plan.error_rows),
        "errors": plan.errors,
    }


def run_job(job: ImportJob) -> ImportJob:
    """Check (and, unless a dry run, import) a claimed job; the outcome is stored on the job."""
    actor = job.created_by
    data = bytes(job.data)

    def progress(n: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed=n, lease_until=timezone.now() + LEASE)

    try:
        plan = check(data, job.filename, actor, progress)
    except SpreadsheetError as exc:
        _finish(job, ImportJob.Status.FAILED, message=str(exc), data=b"")
        record(
            "import", actor=actor, object_type="importjob", object_id=str(job.pk), result="refused"
        )
        return job
    ImportJob.objects.filter(pk=job.pk).update(total=plan.total, processed=plan.total)
    lookups = validation.Lookups()
    notice = (
        f"已忽略无法识别的列：{'、'.join(plan.ignored_headers)[:500]} (unknown columns ignored)"
        if plan.ignored_headers
        else ""
    )
    if job.dry_run or plan.errors:
        summary = None if plan.errors else classify(plan, actor, lookups)
        status = ImportJob.Status.REJECTED if plan.errors else ImportJob.Status.DONE
        fields = _counts(plan, summary)
        if plan.errors:
            fields["data"] = b""  # nothing more will be done with this file
        _finish(job, status, message=notice, **fields)
        return job
    # The real run: decide again inside the transaction that writes (a code registered since the
    # check becomes an update), so the summary is exactly what was written.
    lease = LEASE + timedelta(seconds=plan.total // 500)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.WRITING, lease_until=timezone.now() + lease
    )
    with transaction.atomic():
        summary = classify(plan, actor, lookups)
        if plan.errors:
            transaction.set_rollback(True)
        else:
            write(summary, actor)
            record(
                "import",
                actor=actor,
                object_type="importjob",
                object_id=str(job.pk),
                created=len(summary.created),
                updated=len(summary.updated),
                unchanged=summary.unchanged,
            )
    if plan.errors:
        _finish(job, ImportJob.Status.REJECTED, message=notice, data=b"", **_counts(plan, None))
    else:
        _finish(job, ImportJob.Status.DONE, message=notice, data=b"", **_counts(plan, summary))
    return job


def claim() -> ImportJob | None:
    """The oldest queued job, or one whose worker stopped renewing its lease; None when idle."""
    now = timezone.now()
    waiting = Q(status=ImportJob.Status.QUEUED) | Q(
        status__in=ImportJob.RUNNING, lease_until__lt=now
    )
    candidates = ImportJob.objects.filter(waiting).order_by("created_at", "id")
    for pk, attempts in candidates.values_list("pk", "attempts")[:10]:
        if attempts >= MAX_ATTEMPTS:
            ImportJob.objects.filter(waiting, pk=pk).update(
                status=ImportJob.Status.FAILED,
                finished_at=now,
                lease_until=None,
                data=b"",
                message="导入多次中断，请重新上传 (the import was interrupted repeatedly; upload again)",
            )
            continue
        taken = (
            ImportJob.objects.filter(waiting, pk=pk, attempts=attempts).update(
                status=ImportJob.Status.CHECKING,
                attempts=attempts + 1,
                lease_until=now + LEASE,
                started_at=now,
                processed=0,
            )
            == 1
        )
        if taken:
            return ImportJob.objects.select_related("created_by").get(pk=pk)
    return None


def run_pending(limit: int | None = None) -> int:
    """Run queued jobs until none is left (or `limit` jobs ran); the number run."""
    done = 0
    while limit is None or done < limit:
        job = claim()
        if job is None:
            break
        try:
            run_job(job)
        except Exception:
            # The transaction rolled back, so nothing of this import is written; say so and go on.
            log.exception("import %s failed", job.pk)
            _finish(
                job,
                ImportJob.Status.FAILED,
                data=b"",
                message="导入因内部错误中止，未写入任何数据 (the import stopped on an internal "
                "error; nothing was written)",
            )
        done += 1
    return done


def forget_old_files(days: int = 7) -> int:
    """Uploaded files are kept only while they may still be imported (PIPL: no longer than needed)."""
    cutoff = timezone.now() - timedelta(days=days)
    return (
        ImportJob.objects.filter(created_at__lt=cutoff)
        .exclude(data=b"")
        .filter(status__in=ImportJob.FINISHED)
        .update(data=b"")
    )


def submit(*, actor, data: bytes, filename: str, dry_run: bool, request=None) -> ImportJob:
    """Queue an uploaded file; the file type is checked now so a wrong file fails at once."""
    spreadsheets.sniff(data, filename)
    safe_name = re.sub(r"[^\w.\-（）() ]", "_", filename.replace("\\", "/").rsplit("/", 1)[-1])
    job = ImportJob.objects.create(
        created_by=actor, filename=safe_name[:128] or "upload", data=data, dry_run=dry_run
    )
    record(
        "import",
        actor=actor,
        request=request,
        object_type="importjob",
        object_id=str(job.pk),
        stage="dry run" if dry_run else "queued",
    )
    return job


def template_rows() -> Iterator[list[Any]]:
    """Explanations for the template's second sheet."""
    for fld, header, required in COLUMNS:
        yield [header, "必填" if required else "选填", NOTES[fld]]
