"""OpenStreetMap extracts (.osm.pbf) read as roads: the ways people walk along.

pyosmium reads the file with node locations. A way is a road when its
``highway`` tag is one people walk on (footways, paths, steps, residential and
service streets, the main streets that have pavements) and foot access is not
refused; motorways and trunk roads, ways under construction and the like are
left out. Each road keeps its OSM id (``way/123``, the ref re-imports match on),
name, highway value (the kind), and its bridge, tunnel and layer tags, so that
ways at different levels are never joined where they cross. A way cut by the
edge of the extract keeps the runs of nodes the file has (two nodes or more).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import osmium
import pandas as pd
import shapely
from pyproj import CRS

from geo_api.importer.errors import ImportFileError
from geo_api.importer.source import Source, frame

COLUMNS = ["osm_id", "name", "highway", "bridge", "tunnel", "layer"]
WALKABLE = frozenset(
    {
        "footway", "path", "pedestrian", "steps", "living_street", "residential",
        "service", "unclassified", "tertiary", "tertiary_link", "secondary",
        "secondary_link", "primary", "primary_link", "track", "cycleway", "bridleway",
        "corridor", "road",
    }
)  # fmt: skip
REFUSED = frozenset({"no", "private"})  # foot or access values that keep walkers out
ALLOWED = frozenset({"yes", "designated", "permissive"})


def walkable(tags: dict[str, str]) -> bool:
    """Whether a way with these tags is one people may walk along."""
    if tags.get("highway") not in WALKABLE or tags.get("area") == "yes":
        return False
    foot = tags.get("foot")
    if foot in REFUSED:
        return False
    return foot in ALLOWED or tags.get("access") not in REFUSED


def _lines(way: osmium.osm.Way) -> shapely.Geometry | None:
    """The way's line; the runs of nodes with locations when the extract cut it."""
    runs: list[list[tuple[float, float]]] = [[]]
    for nd in way.nodes:
        if nd.location.valid():
            runs[-1].append((nd.location.lon, nd.location.lat))
        elif runs[-1]:
            runs.append([])
    parts = [shapely.LineString(r) for r in runs if len(r) >= 2]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiLineString(parts)


def _roads(
    path: Path, warnings: list[str] | None = None
) -> Iterator[tuple[list[str | None], shapely.Geometry]]:
    """(attributes, line) of each walkable way in the file, in file order."""
    cut = 0
    try:
        for obj in osmium.FileProcessor(str(path)).with_locations():
            if not isinstance(obj, osmium.osm.Way):
                continue
            tags = dict(obj.tags)
            if not walkable(tags):
                continue
            line = _lines(obj)
            if line is None:
                cut += 1
                continue
            values = [f"way/{obj.id}", *(tags.get(k) for k in COLUMNS[1:])]
            yield values, line
    except RuntimeError as error:  # libosmium's own message: a broken or non-OSM file
        raise ImportFileError(path, f"not a readable OpenStreetMap file: {error}") from error
    if warnings is not None and cut:
        warnings.append(f"{cut} walkable ways have under two nodes in the extract: skipped")


def open_osm(path: Path) -> Source:
    """Open an .osm.pbf extract as a Source of its walkable ways (lon/lat, EPSG:4326)."""
    warnings: list[str] = []
    if not any(True for _ in _roads(path, warnings)):
        raise ImportFileError(path, "has no walkable ways (highway=footway, residential …)")

    def chunks(rows: int) -> Iterator[pd.DataFrame]:
        numbers: list[int] = []
        cells: dict[str, list[str | None]] = {c: [] for c in COLUMNS}
        lines: list[shapely.Geometry] = []
        for number, (values, line) in enumerate(_roads(path), start=1):
            numbers.append(number)
            for column, value in zip(COLUMNS, values, strict=True):
                cells[column].append(value)
            lines.append(line)
            if len(numbers) == rows:
                yield frame(numbers, cells, lines)
                numbers, cells, lines = [], {c: [] for c in COLUMNS}, []
        if numbers:
            yield frame(numbers, cells, lines)

    return Source(
        path=path,
        format="osm",
        columns=list(COLUMNS),
        crs=CRS.from_epsg(4326),
        encoding="utf-8",
        has_geometry=True,
        warnings=warnings,
        _reader=chunks,
    )
