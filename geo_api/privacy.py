"""Masking of personal data (PIPL): names and phones are shown masked by default.

Full values are for roles that need them (the API issue brings roles and the
audit log of every unmasked read); until then gridgov only ever shows masks.
"""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张*明 for 张三明, 张* for 张三: the surname and, for 3+ characters, the last one."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(phone: str) -> str:
    """138****1234: the first three and last four digits of a mobile number."""
    if len(phone) < 8:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
