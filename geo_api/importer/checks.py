"""What every layer's row checks share: rejects that name row, field and value,
and the checked rows that go on to the store."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import shapely


@dataclass(frozen=True)
class Reject:
    """A row that did not land, and why: the row as the user counts it, the field."""

    row: int
    field: str
    value: str | None
    reason: str

    def message(self) -> str:
        shown = "" if self.value is None else f" {self.value!r}"
        return f"row {self.row}, {self.field}{shown}: {self.reason}"


@dataclass
class Checked:
    """One chunk after its checks: rows ready to stage, rejects, and notes (repairs)."""

    rows: pd.DataFrame
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class RowErrors:
    """Collects each row's first problem; a rejected row is checked no further."""

    def __init__(self, rows: pd.Series) -> None:
        self.rows = rows.to_numpy()
        self.bad = np.zeros(len(self.rows), dtype=bool)
        self.rejects: list[Reject] = []

    def flag(self, mask: np.ndarray, field: str, values: pd.Series | None, reason: str) -> None:
        """Reject the rows of ``mask`` not rejected yet, naming field and value."""
        fresh = np.asarray(mask, dtype=bool) & ~self.bad
        for k in np.flatnonzero(fresh):
            value = None if values is None else values.iat[int(k)]
            shown = (
                None
                if value is None or (isinstance(value, float) and np.isnan(value))
                else str(value)
            )
            self.rejects.append(Reject(int(self.rows[k]), field, shown, reason))
        self.bad |= fresh


def text_column(chunk: pd.DataFrame, source: str | None) -> pd.Series:
    """A source column stripped, with empty strings as None (all None if absent)."""
    if source is None:
        return pd.Series([None] * len(chunk), index=chunk.index, dtype=object)
    values = chunk[source].astype(object)
    stripped = values.where(values.isna(), values.astype(str).str.strip())
    return stripped.where(stripped.notna() & (stripped != ""), None)


def polygons(geoms: np.ndarray, errors: RowErrors, notes: list[str], multi: bool) -> np.ndarray:
    """Polygonal geometries: empty or non-areal ones rejected, invalid ones repaired
    with make_valid (and listed in ``notes``); MultiPolygon when ``multi``."""
    geoms = np.array(geoms, dtype=object)  # a copy: repairs must not touch the chunk
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    errors.flag(missing, "geometry", None, "no geometry: an area needs its boundary")
    kinds = shapely.get_type_id(geoms)
    areal = np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    errors.flag(
        ~missing & ~areal,
        "geometry",
        pd.Series([None if g is None else g.geom_type for g in geoms], dtype=object),
        "not a polygon",
    )
    invalid = ~errors.bad & ~shapely.is_valid(geoms)
    collapsed = np.zeros(len(geoms), dtype=bool)
    for k in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[k])
        geoms[k] = _areal_part(shapely.make_valid(geoms[k]))
        if shapely.is_empty(geoms[k]) or shapely.get_type_id(geoms[k]) not in (3, 6):
            collapsed[k] = True  # nothing areal survives the repair: no area at all
            continue
        notes.append(f"row {errors.rows[k]}: invalid geometry ({reason}) repaired with make_valid")
    errors.flag(collapsed, "geometry", None, "no area: the outline collapses to lines or points")
    if multi:
        single = shapely.get_type_id(geoms) == 3
        wrap = np.flatnonzero(single & ~errors.bad)
        for k in wrap:
            geoms[k] = shapely.MultiPolygon([geoms[k]])
    else:
        several = (shapely.get_type_id(geoms) == 6) & ~errors.bad
        parts = (
            np.array([shapely.get_num_geometries(g) for g in geoms]) if len(geoms) else np.array([])
        )
        errors.flag(several & (parts > 1), "geometry", None, "several polygons: a compound is one")
        one = several & (parts == 1)
        geoms[one] = [shapely.get_geometry(g, 0) for g in geoms[one]]
    return geoms


def _areal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of what make_valid returned (it may add lines or points)."""
    if shapely.get_type_id(geom) == 7:  # GeometryCollection
        parts = [g for g in shapely.get_parts(geom) if shapely.get_type_id(g) in (3, 6)]
        return shapely.union_all(parts) if parts else shapely.Polygon()
    return geom
