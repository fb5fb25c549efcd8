"""Buildings (楼栋) and units (单元): footprints numbered within their parent.

A building is named by its compound's code and its number (3 for 3号楼, digits
or Chinese numerals); a unit by the compound's code, its building's number and
its own. Footprints are polygons, repaired with make_valid when invalid.
Upserted on (compound, number) and (building, number).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, text

from geo_api.address import parse_number
from geo_api.importer.checks import Checked, RowErrors, polygons, text_column
from geo_api.importer.coords import SourceCRS

PARENTS_SQL = {
    "buildings": "SELECT code, id FROM compound",
    "units": """SELECT cp.code || '/' || b.number, b.id FROM building b
                JOIN compound cp ON cp.id = b.compound_id""",
}
UPSERT = {
    "buildings": (
        "building",
        ["compound_id", "number"],
        ["compound_id", "number", "floors", "geom"],
        ["floors", "geom"],
    ),
    "units": ("unit", ["building_id", "number"], ["building_id", "number", "geom"], ["geom"]),
}


def cell_parents(conn: Connection, layer: str) -> dict[str, int]:
    """Parent key -> id: compound code for buildings, 'code/building' for units."""
    return {str(k): int(v) for k, v in conn.execute(text(PARENTS_SQL[layer]))}


def _whole(values: pd.Series, errors: RowErrors, name: str, high: int) -> pd.Series:
    """Positive whole numbers (digits or Chinese numerals); others rejected."""
    parsed = values.map(lambda v: None if v is None else parse_number(str(v).rstrip("号楼栋幢层")))
    errors.flag(values.isna().to_numpy(), name, None, "missing")
    bad = values.notna() & (parsed.isna() | ~parsed.fillna(1).between(1, high))
    errors.flag(bad.to_numpy(), name, values, f"must be a whole number from 1 to {high}")
    return parsed


def check_cells(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    layer: str,
    crs: SourceCRS,
    parents: dict[str, int],
    seen: dict[str, int],
) -> Checked:
    """Check one chunk of buildings or units; ``seen`` (key -> row) spans the file."""
    errors = RowErrors(chunk["_row"])
    notes: list[str] = []
    compound = text_column(chunk, fields.get("compound_code"))
    errors.flag(compound.isna().to_numpy(), "compound_code", None, "missing")
    number = _whole(text_column(chunk, fields.get("number")), errors, "number", 999)
    out = pd.DataFrame({"_row": chunk["_row"].to_numpy(), "number": number})
    if layer == "buildings":
        parent_key = compound
        floors = text_column(chunk, fields.get("floors"))
        out["floors"] = _whole(floors, errors, "floors", 200)
        parent_field, parent_rule = "compound_code", "no compound with this code"
    else:
        building = _whole(text_column(chunk, fields.get("building")), errors, "building", 999)
        parent_key = compound + "/" + building.map(lambda b: "" if b is None else str(int(b)))
        parent_field, parent_rule = "building", "no such building of this compound"
    parent = parent_key.map(lambda k: parents.get(str(k)))
    errors.flag(
        (parent.isna() & compound.notna()).to_numpy(),
        parent_field,
        parent_key,
        f"{parent_rule} in the store: import it first",
    )
    own_key = parent_key + "#" + number.map(lambda n: "" if n is None else str(int(n)))
    for k, key in enumerate(own_key.tolist()):
        if not errors.bad[k]:
            if key in seen:
                mask = np.arange(len(own_key)) == k
                errors.flag(mask, "number", number, f"duplicate: row {seen[key]} has it")
            else:
                seen[key] = int(errors.rows[k])
    out["compound_id" if layer == "buildings" else "building_id"] = pd.array(
        parent.tolist(), dtype="Int64"
    )
    geoms = polygons(chunk["geometry"].to_numpy(), errors, notes, multi=False)
    good = ~errors.bad
    frame = out[good].reset_index(drop=True)
    for column in ("number", "floors"):
        if column in frame:
            frame[column] = frame[column].astype("int64")
    lonlat = crs.geometries(geoms[good])
    return Checked(gpd.GeoDataFrame(frame, geometry=list(lonlat), crs=4326), errors.rejects, notes)
