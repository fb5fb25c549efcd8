"""Streets, communities, grids and compounds: areas with a code, a name, a parent.

Codes follow the statistical hierarchy (9, 12, 15 digits; compounds up to 20
characters). A parent is named by its code in the row, or, when the row has
none, by the leading digits of the child's own code. Re-importing a file
changes nothing: rows are upserted on their code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.importer.checks import Checked, RowErrors, polygons, text_column
from geo_api.importer.coords import SourceCRS


@dataclass(frozen=True)
class AreaLayer:
    """How one area layer is checked and stored."""

    table: str
    code: re.Pattern[str]
    code_rule: str  # said in rejects
    parent: str | None  # parent table
    parent_field: str | None  # the canonical field naming the parent's code
    prefix: int  # digits of the own code that make the parent's code
    multi: bool  # stored as MultiPolygon


AREAS = {
    "streets": AreaLayer("street", re.compile(r"^\d{9}$"), "9 digits", None, None, 0, True),
    "communities": AreaLayer(
        "community", re.compile(r"^\d{12}$"), "12 digits", "street", "street_code", 9, True
    ),
    "grids": AreaLayer(
        "grid", re.compile(r"^\d{15}$"), "15 digits", "community", "community_code", 12, True
    ),
    "compounds": AreaLayer(
        "compound",
        re.compile(r"^[0-9A-Za-z-]{1,20}$"),
        "1 to 20 letters, digits or '-'",
        "grid",
        "grid_code",
        15,
        False,
    ),
}


def parent_ids(conn: Connection, layer: AreaLayer) -> dict[str, tuple[int, int | None]]:
    """Parent code -> (id, its community id for grids) for the layer's parent table."""
    if layer.parent is None:
        return {}
    extra = "community_id" if layer.parent == "grid" else "NULL"
    rows = conn.execute(text(f"SELECT code, id, {extra} FROM {layer.parent}"))  # noqa: S608
    return {str(code): (int(i), None if c is None else int(c)) for code, i, c in rows}


def check_areas(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    layer: AreaLayer,
    crs: SourceCRS,
    parents: dict[str, tuple[int, int | None]],
    seen: dict[str, int],
) -> Checked:
    """Check one chunk of an area layer; ``seen`` (code -> row) spans the whole file."""
    errors = RowErrors(chunk["_row"])
    notes: list[str] = []
    code = text_column(chunk, fields.get("code"))
    name = text_column(chunk, fields.get("name"))
    errors.flag(code.isna().to_numpy(), "code", None, "missing")
    bad_code = code.notna() & ~code.fillna("").str.match(layer.code.pattern)
    errors.flag(bad_code.to_numpy(), "code", code, f"must be {layer.code_rule}")
    errors.flag(name.isna().to_numpy(), "name", None, "missing")
    errors.flag((name.fillna("").str.len() > 200).to_numpy(), "name", name, "longer than 200")
    for k, value in enumerate(code):
        if value is not None and not errors.bad[k]:
            if value in seen:
                errors.flag(
                    np.arange(len(code)) == k, "code", code, f"duplicate: row {seen[value]} has it"
                )
            else:
                seen[value] = int(errors.rows[k])
    out = pd.DataFrame({"_row": chunk["_row"].to_numpy(), "code": code, "name": name})
    if layer.parent is not None:
        assert layer.parent_field is not None
        given = text_column(chunk, fields.get(layer.parent_field))
        derived = code.fillna("").str[: layer.prefix]
        parent_code = given.where(given.notna(), derived)
        found = parent_code.map(lambda c: parents.get(c))
        errors.flag(
            found.isna().to_numpy(),
            layer.parent_field,
            parent_code,
            f"no {layer.parent} with this code in the store: import the {layer.parent}s first",
        )
        out[f"{layer.parent}_id"] = pd.array(
            [f[0] if isinstance(f, tuple) else None for f in found], dtype="Int64"
        )
        if layer.parent == "grid":
            out["community_id"] = pd.array(
                [f[1] if isinstance(f, tuple) else None for f in found], dtype="Int64"
            )
    geoms = polygons(chunk["geometry"].to_numpy(), errors, notes, layer.multi)
    good = ~errors.bad
    lonlat = crs.geometries(geoms[good])
    frame = gpd.GeoDataFrame(out[good].reset_index(drop=True), geometry=list(lonlat), crs=4326)
    return Checked(frame, errors.rejects, notes)


UPSERT = {
    "streets": ("street", ["code", "name", "geom"], ["name", "geom"]),
    "communities": (
        "community",
        ["code", "name", "street_id", "geom"],
        ["name", "street_id", "geom"],
    ),
    "grids": ("grid", ["code", "name", "community_id", "geom"], ["name", "community_id", "geom"]),
    "compounds": (
        "compound",
        ["code", "name", "grid_id", "community_id", "geom"],
        ["name", "grid_id", "community_id", "geom"],
    ),
}
