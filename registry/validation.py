"""One set of rules for enterprise data, whether it comes from a form, the API or a spreadsheet.

`clean` turns raw values (strings from a sheet, JSON from the API) into typed values and returns
the errors keyed by field, each message in Chinese with the English after it.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from industries.models import Industry
from industries.models import Level as IndustryLevel
from industries.sizes import SizeClass, size_class
from lib import uscc as uscc_rules
from regions.models import Level as RegionLevel
from regions.models import Region

from .models import Tag

FIELDS = (
    "uscc",
    "name",
    "region",
    "industry",
    "headcount",
    "revenue",
    "output_value",
    "above_scale",
    "tags",
    "park",
    "size_class",
)
MAX_MONEY = Decimal("999999999999")
FORMULA_STARTS = ("=", "+", "-", "@")

# The words officials' sheets use (read on import, written on export).
TAG_WORDS = {
    Tag.LEADING: "龙头",
    Tag.BACKBONE: "骨干",
    Tag.KEY_CONTACT: "重点联系",
    Tag.PREVENTION_SUPPLIES: "防疫物资",
    Tag.LIVELIHOOD: "民生保障",
    Tag.FOREIGN_TRADE: "外贸",
}
SIZE_WORDS = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
TAG_ALIASES = {t.value: t.value for t in Tag} | {word: tag for tag, word in TAG_WORDS.items()}
SIZE_ALIASES = {word: size for size, word in SIZE_WORDS.items()}
TRUE_WORDS = {"true", "1", "yes", "y", "是", "规上", "√"}
FALSE_WORDS = {"false", "0", "no", "n", "否", "规下", ""}


@dataclass
class Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


class Lookups:
    """Reference rows needed to check many records, fetched once (imports check 100k rows)."""

    def __init__(self) -> None:
        # Counties, and the four prefecture-level cities that have none (e.g. Dongguan 441900).
        self.counties = dict(
            Region.objects.filter(active=True)
            .filter(Q(level=RegionLevel.COUNTY) | Q(level=RegionLevel.CITY, children__isnull=True))
            .values_list("code", "name")
        )
        self.classes = dict(
            Industry.objects.filter(level=IndustryLevel.CLASS).values_list("code", "section")
        )


def clean(raw: dict[str, Any], lookups: Lookups, *, partial: bool = False) -> Cleaned:
    out = Cleaned()
    v, e = out.values, out.errors

    def present(name: str) -> bool:
        return name in raw and raw[name] is not None and str(raw[name]).strip() != ""

    def required(name: str, zh: str, en: str) -> bool:
        if present(name):
            return True
        if not partial or name in raw:
            e[name] = f"{zh}必填 ({en} is required)"
        return False

    if required("uscc", "统一社会信用代码", "uscc"):
        try:
            v["uscc"] = uscc_rules.validate(str(raw["uscc"]))
        except uscc_rules.UsccError as exc:
            e["uscc"] = str(exc)
    if required("name", "企业名称", "name"):
        name = " ".join(str(raw["name"]).replace("\x00", "").split())
        if name.startswith(FORMULA_STARTS):
            e["name"] = "企业名称不能以=、+、-、@开头 (a name cannot start like a formula)"
        elif len(name) > 200:
            e["name"] = "企业名称过长（最多200字）(name longer than 200 characters)"
        else:
            v["name"] = name
    if required("region", "所在县区", "region"):
        code = str(raw["region"]).strip()
        if code not in lookups.counties:
            e["region"] = (
                f"不是有效的县级行政区划代码：{code[:12]} (not a county code of GB/T 2260)"
            )
        else:
            v["region"] = code
    if required("industry", "行业代码", "industry"):
        code = str(raw["industry"]).strip()
        if code not in lookups.classes:
            e["industry"] = (
                f"不是GB/T 4754-2017小类代码：{code[:12]} (not a four-digit class of GB/T 4754-2017)"
            )
        else:
            v["industry"] = code
    if required("headcount", "正常用工人数", "headcount"):
        number = _integer(raw["headcount"])
        if number is None or number < 0 or number > 10_000_000:
            e["headcount"] = (
                "正常用工人数应为0至10000000的整数 (headcount must be a whole number from 0 to 10,000,000)"
            )
        else:
            v["headcount"] = number
    for name, zh in (("revenue", "营业收入"), ("output_value", "基期产值")):
        if present(name):
            amount = _decimal(raw[name])
            if amount is None or amount < 0 or amount > MAX_MONEY:
                e[name] = (
                    f"{zh}应为非负数（万元）({name} must be a non-negative amount in 10k yuan)"
                )
            else:
                v[name] = amount
        elif name in raw:
            v[name] = None
    if present("above_scale"):
        flag = _boolean(raw["above_scale"])
        if flag is None:
            e["above_scale"] = "是否规上应为“是”或“否” (above_scale must be true or false)"
        else:
            v["above_scale"] = flag
    elif not partial:
        v["above_scale"] = False
    if "tags" in raw or not partial:
        tags = _tags(raw.get("tags"))
        if tags is None:
            e["tags"] = "标签只能是：龙头、骨干、重点联系、防疫物资、民生保障、外贸 (unknown tag)"
        else:
            v["tags"] = tags
    if present("size_class"):
        size = str(raw["size_class"]).strip().lower()
        size = SIZE_ALIASES.get(size, size)
        if size not in SizeClass.values:
            e["size_class"] = (
                "企业规模应为大型、中型、小型或微型 (size_class must be large, medium, small or micro)"
            )
        else:
            v["size_class"] = size
    if present("park"):
        v["park"] = raw["park"]
    elif "park" in raw:
        v["park"] = None
    return out


def computed_size(values: dict[str, Any], lookups: Lookups) -> str:
    industry = values["industry"]
    return size_class(
        industry, lookups.classes.get(industry, ""), values.get("headcount"), values.get("revenue")
    ).value


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number = _decimal(value)
    if number is None or number != number.to_integral_value():
        return None
    return int(number)


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def _tags(value: Any) -> list[str] | None:
    if value is None or value == "":
        return []
    items = (
        value
        if isinstance(value, list | tuple)
        else str(value).replace("，", ",").replace("、", ",").split(",")
    )
    tags = []
    for item in items:
        word = str(item).strip()
        if not word:
            continue
        tag = TAG_ALIASES.get(word)
        if tag is None:
            return None
        if tag not in tags:
            tags.append(str(tag))
    return tags
