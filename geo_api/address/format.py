"""Write an address that gridgov's own parser reads back to the same parts.

Addresses written by gluing the parts together can be misread: a compound name
ending in digits runs into the building number ("Kortteli 111" + building 41
gives "Kortteli 11141号楼"), and one ending in 第 takes the building's 第.
``format_address`` writes the plain form (浍滨街道新田社区水岸明珠3号楼2单元501室)
and, where that does not read back, puts a "·" after the compound name, which
normalisation keeps as a boundary ("Kortteli 111·41号楼2单元501室"). It checks
its answer with ``parse_address``: what it returns always reads back, and a name
that cannot be written so is refused with an error that names it.
"""

from __future__ import annotations

import re
from functools import lru_cache

from geo_api.address.parse import ParsedAddress, normalise, parse_address, zone_of
from geo_api.errors import InvalidInputError

# Between the compound name and the tail: nothing, or a boundary the parser keeps.
SEPARATORS = ("", "·")
_LABEL = re.compile(r"\d{0,4}[A-Za-z]", re.ASCII)
# A building cell that names a lettered building: 12A, 12A号楼, 12-A, 12A座, A座, A栋.
_LETTERED_CELL = re.compile(r"^(\d{0,4})[-\s]?([A-Za-z])\s*(?:号楼|号|楼|栋|幢|座)?$", re.ASCII)
_ROOM = re.compile(r"\d{1,5}[A-Za-z]?", re.ASCII)
# What the reading of an address depends on besides the names: whether the building
# is a number, a number with a letter ("label") or a letter only ("letter"), and
# whether building and unit are given.
Shape = tuple[str | None, bool, bool]


def format_address(
    community: str | None,
    compound: str,
    building: int | None,
    unit: int | None,
    room: str | None,
    building_label: str | None = None,
    zone: str | None = None,
    *,
    street: str | None = None,
) -> str:
    """The written address of a home (新田社区水岸明珠3号楼2单元501室) that
    ``parse_address`` reads back to these parts. A lettered building is written by
    its label (12A号楼, A号楼) instead of its number; a ``zone`` (B区) is written
    after the compound unless its name ends with it. Raises InvalidInputError for a
    part that is not one (room "5-01", label "AB") or a name that cannot be
    written so that it reads back."""
    if room is not None and not _ROOM.fullmatch(room):
        raise InvalidInputError(f"room {room!r}: digits with an optional letter (501, 501A)")
    prefix = address_prefix(
        community, compound, building, unit, building_label, zone, street=street
    )
    return prefix if room is None else f"{prefix}{room.upper()}室"


def address_prefix(
    community: str | None,
    compound: str,
    building: int | None,
    unit: int | None,
    building_label: str | None = None,
    zone: str | None = None,
    *,
    street: str | None = None,
) -> str:
    """``format_address`` without the room, for writing the many homes of a unit:
    ``format_address(..., room)`` is this followed by the room and 室, whatever the
    room, and this alone reads back too."""
    label = _check(building, unit, building_label)
    street, community, name = _names(street, community, compound, zone)
    lettered = "label" if label and label[:-1] else ("letter" if label else None)
    shape = (lettered, building is not None or label is not None, unit is not None)
    separator = _separator(street, community, name, shape)
    if separator is None and community is not None:
        # A compound named like a generic word (家园, 花园…) runs into its community's
        # name (新田社区家园 reads as one compound): the address goes without the
        # community, which only tells apart compounds of one name.
        community = None
        separator = _separator(street, community, name, shape)
    if separator is None:
        raise InvalidInputError(
            f"compound {compound!r} (community {community!r}): no written address reads "
            "back as this compound, building, unit and room; rename the compound"
        )
    number = label if label else (None if building is None else str(building))
    return f"{street or ''}{community or ''}{name}{separator}{_tail(number, unit, None)}"


def _tail(building: str | None, unit: int | None, room: str | None) -> str:
    """3号楼2单元501室, with the parts that are given."""
    return "".join(
        (
            f"{building}号楼" if building is not None else "",
            f"{unit}单元" if unit is not None else "",
            f"{room}室" if room is not None else "",
        )
    )


@lru_cache(maxsize=65_536)
def _separator(street: str | None, community: str | None, name: str, shape: Shape) -> str | None:
    """The first separator after the compound name with which addresses of this
    shape read back, with a room and without, or None. The parser reads every run
    of digits alike (the tail's patterns take digit runs whole), so the answer holds
    for any numbers; probing with fixed ones lets a city of millions of homes be
    written at the cost of one check per compound and shape."""
    lettered, has_building, has_unit = shape
    label = {"label": "12A", "letter": "A", None: None}[lettered]
    building = 12 if has_building and label is None else None
    unit = 3 if has_unit else None
    number = label if label else (None if building is None else str(building))
    head = f"{street or ''}{community or ''}{name}"
    for separator in SEPARATORS:
        if all(
            _reads_back(
                parse_address(f"{head}{separator}{_tail(number, unit, room)}"),
                {
                    "street": street,
                    "community": community,
                    "compound": name,
                    "building": 12 if label == "12A" else building,
                    "building_suffix": label[-1] if label else None,
                    "unit": unit,
                    "room": room,
                    "unparsed": "",
                },
            )
            for room in (None, "501")
        ):
            return separator
    return None


@lru_cache(maxsize=65_536)
def _names(
    street: str | None, community: str | None, compound: str, zone: str | None
) -> tuple[str | None, str | None, str]:
    """Street, community and compound (with its zone) as written, checked."""
    name = normalise(compound)
    if not name:
        raise InvalidInputError(f"compound {compound!r}: an address needs a compound name")
    if zone is not None and zone_of(f"名{zone}") is None:
        raise InvalidInputError(f"zone {zone!r}: a letter, number or direction and 区 (B区)")
    if zone is not None and zone_of(name) != zone_of(f"名{zone}"):
        name += normalise(zone)
    return (
        (normalise(street) if street else None),
        (normalise(community) if community else None),
        name,
    )


def _check(building: int | None, unit: int | None, label: str | None) -> str | None:
    """The canonical building label (upper-cased) after checking the numbers."""
    for name, value in (("building", building), ("unit", unit)):
        if value is not None and not (isinstance(value, int) and value > 0):
            raise InvalidInputError(f"{name} {value!r}: a number above 0")
    if label is not None and not _LABEL.fullmatch(label):
        raise InvalidInputError(f"building label {label!r}: a letter after digits (12A, A)")
    return label.upper() if label else None


def _reads_back(parsed: ParsedAddress, want: dict[str, object]) -> bool:
    """Whether ``parsed`` holds exactly the parts wanted."""
    return all(getattr(parsed, name) == value for name, value in want.items())


def lettered(text: str) -> str | None:
    """The label (building.label) a building cell names when it is lettered: "12A" for
    12A, 12A号楼, 12-A or 12A座; "A" for A座 or A栋; None for a plain number."""
    found = _LETTERED_CELL.match(text.strip())
    return None if found is None else f"{found.group(1)}{found.group(2).upper()}"
