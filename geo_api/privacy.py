"""Masking of personal data (PIPL): names, phones and home addresses are shown
masked to roles that do not need them in full (geo_api.auth.roles); roles that see
them in full have every such read recorded in the audit log.
"""

from __future__ import annotations

import re

# Where an address reaches its unit (or building): what is kept of it.
_UNIT_END = re.compile(r"^.*(单元|号楼|栋|幢)")
# Otherwise, its trailing numbers (3-2-501, 501室) are the home.
_TRAILING_NUMBERS = re.compile(r"[0-9０-９]+([-－][0-9０-９]+)*\s*室?$")


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


def mask_address(address: str) -> str:
    """浍滨街道水岸明珠3号楼2单元*** for …2单元501室: down to the unit (or building),
    without the room; a unit holds about 18 households, so no one home is named."""
    found = _UNIT_END.match(address)
    if found is not None:
        return found.group(0) + "***"
    if _TRAILING_NUMBERS.search(address):
        return _TRAILING_NUMBERS.sub("***", address)
    return address[: len(address) // 2] + "***"


def mask_room(room: str) -> str:
    """*** for any room: the room is what names the home."""
    return "***" if room else room
