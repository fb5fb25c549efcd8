"""What every layer's row checks share: rejects that name row, field and value,
and the checked rows that go on to the store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo_api.importer.phones import lost_leading_zero, normalise_phone, phone_problem
from geo_api.importer.values import parse_date


@dataclass(frozen=True)
class Reject:
    """A row that did not land, and why: the row as the user counts it (``where``: "row 7"
    in a sheet, "line 8" in a CSV, "feature 3"), the field and the file's own column."""

    row: int
    field: str
    value: str | None
    reason: str
    column: str | None = None  # the file's header for ``field``: 经度, 地址
    where: str | None = None

    def message(self) -> str:
        """The reject as one line: where, which column, the value, why."""
        shown = "" if self.value is None else f" {self.value!r}"
        return (
            f"{self.where or f'row {self.row}'}, {self.column or self.field}{shown}: {self.reason}"
        )


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


def by_value(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """``function`` of each present value (None where absent), called once per distinct
    value: a register repeats its rooms, buildings, dates and yes/no many times over."""
    codes, distinct = pd.factorize(values.astype(object), use_na_sentinel=True)
    out = np.full(len(values), None, dtype=object)
    if len(distinct):
        results = np.empty(len(distinct), dtype=object)
        results[:] = [function(v) for v in distinct.tolist()]
        present = codes >= 0
        out[present] = results[codes[present]]
    return pd.Series(out, index=values.index, dtype=object, name=values.name)


def _stripped(value: object) -> str | None:
    text = str(value).strip()
    return text or None


def text_column(chunk: pd.DataFrame, source: str | None) -> pd.Series:
    """A source column stripped, with empty strings as None (all None if absent)."""
    if source is None:
        return pd.Series([None] * len(chunk), index=chunk.index, dtype=object)
    return by_value(chunk[source], _stripped)


def polygons(
    geoms: np.ndarray, errors: RowErrors, repaired: list[int], multi: bool, repair: bool = False
) -> np.ndarray:
    """Polygonal geometries: empty or non-areal ones rejected; invalid ones rejected naming
    the defect, or with ``repair`` mended with make_valid (their positions added to
    ``repaired``, for the caller to report their areas); MultiPolygon when ``multi``."""
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
    if not repair:
        reasons = pd.Series(
            [
                shapely.is_valid_reason(g) if bad else None
                for g, bad in zip(geoms, invalid, strict=True)
            ],
            dtype=object,
        )
        for reason in sorted(set(reasons[invalid])):
            errors.flag(
                invalid & (reasons == reason).to_numpy(),
                "geometry",
                None,
                f"invalid polygon ({reason}): fix it, or import with --repair",
            )
        invalid[:] = False
    collapsed = np.zeros(len(geoms), dtype=bool)
    for k in np.flatnonzero(invalid):
        geoms[k] = _areal_part(shapely.make_valid(geoms[k]))
        if shapely.is_empty(geoms[k]) or shapely.get_type_id(geoms[k]) not in (3, 6):
            collapsed[k] = True  # nothing areal survives the repair: no area at all
            continue
        repaired.append(int(k))
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
        errors.flag(
            several & (parts > 1),
            "geometry",
            None,
            "a MultiPolygon of several parts: one polygon is expected",
        )
        one = several & (parts == 1)
        geoms[one] = [shapely.get_geometry(g, 0) for g in geoms[one]]
    return geoms


def _areal_part(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygons of what make_valid returned (it may add lines or points)."""
    if shapely.get_type_id(geom) == 7:  # GeometryCollection
        parts = [g for g in shapely.get_parts(geom) if shapely.get_type_id(g) in (3, 6)]
        return shapely.union_all(parts) if parts else shapely.Polygon()
    return geom


def phones(column: pd.Series, errors: RowErrors, flags: list[str]) -> pd.Series:
    """A phone column normalised (geo_api.importer.phones); unusable numbers rejected; a
    landline that lost its leading 0 (a number cell ate it) kept as given, and flagged
    in ``flags`` naming the row and column."""
    phone = by_value(column, lambda p: normalise_phone(str(p)))
    lost = by_value(phone, lost_leading_zero).fillna(False).to_numpy(dtype=bool)
    problem = by_value(phone, phone_problem).where(~lost, None)
    for why in sorted(set(problem.dropna())):
        errors.flag((problem == why).to_numpy(), "phone", column, why)
    for k in np.flatnonzero(lost & ~errors.bad).tolist():
        flags.append(
            f"row {errors.rows[k]}, {column.name} {column.iat[k]!r}: looks like a landline "
            "that lost its leading 0 (a number cell?)"
        )
    return phone


def _date(text: object) -> date | None:
    found = parse_date(str(text))
    return found if isinstance(found, date) else None


def dates(column: pd.Series, errors: RowErrors, field: str) -> pd.Series:
    """A date column as dates (values.parse_date: 2023-05-06, 2023.5.6, 2023年5月6日 …);
    text that says no date is rejected."""
    when = by_value(column, _date)
    errors.flag((column.notna() & when.isna()).to_numpy(), field, column,
                "not a date (2023-05-06, 2023.5.6, 2023年5月6日)")  # fmt: skip
    return when
