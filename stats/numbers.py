"""Numbers written the Chinese way, as official briefs write them (seed 003: "1792户",
"68.7万人", "65%", "64.5%").

Counts of 10,000 or more are written in 万 (one decimal, a trailing ".0" dropped), and of
100,000,000 or more in 亿; smaller counts are written whole. Percentages carry at most one
decimal. A missing figure (None, or a rate with nothing to divide by) is "—". Rounding is half
up on the decimal value, never banker's rounding on a binary float, so 64.45% reads "64.5%"
as a person rounding by hand would write it.
"""

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

NONE = "—"
WAN = Decimal(10_000)
YI = Decimal(100_000_000)
_ONE_PLACE = Decimal("0.1")


def _decimal(value: int | float | Decimal | None) -> Decimal | None:
    """The value as a Decimal, or None when it is missing or not a finite number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        # repr is the shortest string that reads back as the same float: 0.645 stays 0.645
        # rather than 0.64500000000000001776…, so half-up rounding does what a person expects.
        return Decimal(repr(value))
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return d if d.is_finite() else None


def _context(value: Decimal):
    """Enough precision for every digit of `value` and one decimal (28 digits by default would
    make quantize fail on a float such as 1e300)."""
    return localcontext(prec=max(28, value.adjusted() + 4))


def one_place(value: Decimal) -> str:
    """At most one decimal, half up, without a trailing ".0" (64.50 → "64.5", 65.0 → "65")."""
    with _context(value):
        rounded = value.quantize(_ONE_PLACE, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return str(int(rounded))
    return f"{rounded:f}"


def count(value: int | float | Decimal | None, unit: str = "") -> str:
    """A count with its measure word: 1792 → "1792户", 687000 → "68.7万人", 2.3e8 → "2.3亿人"."""
    d = _decimal(value)
    if d is None:
        return NONE
    with _context(d):
        return _count(d, unit)


def _count(d: Decimal, unit: str) -> str:
    sign = "-" if d < 0 else ""
    d = abs(d)
    if d < WAN:
        whole = d.quantize(Decimal(1), rounding=ROUND_HALF_UP)
        if whole < WAN:
            return f"{sign}{int(whole)}{unit}"
        d = whole  # 9999.5 rounds up into 万
    in_wan = (d / WAN).quantize(_ONE_PLACE, rounding=ROUND_HALF_UP)
    if d < YI and in_wan < WAN:
        return f"{sign}{one_place(in_wan)}万{unit}"
    # 99,999,999 would round to "10000万": written as "1亿" instead.
    return f"{sign}{one_place(d / YI)}亿{unit}"


def people(value: int | float | Decimal | None) -> str:
    """Staff numbers: 750 → "750人", 687000 → "68.7万人"."""
    return count(value, "人")


def enterprises(value: int | float | Decimal | None) -> str:
    """Enterprise counts: 1792 → "1792户"."""
    return count(value, "户")


def cases(value: int | float | Decimal | None) -> str:
    """Case counts (fever, suspected, confirmed): 3 → "3例"."""
    return count(value, "例")


def percent(rate: int | float | Decimal | None) -> str:
    """A rate given as a fraction, as a percentage: 0.65 → "65%", 0.645 → "64.5%"."""
    d = _decimal(rate)
    if d is None:
        return NONE
    with _context(d * 100):
        return one_place(d * 100) + "%"


def percentage(rate: int | float | Decimal | None) -> Decimal | None:
    """A rate given as a fraction, in per cent with exactly one decimal, rounded as `percent`
    rounds it (0.0625 → 6.3, 0.65 → 65.0): for tables and charts that keep the ".0"."""
    d = _decimal(rate)
    if d is None:
        return None
    with _context(d * 100):
        return (d * 100).quantize(_ONE_PLACE, rounding=ROUND_HALF_UP)
