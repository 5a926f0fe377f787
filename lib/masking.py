"""Masking of personal data for people who do not need to see it (GB/T 35273-2020), and of
secrets wherever they are shown."""

import re
from urllib.parse import parse_qsl, urlsplit, urlunsplit


def mask_phone(phone: str) -> str:
    """138****1234 for mobiles; keep the first three and last four of anything long enough."""
    digits = phone.strip()
    if len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) > 2:
        return digits[0] + "*" * (len(digits) - 2) + digits[-1]
    return "*" * len(digits)


def mask_name(name: str) -> str:
    """张** for 张三丰: the family name stays."""
    name = name.strip()
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else name


# A mainland mobile number, also written in groups ("138 1234 5678", "138-1234-5678"), and an
# 18-character resident identity number (GB 11643: region, birth date, serial, check character).
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d(?:[ -]?\d{4}){2}(?!\d)")
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![0-9A-Za-z])"
)


def mask_text(text: str) -> str:
    """Free text with any mobile or identity number in it masked (for messages that leave the
    site: e-mail, group robots)."""
    text = _ID_NUMBER.sub(lambda m: mask_phone(m.group()), text)
    return _MOBILE.sub(lambda m: mask_phone(re.sub(r"[ -]", "", m.group())), text)


def mask_secret(value: str) -> str:
    """SEC…1a2b: enough to tell two secrets apart, never enough to use one."""
    if not value:
        return ""
    if len(value) < 12:
        return "…"
    return f"{value[:3]}…{value[-4:]}"


def mask_url(url: str) -> str:
    """A webhook address with its query values (access tokens, keys) masked."""
    parts = urlsplit(url)
    query = "&".join(
        f"{name}={mask_secret(value)}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))
