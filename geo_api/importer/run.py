"""One import: a file into one layer, in the caller's transaction, the same for every layer.

The file is opened (read.py) and its columns matched (columns.py); a file the
layer cannot use at all (a required column missing, no geometry where rows are
shapes, a coordinate system that places it far from the city) is refused before
a row is read. Then each chunk is checked by the layer (registry.py) and its good
rows landed where the layer says (lander.py: upserted, or copied into an empty
table whose indexes are built once at the end). Without ``skip_bad`` any rejected
row fails the whole import with every reject listed, and the caller's rollback
leaves the store as it was; with it, the good rows land and every rejected one is
reported. Rows in = landed + rejected, always. Last, the layer's own checks run
(overlaps between areas) and what the layer makes stale is rebuilt.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from pyproj.exceptions import ProjError
from sqlalchemy import Connection

from geo_api.clock import today
from geo_api.db.integrity import children_outside_parents
from geo_api.errors import InvalidInputError
from geo_api.geo.detect import guess_crs
from geo_api.importer import diff
from geo_api.importer.ahead import ahead
from geo_api.importer.checks import Checked, Reject
from geo_api.importer.columns import map_columns
from geo_api.importer.coords import SourceCRS
from geo_api.importer.diff import RosterDiff
from geo_api.importer.errors import ImportFileError
from geo_api.importer.lander import Lander, rows_of
from geo_api.importer.layer import Landing, Layer, Options
from geo_api.importer.points import Bounds, city_bounds
from geo_api.importer.read import Source, open_source
from geo_api.importer.registry import LAYERS, layer_named
from geo_api.importer.report import ImportRejectedError, ImportReport
from geo_api.importer.shapes import GEOD
from geo_api.network.areas import count_households
from geo_api.network.build import rebuild

__all__ = ["LAYERS", "ImportRejectedError", "ImportReport", "import_file"]

SHOWN_OUTSIDE = 20
# The share of a file's first rows that must land in the city for its system to be
# believed; below it the file is refused as a whole (a wrong .prj or --crs).
IN_CITY_SHARE = 0.5
Progress = Callable[[int], None]
_ROW_NUMBER = re.compile(r"\brow (\d+)\b")


@dataclass(frozen=True)
class _Run:
    """One import's fixed parts."""

    layer: Layer[Any]
    source: Source
    fields: dict[str, str]
    declared: str | None
    bounds: Bounds | None
    dry_run: bool = False


class ImportOptions(TypedDict, total=False):
    """import_file's options (see ``_import``), so that callers stay type-checked."""

    crs: str | None
    encoding: str | None
    sheet: str | None
    source_layer: str | None
    mapping: Mapping[str, str] | None
    skip_bad: bool
    repair: bool
    accept_overlaps: bool
    progress: Progress | None
    node_crossings: bool | None
    header_row: int | None
    dry_run: bool
    full: bool
    check_overlaps: bool
    rebuild: bool


def import_file(
    conn: Connection, layer: str, path: Path, **options: Unpack[ImportOptions]
) -> ImportReport:
    """Import ``path`` into ``layer``; see the module docstring and ``_import``. A dry run
    happens in a savepoint rolled back at the end: it writes nothing, not even by
    mistake, whatever transaction the caller holds."""
    if not options.get("dry_run"):
        return _import(conn, layer, path, **options)
    savepoint = conn.begin_nested()
    try:
        return _import(conn, layer, path, **options)
    finally:
        savepoint.rollback()


def _import(
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
    repair: bool = False,
    accept_overlaps: bool = False,
    progress: Progress | None = None,
    node_crossings: bool | None = None,
    header_row: int | None = None,
    dry_run: bool = False,
    full: bool = False,
    check_overlaps: bool = True,
    rebuild: bool = True,
) -> ImportReport:
    """Import ``path`` into ``layer`` (import_file's body). ``progress`` is told
    the rows read so far, chunk by chunk; ``node_crossings`` how the network rebuilt after
    roads land joins ways (None: as the last build). A roster (heads, officers,
    members) is compared with the store (geo_api.importer.diff): ``dry_run`` lands
    nothing, ``full`` retires the people the file leaves out. Without ``rebuild``,
    what the rows make stale (the walking network, service areas) is left for the
    caller (a generation's staging rolls the rows back)."""
    spec = layer_named(layer)
    if (dry_run or full) and spec.roster is None:
        rosters = ", ".join(n for n in LAYERS if layer_named(n).roster is not None)
        raise InvalidInputError(f"dry runs and full rosters are for the rosters: {rosters}")
    if crs is not None:
        SourceCRS.parse(crs)  # a system that does not exist is refused before any reading
    source = open_source(
        path,
        layer=source_layer,
        encoding=encoding,
        sheet=sheet,
        header_row=header_row,
        declared_crs=crs is not None,
    )
    fields = map_columns(source.columns, layer, mapping).fields
    _refuse_unusable(spec, source, fields)
    options = Options(repair=repair, accept_overlaps=accept_overlaps, check_overlaps=check_overlaps)
    report = ImportReport(layer, path.name, "", warnings=[*source.warnings, *spec.warnings(fields)])
    run = _Run(spec, source, fields, crs, city_bounds(conn), dry_run)
    state = spec.prepare(conn, fields, options)
    landings = spec.landings(fields, _located(source, fields))
    if spec.roster is not None:
        report.diff = RosterDiff(full=full, dry_run=dry_run)
        diff.start(conn, landings[0].table, spec.roster)
    # A dry run lands nothing: no lander, whose first load of an empty table drops indexes.
    lander = None if dry_run else Lander(conn, landings)
    try:
        checks = (spec.check(c, fields, crs, state) for c, crs in _chunks(run, report))
        for checked in ahead(checks) if spec.check_ahead else checks:
            _land(conn, report, run, checked, skip_bad, landings, lander, state)
            if progress is not None:
                progress(report.rows_in)
        if lander is not None:
            lander.finish()
    except BaseException:
        if lander is not None:
            lander.abort()  # an empty table's dropped indexes come back with it
        raise
    report.rejects.sort(key=lambda r: r.row)  # file order, whatever the check order
    # What the reader did (a title row skipped, formulas' saved values, totals rows left
    # out): readers add to it while they read, so it is complete only now.
    report.notes[:0] = source.notes
    if report.rows_in == 0:
        raise ImportFileError(path, "no rows")
    if report.rejects and not skip_bad:
        raise ImportRejectedError(report)
    if spec.roster is not None and report.diff is not None:
        _missing(conn, spec, state, landings[0].table, report.diff)
        if dry_run:
            return report  # compared, nothing landed: nothing to check or rebuild
    if report.rows_in != report.rows_landed + len(report.rejects):  # never: a bug if so
        raise RuntimeError(
            f"{path.name}: {report.rows_in} rows in but {report.rows_landed} landed and "
            f"{len(report.rejects)} rejected"
        )
    report.notes += [_rows_named(n, source) for n in spec.after(conn, state, options)]
    report.records = spec.records(state)
    report.keys = spec.keys(state)
    report.warnings += _outside_parents(conn, spec)
    if rebuild:
        _rebuild(conn, spec, report, node_crossings)
    return report


def _missing(conn: Connection, spec: Layer[Any], state: Any, table: str, found: RosterDiff) -> None:
    """The people the roster leaves out: counted, and with a full roster retired."""
    assert spec.roster is not None  # only rosters come here
    ids = diff.missing(conn, table, spec.roster, found)
    if found.full and not found.dry_run and ids:
        if spec.roster.retire is None:  # the layer's domain retires them
            found.retired = len(ids)
        else:
            found.retired = diff.retire(conn, table, spec.roster, ids, today())
        spec.retired(conn, state, ids)


def _refuse_unusable(spec: Layer[Any], source: Source, fields: dict[str, str]) -> None:
    """Refuse, before reading a row, a file this layer cannot use at all."""
    name = source.path
    if spec.geometry == "shapes" and not source.has_geometry:
        raise ImportFileError(
            name,
            f"{spec.name} need their outlines or lines: import a GeoJSON, GeoPackage or "
            "zipped Shapefile, not a table",
        )
    if spec.geometry == "points" and not _located(source, fields):
        raise ImportFileError(
            name, f"{spec.name} need their location: lon and lat columns (经度, 纬度) or points"
        )
    missing = spec.missing(fields, has_geometry=source.has_geometry)
    if missing:
        raise ImportFileError(
            name,
            f"{missing}; the file's columns are: {', '.join(source.columns) or 'none'} "
            "(name them as in docs/columns.md, or give a mapping file)",
        )


def _located(source: Source, fields: dict[str, str]) -> bool:
    """Whether the rows can carry points: the file's geometry, or lon and lat columns."""
    return source.has_geometry or {"lon", "lat"} <= set(fields)


def _chunks(run: _Run, report: ImportReport) -> Iterator[tuple[pd.DataFrame, SourceCRS | None]]:
    """Each chunk, counted, with the system of its coordinates: declared, the file's, or
    guessed from the first chunk that has coordinates (None before that, and for layers
    whose rows carry none)."""
    located = run.layer.geometry != "none" and _located(run.source, run.fields)
    if not located:
        report.crs = "none: rows are placed by what they name"
    source_crs: SourceCRS | None = None
    for chunk in run.source.chunks():
        if source_crs is None and located:
            x, y = _coordinates(chunk, run)
            if run.declared or run.source.crs is not None or np.isfinite(x).any():
                source_crs = _crs(run, x, y, report)
                report.crs = source_crs.name
                _refuse_far(run, source_crs, x, y)
        report.rows_in += len(chunk)
        yield chunk, source_crs


def _coordinates(chunk: pd.DataFrame, run: _Run) -> tuple[np.ndarray, np.ndarray]:
    """The chunk's coordinates as given (every vertex of its shapes; NaN where none)."""
    if run.source.has_geometry:
        geoms = np.asarray(chunk["geometry"].to_numpy())
        present = geoms[~shapely.is_missing(geoms)]
        coords = shapely.get_coordinates(present) if len(present) else np.empty((0, 2))
        return coords[:, 0], coords[:, 1]
    x = pd.to_numeric(chunk[run.fields["lon"]], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(chunk[run.fields["lat"]], errors="coerce").to_numpy(dtype=float)
    return x, y


def _crs(run: _Run, x: np.ndarray, y: np.ndarray, report: ImportReport) -> SourceCRS:
    """The declared system, else the file's, else the one the coordinates show; one
    that cannot be turned into longitude and latitude is refused."""
    name = run.source.path
    if run.declared:
        return SourceCRS.parse(run.declared)
    if run.source.crs is not None:
        system = SourceCRS.of(run.source.crs)
        if not _transformable(system):
            said = run.source.crs.name or run.source.crs.to_string()
            raise ImportFileError(
                name,
                f"its coordinate system ({said!r}, from the file) cannot be converted to "
                "longitude and latitude (a local or engineering system?): give the system the "
                "coordinates are really in with --crs (EPSG:4546, gcj02 ...)",
            )
        return system
    finite = np.isfinite(x) & np.isfinite(y)
    guess = guess_crs(x[finite], y[finite])
    if guess.epsg is None:
        raise ImportFileError(name, f"the coordinate system is unknown. {guess.message}")
    report.warnings.append(f"no coordinate system in the file: {guess.message}")
    return SourceCRS.parse(f"EPSG:{guess.epsg}")


def _transformable(system: SourceCRS) -> bool:
    """Whether PROJ can take the system's coordinates to WGS 84."""
    if system.crs is None:
        return True
    try:
        transformer = Transformer.from_crs(system.crs, 4326, always_xy=True)
        lon, lat = transformer.transform(0.0, 0.0, errcheck=False)
    except ProjError:
        return False
    return bool(transformer.has_inverse or np.isfinite([lon, lat]).all())


def _refuse_far(run: _Run, system: SourceCRS, x: np.ndarray, y: np.ndarray) -> None:
    """Refuse a file whose first rows, in its system, land mostly outside the city: the
    system is wrong (a custom or mistaken .prj, a wrong --crs), and every row would be."""
    finite = np.isfinite(x) & np.isfinite(y)
    if run.bounds is None or not finite.any() or "crs" in run.fields:
        return  # no city yet; or each row says its own system (checked row by row)
    try:
        lon, lat = system.to_lonlat(x[finite], y[finite])
    except ProjError:
        lon, lat = np.array([np.nan]), np.array([np.nan])
    inside = run.bounds.holds(lon, lat)
    if inside.mean() >= IN_CITY_SHARE:
        return
    b = run.bounds
    centre_lon, centre_lat = (b.west + b.east) / 2, (b.south + b.north) / 2
    ok = np.isfinite(lon) & np.isfinite(lat)
    if ok.any():
        at_lon, at_lat = float(np.median(lon[ok])), float(np.median(lat[ok]))
        km = GEOD.inv(centre_lon, centre_lat, at_lon, at_lat)[2] / 1000
        lands = f"would land around lon {at_lon:.5f}, lat {at_lat:.5f}, {km:,.0f} km from the city"
    else:
        lands = "cannot be placed on Earth"
    origin = "declared" if run.declared else "from the file" if run.source.crs else "guessed"
    raise ImportFileError(
        run.source.path,
        f"in {system.name} ({origin}) the data {lands} ({b.describe()}): the coordinate "
        "system is wrong; give the one the coordinates are really in with --crs",
    )


def _land(
    conn: Connection,
    report: ImportReport,
    run: _Run,
    checked: Checked,
    skip_bad: bool,
    landings: list[Landing],
    lander: Lander | None,
    state: Any,
) -> None:
    """Count a checked chunk, and land its rows unless the import is failing anyway."""
    report.rejects += [_named(r, run) for r in checked.rejects]
    report.notes += [_rows_named(n, run.source) for n in checked.notes]
    if report.rejects and not skip_bad:
        return  # keep reading: the report lists every reject, nothing lands
    if "_after" in checked.rows:
        # Rows the layer's after() applies itself (a head retired through the rosters
        # domain): they change a stored row, so they count as updated.
        report.landed.updated += int(checked.rows["_after"].sum())
    if report.diff is not None and run.layer.roster is not None:
        for landing in landings:
            part = rows_of(landing, checked.rows)
            diff.compare(conn, landing, run.layer.roster, part, report.diff)
    if lander is not None:
        own = run.layer.land(conn, state, checked.rows)
        report.landed.add(own if own is not None else lander.land(checked.rows))


def _named(reject: Reject, run: _Run) -> Reject:
    """The reject as the user sees the file: their column's header, their row."""
    fields = run.fields
    if reject.field in fields:
        column = fields[reject.field]
    elif reject.field in ("lon/lat", "lon", "lat") and {"lon", "lat"} <= set(fields):
        column = f"{fields['lon']}/{fields['lat']}"
    elif reject.field == "lon/lat" or reject.field == "geometry":
        column = "geometry"
    elif "address" in fields and reject.field in ("compound", "building", "unit", "room"):
        column = fields["address"]  # the part came from the written address
    else:
        column = reject.field
    # A reason that points at another row ("the same home as row 5") says it as the
    # file's program does ("line 5", "feature 5").
    reason = _rows_named(reject.reason, run.source)
    return replace(reject, column=column, where=run.source.label(reject.row), reason=reason)


def _rows_named(text: str, source: Source) -> str:
    """A text that points at rows ("the same home as row 5") says them as the file's
    program does ("line 5", "feature 5")."""
    return _ROW_NUMBER.sub(lambda m: source.label(int(m.group(1))), text)


def _outside_parents(conn: Connection, spec: Layer[Any]) -> list[str]:
    """Warnings for the layer's areas that stray outside their parent."""
    table = {
        "streets": None,
        "communities": "community",
        "grids": "grid",
        "compounds": "compound",
        "buildings": "building",
        "units": "unit",
    }.get(spec.name)
    if table is None:
        return []
    outside = children_outside_parents(conn, tables={table})
    return [o.message() for o in outside[:SHOWN_OUTSIDE]] + (
        [f"and {len(outside) - SHOWN_OUTSIDE} more outside their parent"]
        if len(outside) > SHOWN_OUTSIDE
        else []
    )


def _rebuild(
    conn: Connection, spec: Layer[Any], report: ImportReport, node_crossings: bool | None
) -> None:
    """Rebuild what the landed rows made stale."""
    if not report.rows_landed:
        return
    if spec.rebuilds == "network":
        network = rebuild(conn, node_crossings=node_crossings)
        report.notes.append(
            f"walking network rebuilt: {network.edges:,} edges, {network.km:,.1f} km of road"
        )
    elif spec.rebuilds == "service areas":
        # Households move no street nor station: the areas stay, their counts change.
        areas = count_households(conn)
        report.notes.append(f"{areas:,} service areas counted again")
