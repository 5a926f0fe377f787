"""The filtered enterprise list as .xlsx, streamed from a temporary file in constant memory."""

import tempfile

from django.http import FileResponse
from django.utils import timezone

from audit.log import record
from lib.spreadsheets import write_xlsx

from . import queries
from .models import Tag
from .validation import SIZE_WORDS, TAG_WORDS


def rows(user, filters: queries.Filters):
    qs = queries.with_details(queries.filtered(user, filters).order_by("region_id", "name", "pk"))
    for e in qs.iterator(chunk_size=2000):
        contacts = queries.contact_rows(user, e)
        first = contacts[0] if contacts else {"name": "", "phone": ""}
        yield [
            e.uscc,
            e.name,
            e.region_id,
            e.region.name,
            e.industry_id,
            e.industry.name,
            e.headcount,
            e.revenue,
            e.output_value,
            # the template's words whatever the page's language, so an export re-imports as is
            SIZE_WORDS.get(e.size_class, e.size_class),
            "是" if e.above_scale else "否",
            "、".join(TAG_WORDS[Tag(t)] for t in e.tags),
            e.park.name if e.park else "",
            first["name"],
            first["phone"],
        ]


EXPORT_HEADERS = [
    "统一社会信用代码",
    "企业名称",
    "县区代码",
    "县区",
    "行业代码",
    "行业",
    "正常用工人数",
    "营业收入（万元）",
    "基期产值（万元）",
    "企业规模",
    "是否规上",
    "标签",
    "园区",
    "联系人",
    "联系电话",
]


def export_response(request, filters: queries.Filters) -> FileResponse:
    tmp = tempfile.TemporaryFile(suffix=".xlsx")
    count = write_xlsx(tmp, EXPORT_HEADERS, rows(request.user, filters), sheet="企业名录")
    tmp.seek(0)
    record(
        "export", request=request, object_type="enterprise", rows=count, filters=filters.as_query()
    )
    name = f"fugong-enterprises-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(
        tmp,
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
