"""The personal-data variant of an export, opted into: households with their address,
room and what their register says (head of household, phone, registration date,
remarks), heads with their name and phone.

Planners' exports never carry it. Admins and officers get it in full (officers
for their own area only), and the caller records each such export in the audit
log; the command centre gets names and phones masked (张*明, 138****1234), as in
its other answers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from geo_api.auth.roles import LABELS, Caller
from geo_api.catalogue.layers import Layer
from geo_api.errors import ForbiddenError
from geo_api.export.batches import Transform
from geo_api.privacy import mask_name, mask_phone

Variant = Literal["full", "masked"]


@dataclass(frozen=True)
class Personal:
    """The personal columns of a layer's rows: their table (keyed by the layer's id)."""

    table: str
    columns: tuple[str, ...]
    masks: dict[str, Transform] = field(default_factory=dict)


PERSONAL = {
    "households": Personal(
        "household",
        ("address", "room", "household_no", "head_name", "phone", "registered_on", "remarks"),
        {
            "head_name": mask_name,
            "phone": mask_phone,
            "household_no": mask_name,
            "remarks": lambda value: "***",
        },
    ),
    "heads": Personal("head", ("name", "phone"), {"name": mask_name, "phone": mask_phone}),
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


def personal_layer(layer: Layer, variant: Variant | None) -> tuple[Layer, dict[str, Transform]]:
    """The layer as the variant exports it, and the masks its values go through."""
    if variant is None or layer.name not in PERSONAL:
        return layer, {}
    masks = PERSONAL[layer.name].masks if variant == "masked" else {}
    return with_people(layer), masks


def audit_records(written: dict[str, int]) -> list[str]:
    """What the audit log says an export with personal data held: "households:60000"."""
    return [f"{name}:{written[name]}" for name in PERSONAL if name in written]
