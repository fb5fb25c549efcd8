"""The personal-data variant of an export, opted into: households with their address,
room and what their register says (head of household, phone, registration date,
remarks), heads with their name and phone.

Planners' exports never carry it. Admins and officers get it in full (officers
for their own area only), and the caller records each such export in the audit
log with the ids it held; the command centre gets names and phones masked (张*明,
138****1234), as in its other answers, and addresses down to the unit without the
room.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from geo_api.auth.audit import id_ranges
from geo_api.auth.roles import LABELS, Caller
from geo_api.catalogue.layers import Layer
from geo_api.errors import ForbiddenError
from geo_api.export.batches import Transform
from geo_api.privacy import mask_address, mask_name, mask_phone, mask_room

Variant = Literal["full", "masked"]


@dataclass(frozen=True)
class Personal:
    """The personal columns of a layer's rows: their table (keyed by the layer's id)."""

    table: str
    columns: tuple[str, ...]
    masks: dict[str, Transform] = field(default_factory=dict)
    kind: str = ""  # what the audit log calls one record: "household", "head"


PERSONAL = {
    "households": Personal(
        "household",
        ("address", "room", "household_no", "head_name", "phone", "registered_on", "remarks"),
        {
            "address": mask_address,
            "room": mask_room,
            "head_name": mask_name,
            "phone": mask_phone,
            "household_no": mask_name,
            "remarks": lambda value: "***",
        },
        "household",
    ),
    "heads": Personal("head", ("name", "phone"), {"name": mask_name, "phone": mask_phone}, "head"),
    "officers": Personal(
        "grid_officer", ("name", "phone"), {"name": mask_name, "phone": mask_phone}, "officer"
    ),
}


def variant_for(caller: Caller) -> Variant:
    """The variant a caller may have: in full for admins and officers, masked for the
    command centre; planners get none (ForbiddenError says so)."""
    if not caller.personal:
        raise ForbiddenError(
            f"{LABELS[caller.role]} ({caller.role}) keys may not export personal data; "
            "leave out people=true for the export without it"
        )
    return "full" if caller.reveals else "masked"


def with_people(layer: Layer) -> Layer:
    """The layer with its personal columns joined on its id (the same rows, the same
    area condition)."""
    personal = PERSONAL[layer.name]
    columns = ", ".join(f"p.{c}" for c in personal.columns)
    sql = (  # constant fragments of this module and the catalogue
        f"SELECT l.*, {columns} FROM ({layer.sql}) AS l "  # noqa: S608
        f"JOIN {personal.table} p ON p.id = l.id"
    )
    return replace(layer, sql=sql, title_en=f"{layer.title_en}, with personal data")


def _noting(ids: list[int]) -> Callable[[Any], Any]:
    def note(value: Any) -> Any:
        ids.append(int(value))
        return value

    return note


def personal_layer(
    layer: Layer, variant: Variant | None, shown: dict[str, list[int]] | None = None
) -> tuple[Layer, dict[str, Transform]]:
    """The layer as the variant exports it, and the masks its values go through; in
    full, the ids written are noted in ``shown`` (for the audit log) as they stream."""
    if variant is None or layer.name not in PERSONAL:
        return layer, {}
    masks = dict(PERSONAL[layer.name].masks) if variant == "masked" else {}
    if variant == "full" and shown is not None:
        masks["id"] = _noting(shown.setdefault(layer.name, []))
    return with_people(layer), masks


def audit_records(written: dict[str, int], shown: dict[str, list[int]]) -> list[str]:
    """What the audit log says an export with personal data held: how many of each
    layer ("households:60000") and which ("household:1-59998", "household:60000")."""
    counts = [f"{name}:{written[name]}" for name in PERSONAL if name in written]
    ranges = [r for name, ids in shown.items() for r in id_ranges(PERSONAL[name].kind, ids)]
    return counts + ranges


@contextmanager
def written_privately(target: Path) -> Iterator[None]:
    """Files of an export with personal data are made 0600 (folders 0700), readable by
    their owner only: the process's umask is 077 while it writes, and whatever was at
    ``target`` before (a file written over) is tightened after."""
    before = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(before)
        paths = [target, *target.rglob("*")] if target.is_dir() else [target]
        for path in paths:
            if path.exists():
                path.chmod(0o700 if path.is_dir() else 0o600)
