"""Masking of personal data for people who do not need to see it (GB/T 35273-2020)."""


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
