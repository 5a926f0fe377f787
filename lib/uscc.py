"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Eighteen characters: registration authority (1), category (1), region code (6 digits),
organisation code (9), check character (1). The check character is computed over the first 17
with weights 3^i mod 31 in the 31-character alphabet below. python-stdnum rejects codes whose
first character is a letter (authorities A, N, Y …), which the standard allows, so we own it.
"""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]


class UsccError(ValueError):
    """The code fails one named check; `check` says which."""

    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check = check


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(value: str) -> str:
    """Return the normalised code (upper case, no spaces) or raise UsccError naming the check."""
    code = "".join(str(value).split()).upper()
    if len(code) != 18:
        raise UsccError(
            "length",
            f"统一社会信用代码应为18位，实际{len(code)}位 (USCC must have 18 characters, got {len(code)})",
        )
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        raise UsccError(
            "charset",
            f"统一社会信用代码含非法字符 {''.join(bad)}（不使用I、O、Z、S、V）"
            f" (USCC contains characters outside its alphabet: {''.join(bad)})",
        )
    if not code[2:8].isdigit():
        raise UsccError(
            "region",
            f"第3–8位应为行政区划码（数字）：{code[2:8]} (characters 3-8 must be a region code)",
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise UsccError(
            "check_character",
            f"校验位错误：应为{expected}，实际为{code[17]} (wrong check character: expected {expected}, got {code[17]})",
        )
    return code


def is_valid(value: str) -> bool:
    try:
        validate(value)
    except UsccError:
        return False
    return True


def make(prefix17: str) -> str:
    """Complete 17 characters with their check character (for demo data and tests)."""
    return prefix17 + check_character(prefix17)
