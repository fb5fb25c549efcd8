"""One import: a file into one layer, in the caller's transaction.

Read in chunks (geo_api.importer.read), columns mapped (columns.py), every row
checked (areas.py, households.py), the good ones upserted (upsert.py). Without
``skip_bad`` any rejected row fails the whole import with the rejects listed,
and the caller's rollback leaves the store as it was; with it, the good rows
land and every rejected one is reported. Rows in = landed + rejected, always.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

from geo_api.errors import InvalidInputError
from geo_api.geo.detect import guess_crs
from geo_api.importer.areas import AREAS, UPSERT, check_areas, parent_ids
from geo_api.importer.cells import UPSERT as CELLS
from geo_api.importer.cells import cell_parents, check_cells
from geo_api.importer.checks import Checked, Reject
from geo_api.importer.columns import map_columns
from geo_api.importer.coords import SourceCRS
from geo_api.importer.heads import COLUMNS as HEAD_COLUMNS
from geo_api.importer.heads import PLACE_OF, Roster, check_heads
from geo_api.importer.households import Homes, check_households, city_bounds
from geo_api.importer.members import UPSERT as MEMBERS
from geo_api.importer.members import check_members
from geo_api.importer.members import updates as member_updates
from geo_api.importer.read import Source, open_source
from geo_api.importer.roads import GATES, ROADS, check_gates, check_roads, compound_ids
from geo_api.importer.stations import UPSERT as STATIONS
from geo_api.importer.stations import check_stations, communities
from geo_api.importer.stations import updates as station_updates
from geo_api.importer.upsert import Landed, upsert
from geo_api.network.areas import build_service_areas
from geo_api.network.build import rebuild

LAYERS = [
    *AREAS,
    "buildings",
    "units",
    "households",
    "stations",
    "members",
    "heads",
    "roads",
    "gates",
]
# Layers the walking network and its entries are built from: rebuilt after they land.
NETWORK_LAYERS = {"roads", "gates", "stations", "compounds"}
# Layers the service areas count households from: only the areas are rebuilt.
HOME_LAYERS = {"units", "households"}
HOUSEHOLD_COLUMNS = ["unit_id", "room", "persons", "address", "volunteer", "geom"]
SHOWN_REJECTS = 10


@dataclass
class ImportReport:
    """What an import did: rows in, landed (inserted, updated, unchanged), rejected."""

    layer: str
    file: str
    crs: str
    rows_in: int = 0
    landed: Landed = field(default_factory=Landed)
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def rows_landed(self) -> int:
        return self.landed.inserted + self.landed.updated + self.landed.unchanged


class ImportRejectedError(InvalidInputError):
    """Rows were rejected and the import was not told to skip them: nothing landed."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        shown = "; ".join(r.message() for r in report.rejects[:SHOWN_REJECTS])
        more = len(report.rejects) - SHOWN_REJECTS
        super().__init__(
            f"{report.file}: {len(report.rejects)} of {report.rows_in} rows rejected, nothing "
            f"imported (skip bad rows to import the others: --skip-bad, or skip_bad=true): "
            f"{shown}" + (f" (and {more} more)" if more > 0 else "")
        )


def import_file(
    conn: Connection,
    layer: str,
    path: Path,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    source_layer: str | None = None,
    mapping: Mapping[str, str] | None = None,
    skip_bad: bool = False,
    node_crossings: bool | None = None,
) -> ImportReport:
    """Import ``path`` into ``layer``; see the module docstring. ``node_crossings``:
    how the network rebuilt after it joins ways (None: as the last build)."""
    if layer not in LAYERS:
        raise InvalidInputError(f"unknown layer {layer!r}; importable: {', '.join(LAYERS)}")
    source = open_source(path, layer=source_layer, encoding=encoding, sheet=sheet)
    fields = map_columns(source.columns, layer, mapping).fields
    report = ImportReport(layer, path.name, "", warnings=list(source.warnings))
    if layer == "households":
        _households(conn, source, fields, crs, report, skip_bad)
    elif layer == "stations":
        _stations(conn, source, fields, crs, report, skip_bad)
    elif layer == "members":
        _members(conn, source, fields, crs, report, skip_bad)
    elif layer == "heads":
        _heads(conn, source, fields, report, skip_bad)
    elif layer == "roads":
        _roads(conn, source, fields, crs, report, skip_bad)
    elif layer == "gates":
        _gates(conn, source, fields, crs, report, skip_bad)
    else:
        _areas(conn, layer, source, fields, crs, report, skip_bad)
    if report.rows_in == 0:
        raise InvalidInputError(f"{path.name}: no rows")
    if report.rejects and not skip_bad:
        raise ImportRejectedError(report)
    if report.rows_in != report.rows_landed + len(report.rejects):  # never: a bug if so
        raise RuntimeError(
            f"{path.name}: {report.rows_in} rows in but {report.rows_landed} landed and "
            f"{len(report.rejects)} rejected"
        )
    if layer in NETWORK_LAYERS and report.rows_landed:
        network = rebuild(conn, node_crossings=node_crossings)
        report.notes.append(
            f"walking network rebuilt: {network.edges:,} edges, {network.km:,.1f} km of road"
        )
    elif layer in HOME_LAYERS and report.rows_landed:
        areas = build_service_areas(conn)
        report.notes.append(f"{areas:,} service areas counted again")
    return report


def _areas(
    conn: Connection,
    layer: str,
    source: Source,
    fields: dict[str, str],
    crs: str | None,
    report: ImportReport,
    skip_bad: bool,
) -> None:
    _require_geometry(source, f"{layer} need their outlines")
    cells = layer in CELLS
    parents: Any = cell_parents(conn, layer) if cells else parent_ids(conn, AREAS[layer])
    seen: dict[str, int] = {}
    if cells:
        table, key, columns, updates = CELLS[layer]
    else:
        table, columns, updates = UPSERT[layer]
        key = ["code"]
    for chunk, source_crs in _shaped_chunks(source, crs, report):
        if cells:
            checked = check_cells(chunk, fields, layer, source_crs, parents, seen)
        else:
            checked = check_areas(chunk, fields, AREAS[layer], source_crs, parents, seen)
        _land(conn, report, checked, skip_bad, table, key, columns, updates)


def _roads(
    conn: Connection,
    source: Source,
    fields: dict[str, str],
    crs: str | None,
    report: ImportReport,
    skip_bad: bool,
) -> None:
    _require_geometry(source, "roads need their lines")
    seen: dict[str, int] = {}
    bounds = city_bounds(conn)
    table, key, columns, updates = ROADS
    for chunk, source_crs in _shaped_chunks(source, crs, report):
        checked = check_roads(chunk, fields, source_crs, seen, bounds)
        _land(conn, report, checked, skip_bad, table, key, columns, updates)


def _gates(
    conn: Connection,
    source: Source,
    fields: dict[str, str],
    crs: str | None,
    report: ImportReport,
    skip_bad: bool,
) -> None:
    _require_location(source, fields, "gates")
    bounds, compounds = city_bounds(conn), compound_ids(conn)
    seen: dict[tuple[int, str], int] = {}
    table, key, columns, updates = GATES
    for chunk, source_crs in _located_chunks(source, fields, crs, report):
        checked = check_gates(chunk, fields, source_crs, bounds, compounds, seen)
        _land(conn, report, checked, skip_bad, table, key, columns, updates)


def _require_geometry(source: Source, need: str) -> None:
    """Refuse a table (CSV, XLSX) for a layer whose rows are shapes."""
    if not source.has_geometry:
        raise InvalidInputError(
            f"{source.path.name}: {need}: import a GeoJSON, GeoPackage or zipped Shapefile, "
            "not a table"
        )


def _require_location(source: Source, fields: dict[str, str], what: str) -> None:
    """Refuse a file whose rows cannot carry a point."""
    if not _located(source, fields):
        raise InvalidInputError(
            f"{source.path.name}: {what} need their location: lon and lat columns "
            "(经度, 纬度) or points"
        )


def _shaped_chunks(
    source: Source, crs: str | None, report: ImportReport
) -> Iterator[tuple[pd.DataFrame, SourceCRS]]:
    """Each chunk of a file of shapes, counted, with the system of its geometry:
    declared, the file's, or guessed from the first chunk."""
    source_crs: SourceCRS | None = None
    for chunk in source.chunks():
        if source_crs is None:
            source_crs = _crs(crs, source, chunk["geometry"].to_numpy(), report)
            report.crs = source_crs.name
        report.rows_in += len(chunk)
        yield chunk, source_crs


def _located(source: Source, fields: dict[str, str]) -> bool:
    """Whether the rows can carry points: the file's geometry, or lon and lat columns."""
    return source.has_geometry or {"lon", "lat"} <= set(fields)


def _located_chunks(
    source: Source, fields: dict[str, str], crs: str | None, report: ImportReport
) -> Iterator[tuple[pd.DataFrame, SourceCRS | None]]:
    """Each chunk, counted, with the system of its points: declared, the file's, or
    guessed from the first chunk that has coordinates at all (None before that)."""
    located = _located(source, fields)
    source_crs: SourceCRS | None = None
    for chunk in source.chunks():
        if source_crs is None and located:
            points = _points(chunk, fields, source.has_geometry)
            if crs or np.isfinite(shapely.get_coordinates(points)).any():
                source_crs = _crs(crs, source, points, report)
                report.crs = source_crs.name
        report.rows_in += len(chunk)
        yield chunk, source_crs


Split = tuple[str, object, list[str], list[str], str | None]  # column, value, key, updates, where


def _land_split(
    conn: Connection,
    report: ImportReport,
    checked: Checked,
    skip_bad: bool,
    table: str,
    columns: list[str],
    splits: list[Split],
) -> None:
    """Land a chunk's rows in parts (rows whose ``column`` is ``value``), each with its
    own key, updates and index predicate; rejects and notes count once."""
    rows = checked.rows
    for column, value, key, updates, where in splits:
        part = Checked(rows[rows[column] == value], checked.rejects, checked.notes)
        _land(conn, report, part, skip_bad, table, key, columns, updates, where=where)
        checked.rejects, checked.notes = [], []


def _households(
    conn: Connection,
    source: Source,
    fields: dict[str, str],
    crs: str | None,
    report: ImportReport,
    skip_bad: bool,
) -> None:
    homes = Homes.load(conn)
    seen: dict[tuple[int, str], int] = {}
    report.crs = "none: households placed at their unit"
    if "persons" not in fields:
        report.warnings.append("no persons column: every household counted as 1 person")
    # An existing home is changed only in what the file says: no persons column
    # keeps the stored persons; a row with no coordinates keeps the stored point.
    located = _located(source, fields)
    given = {"persons": "persons" in fields, "address": "address" in fields,
             "volunteer": "volunteer" in fields, "geom": located}  # fmt: skip
    updates = [c for c, present in given.items() if present]
    key = ["unit_id", "room"]
    splits: list[Split] = [
        ("_located", True, key, updates, None),
        ("_located", False, key, [c for c in updates if c != "geom"], None),
    ]
    for chunk, source_crs in _located_chunks(source, fields, crs, report):
        checked = check_households(chunk, fields, source_crs, homes, seen)
        _land_split(conn, report, checked, skip_bad, "household", HOUSEHOLD_COLUMNS, splits)


def _stations(
    conn: Connection,
    source: Source,
    fields: dict[str, str],
    crs: str | None,
    report: ImportReport,
    skip_bad: bool,
) -> None:
    _require_location(source, fields, "stations")
    bounds, places = city_bounds(conn), communities(conn)
    seen: dict[str, int] = {}
    table, key, columns, _ = STATIONS
    changed = station_updates(fields)
    for chunk, source_crs in _located_chunks(source, fields, crs, report):
        checked = check_stations(chunk, fields, source_crs, bounds, places, seen)
        _land(conn, report, checked, skip_bad, table, key, columns, changed)


def _members(
    conn: Connection,
    source: Source,
    fields: dict[str, str],
    crs: str | None,
    report: ImportReport,
    skip_bad: bool,
) -> None:
    bounds = city_bounds(conn)
    seen: dict[tuple[str, str], int] = {}
    if "registered_on" not in fields:
        report.warnings.append("no registration date column: every member registered today")
    table, key, columns = MEMBERS
    changed = member_updates(fields, _located(source, fields))
    for chunk, source_crs in _located_chunks(source, fields, crs, report):
        checked = check_members(chunk, fields, source_crs, bounds, seen)
        _land(conn, report, checked, skip_bad, table, key, columns, changed, ("placed_by",))
    report.notes.append("members are placed in their community by the next gridgov assign")


def _heads(
    conn: Connection, source: Source, fields: dict[str, str], report: ImportReport, skip_bad: bool
) -> None:
    roster = Roster(conn)
    seen: dict[tuple[str, int, int], int] = {}
    report.crs = "none: heads are placed at their homes"
    updates = ["name", "phone"] + [c for c in ("capacity", "max_capacity") if c in fields]
    splits: list[Split] = [
        ("role", role, [place, "household_id"], updates, f"role = '{role}'")
        for role, place in PLACE_OF.items()
    ]
    for chunk in source.chunks():
        report.rows_in += len(chunk)
        checked = check_heads(chunk, fields, roster, seen)
        _land_split(conn, report, checked, skip_bad, "head", HEAD_COLUMNS, splits)


def _points(chunk: pd.DataFrame, fields: dict[str, str], has_geometry: bool) -> np.ndarray:
    """The chunk's points, as given (for guessing their coordinate system)."""
    if has_geometry:
        return np.asarray(chunk["geometry"].to_numpy())
    x = pd.to_numeric(chunk[fields["lon"]], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(chunk[fields["lat"]], errors="coerce").to_numpy(dtype=float)
    return np.asarray(shapely.points(x, y))


def _land(
    conn: Connection,
    report: ImportReport,
    checked: Checked,
    skip_bad: bool,
    table: str,
    key: list[str],
    columns: list[str],
    updates: list[str],
    reset: tuple[str, ...] = (),
    where: str | None = None,
) -> None:
    """Count a checked chunk, and upsert its rows unless the import is failing anyway."""
    report.rejects += checked.rejects
    report.notes += checked.notes
    if report.rejects and not skip_bad:
        return  # keep reading: the report lists every reject, nothing lands
    report.landed.add(upsert(conn, table, key, columns, updates, checked.rows, reset, where))


def _crs(
    declared: str | None, source: Source, geoms: np.ndarray, report: ImportReport
) -> SourceCRS:
    """The declared system, else the file's, else the one the coordinates show."""
    if declared:
        return SourceCRS.parse(declared)
    if source.crs is not None:
        return SourceCRS.of(source.crs)
    coords = shapely.get_coordinates(geoms[~shapely.is_missing(geoms)])
    guess = guess_crs(coords[:, 0], coords[:, 1])
    if guess.epsg is None:
        raise InvalidInputError(
            f"{source.path.name}: the coordinate system is unknown. {guess.message}"
        )
    report.warnings.append(f"no coordinate system in the file: {guess.message}")
    return SourceCRS.parse(f"EPSG:{guess.epsg}")
