"""The one rule set for a report, whichever way it comes in (form, API, batch, spreadsheet).

Messages name the field and say what is wrong in Chinese and English. Every figure is required:
0 is an answer (零报告), a blank is not.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import get_language

from .models import Difficulty, Status

MAX_CAPACITY = 150
MAX_MASK_DAYS = 365
MAX_CASES = 1_000_000
# A number as text: ASCII digits only (str.isdigit() also takes "²", which int() refuses), and no
# more significant digits than any bound here has, so int() never reads a long string (it refuses
# more than 4,300 digits, and takes quadratic time up to there).
_WHOLE = re.compile(r"-?[0-9]+")
MAX_DIGITS = 18
# Full-width digits, sign, comma and percent, as a Chinese input method types them (１２０，５０％).
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－，％．", "0123456789-,%.")
COUNTS = ("staff_on_site", "fever", "suspected", "confirmed")
CHECKS = ("temperature_checks", "disinfection")
FIELDS = (
    "date",
    "status",
    "staff_on_site",
    "capacity_pct",
    "temperature_checks",
    "disinfection",
    "mask_days",
    "fever",
    "suspected",
    "confirmed",
    "difficulties",
    "over_headcount_reason",
    "note",
)
LABELS = {
    "date": "日期 (date)",
    "status": "复工状态 (status)",
    "staff_on_site": "在岗人数 (staff on site)",
    "capacity_pct": "产能恢复 (capacity %)",
    "temperature_checks": "体温检测 (temperature checks)",
    "disinfection": "消毒 (disinfection)",
    "mask_days": "口罩储备天数 (days of masks on hand)",
    "fever": "发热人数 (fever cases)",
    "suspected": "疑似病例 (suspected cases)",
    "confirmed": "确诊病例 (confirmed cases)",
    "difficulties": "遇到的困难 (difficulties)",
    "over_headcount_reason": "超出正常用工的原因 (reason for staff above headcount)",
    "note": "备注 (note)",
}
STATUS_WORDS = {
    "未复工": Status.NOT_RESUMED,
    "部分复工": Status.PARTIAL,
    "全面复工": Status.FULL,
    "全面复工达产": Status.FULL,
    "达产": Status.FULL,
}
YES = {"true", "1", "yes", "y", "是", "有", "✓", "√"}
NO = {"false", "0", "no", "n", "否", "无", "×"}
REQUIRED = "必填，0也要填写 (required: 0 is an answer, a blank is not)"


@dataclass
class Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _integer(value: Any, low: int, high: int) -> tuple[int | None, str | None]:
    if isinstance(value, bool):
        return None, "应为整数 (a whole number)"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str):
        text = value.translate(_FULL_WIDTH).strip().rstrip("%").strip().replace(",", "")
        if text.endswith(".0"):
            text = text[:-2]
        if not _WHOLE.fullmatch(text):
            return None, "应为整数 (a whole number)"
        digits = text.lstrip("-").lstrip("0") or "0"
        if len(digits) > MAX_DIGITS:
            return None, f"应在{low}到{high}之间 (between {low} and {high})"
        value = -int(digits) if text.startswith("-") else int(digits)
    if not isinstance(value, int):
        return None, "应为整数 (a whole number)"
    if value < low or value > high:
        return None, f"应在{low}到{high}之间 (between {low} and {high})"
    return value, None


def _boolean(value: Any) -> tuple[bool | None, str | None]:
    if isinstance(value, bool):
        return value, None
    text = str(value).strip().lower()
    if text in YES:
        return True, None
    if text in NO:
        return False, None
    return None, "应为是或否 (yes or no)"


def parse_date(value: Any) -> tuple[date | None, str | None]:
    if isinstance(value, date):
        return value, None
    try:
        return date.fromisoformat(str(value).strip()[:10]), None
    except ValueError:
        return None, "日期格式应为2020-02-22 (a date like 2020-02-22)"


STATUS_VALUES = frozenset(Status.values)
DIFFICULTY_CODES = tuple(Difficulty.values)
DIFFICULTY_SET = frozenset(DIFFICULTY_CODES)
# Status as sent -> stored value, for input that needs no stripping (values and Chinese words).
_STATUS_EXACT: dict[str, str] = {**{s: s for s in STATUS_VALUES}, **STATUS_WORDS}
_words: dict[str | None, dict[str, str]] = {}


def _difficulty_words() -> dict[str, str]:
    """A difficulty's word (the last word of its label) -> its code, in the active language."""
    language = get_language()
    words = _words.get(language)
    if words is None:
        words = {str(label).split(" ")[-1]: str(code) for code, label in Difficulty.choices}
        _words[language] = words
    return words


_FULL, _NOT_RESUMED = str(Status.FULL.value), str(Status.NOT_RESUMED.value)  # plain str: quicker
_ORDERED: dict[tuple[str, ...], list[str]] = {}


def _in_order(codes: list[str]) -> list[str]:
    """Difficulty codes without repeats, in DIFFICULTY_CODES' order (a fresh list). The lists
    sent are few: each is ordered once and remembered."""
    key = tuple(codes)
    ordered = _ORDERED.get(key)
    if ordered is None:
        ordered = [c for c in DIFFICULTY_CODES if c in codes]
        if len(_ORDERED) < 10_000:  # bounded: a client could send many orders of many codes
            _ORDERED[key] = ordered
    return list(ordered)


def _clean_fast(raw: dict[str, Any], headcount: int, today: date) -> Cleaned | None:
    """`_clean`'s answer for input of the expected types that passes every rule; None otherwise
    (the caller then takes the long way, which gives the same values or words the errors)."""
    get = raw.get
    text = get("date")
    if type(text) is str and len(text) == 10:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None
    elif type(text) is date:
        day = text
    else:
        return None
    if day > today or day.year < 2000:
        return None
    sent = get("status")
    status = _STATUS_EXACT.get(sent) if type(sent) is str else None
    staff, fever, suspected, confirmed = (
        get("staff_on_site"),
        get("fever"),
        get("suspected"),
        get("confirmed"),
    )
    capacity, masks = get("capacity_pct"), get("mask_days")
    temperature, disinfection = get("temperature_checks"), get("disinfection")
    if (
        status is None
        or type(staff) is not int
        or type(fever) is not int
        or type(suspected) is not int
        or type(confirmed) is not int
        or type(capacity) is not int
        or type(masks) is not int
        or type(temperature) is not bool
        or type(disinfection) is not bool
        or not 0 <= staff <= MAX_CASES
        or not 0 <= fever <= MAX_CASES
        or not 0 <= suspected <= MAX_CASES
        or not 0 <= confirmed <= MAX_CASES
        or not 0 <= capacity <= MAX_CAPACITY
        or not 0 <= masks <= MAX_MASK_DAYS
    ):
        return None
    difficulties = get("difficulties") or []
    if type(difficulties) is not list:
        return None
    if difficulties:
        codes = []
        words = None  # looked up only for a word: the active language costs microseconds
        for d in difficulties:
            if type(d) is not str:
                return None
            if d in DIFFICULTY_SET:
                code = d  # a code is no difficulty's word (words are the labels' Chinese)
            else:
                words = words or _difficulty_words()
                code = words.get(d, d)
            if code not in DIFFICULTY_SET:
                return None
            codes.append(code)
        chosen = _in_order(codes)
    else:
        chosen = []
    note = get("note") or ""
    reason = get("over_headcount_reason") or ""
    if type(note) is not str or len(note) > 2000 or type(reason) is not str or len(reason) > 200:
        return None
    if "\x00" in note or "\x00" in reason:
        return None  # the full path removes them
    reason = reason.strip()
    if (
        (staff > headcount and not reason)
        or (staff == 0 and status == _FULL)
        or (capacity and status == _NOT_RESUMED)
        or (fever > staff and fever > headcount)
    ):
        return None
    return Cleaned(
        {
            "date": day,
            "status": status,
            "staff_on_site": staff,
            "fever": fever,
            "suspected": suspected,
            "confirmed": confirmed,
            "capacity_pct": capacity,
            "mask_days": masks,
            "temperature_checks": temperature,
            "disinfection": disinfection,
            "difficulties": chosen,
            "note": note.strip(),
            "over_headcount_reason": reason,
        }
    )


def _text(value: str) -> str:
    """Free text as stored: NUL characters removed (PostgreSQL cannot keep them), ends trimmed."""
    return value.replace("\x00", "").strip()


def clean(raw: dict[str, Any], *, headcount: int, today: date) -> Cleaned:
    """Check one report against the rules; `headcount` is the enterprise's normal headcount."""
    # Well-typed, valid input (the API's and the batch's usual case) takes a short way; anything
    # else, and every error, goes the long way, which alone words the messages.
    fast = _clean_fast(raw, headcount, today)
    if fast is not None:
        return fast
    return _clean(raw, headcount=headcount, today=today)


def headcount_needed(values: dict[str, Any]) -> int:
    """The least normal headcount with which clean() accepts these cleaned values: the two rules
    that read the headcount (staff above it need a reason; fever cases at most the larger of
    staff and headcount) pass for it and every larger one, and fail for every smaller one.
    For a writer that learns the headcount only in the statement that writes (dispatch.quick)."""
    staff, fever = values["staff_on_site"], values["fever"]
    return max(0 if values["over_headcount_reason"] else staff, fever if fever > staff else 0)


def _clean(raw: dict[str, Any], *, headcount: int, today: date) -> Cleaned:
    out = Cleaned()
    values, errors = out.values, out.errors

    for name in ("date", "status", "capacity_pct", "mask_days", *COUNTS, *CHECKS):
        if _blank(raw.get(name)):
            errors[name] = REQUIRED
    if "date" not in errors:
        day, message = parse_date(raw["date"])
        if message:
            errors["date"] = message
        elif day is not None and day > today:
            errors["date"] = "不能填报未来的日期 (a date in the future)"
        elif day is not None and day.year < 2000:
            errors["date"] = "日期太早 (too early a date)"
        else:
            values["date"] = day
    if "status" not in errors:
        text = str(raw["status"]).strip()
        chosen = STATUS_WORDS.get(text, text)
        if chosen not in STATUS_VALUES:
            errors["status"] = "应为未复工、部分复工或全面复工 (not_resumed, partial or full)"
        else:
            values["status"] = chosen
    for name in COUNTS:
        if name not in errors:
            number, message = _integer(raw[name], 0, MAX_CASES)
            if message:
                errors[name] = message
            else:
                values[name] = number
    if "capacity_pct" not in errors:
        number, message = _integer(raw["capacity_pct"], 0, MAX_CAPACITY)
        if message:
            errors["capacity_pct"] = message
        else:
            values["capacity_pct"] = number
    if "mask_days" not in errors:
        number, message = _integer(raw["mask_days"], 0, MAX_MASK_DAYS)
        if message:
            errors["mask_days"] = message
        else:
            values["mask_days"] = number
    for name in CHECKS:
        if name not in errors:
            flag, message = _boolean(raw[name])
            if message:
                errors[name] = message
            else:
                values[name] = flag

    difficulties = raw.get("difficulties") or []
    if isinstance(difficulties, str):
        difficulties = [d.strip() for d in difficulties.replace("，", ",").split(",") if d.strip()]
    if not isinstance(difficulties, list) or not all(isinstance(d, str) for d in difficulties):
        errors["difficulties"] = "应为困难类别的列表 (a list of difficulty codes)"
    else:
        words = _difficulty_words()
        codes = [str(words.get(d, d)) for d in difficulties]
        unknown = [d for d in codes if d not in DIFFICULTY_SET]
        if unknown:
            errors["difficulties"] = f"未知的困难类别 (unknown difficulty): {unknown[0][:30]}"
        else:
            values["difficulties"] = [c for c in DIFFICULTY_CODES if c in codes]

    note = raw.get("note") or ""
    reason = raw.get("over_headcount_reason") or ""
    if not isinstance(note, str) or len(note) > 2000:
        errors["note"] = "备注最多2000字 (at most 2,000 characters)"
    else:
        values["note"] = _text(note)
    if not isinstance(reason, str) or len(reason) > 200:
        errors["over_headcount_reason"] = "最多200字 (at most 200 characters)"
    else:
        values["over_headcount_reason"] = _text(reason)

    # Combinations that cannot be true.
    staff = values.get("staff_on_site")
    status = values.get("status")
    if staff is not None and staff > headcount and not values.get("over_headcount_reason"):
        errors.setdefault(
            "over_headcount_reason",
            f"在岗人数超过正常用工{headcount}人，请说明原因 "
            f"(staff on site is above the normal headcount of {headcount}: give a reason)",
        )
    if status == Status.FULL and staff == 0:
        errors.setdefault(
            "staff_on_site", "全面复工但在岗人数为0 (full resumption with nobody on site)"
        )
    if status == Status.NOT_RESUMED and values.get("capacity_pct"):
        errors.setdefault(
            "capacity_pct", "未复工时产能应为0 (capacity must be 0 while not resumed)"
        )
    if (
        values.get("confirmed") is not None
        and values.get("suspected") is not None
        and staff is not None
        and values.get("fever") is not None
        and values["fever"] > max(staff, headcount)
    ):
        errors.setdefault("fever", "发热人数超过员工人数 (more fever cases than staff)")
    return out


def changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        k: [_plain(before.get(k)), _plain(after.get(k))]
        for k in FIELDS
        if k != "date" and before.get(k) != after.get(k)
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
