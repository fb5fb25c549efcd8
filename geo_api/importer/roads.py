"""Roads (道路) and compound gates (小区出入口): what the walking network is built from.

A road is a line (LineString or MultiLineString) with an optional id (``ref``),
name and kind (OSM's highway values or 主干道, 支路 …, up to 16 characters), and
optional levels: bridge and tunnel (yes/no, OSM's values), layer (an integer,
-5 to 5): ways at different levels never join where they cross. A road
without an id is known by a hash of its line, so re-importing the file changes
nothing. A gate is a point with the code of its compound and an optional name.
Both are upserted; the import then rebuilds the network (geo_api.network.build).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geo_api.importer.checks import Checked, RowErrors, text_column
from geo_api.importer.coords import SourceCRS
from geo_api.importer.layer import Field, Landing, Layer, Options
from geo_api.importer.points import Bounds, city_bounds, point_coordinates

LEVELS = ["bridge", "tunnel", "layer"]
NO = {"no", "false", "0", "否", "无", "n"}  # any other value (yes, viaduct, 是 …) is a level
LAYER_RANGE = (-5, 5)
KIND_MAX = 16
LINES = (1, 5)  # LineString, MultiLineString


@dataclass
class RoadState:
    """One import's lookups and memory."""

    bounds: Bounds | None
    seen: dict[str, int] = field(default_factory=dict)  # ref -> row


class RoadLayer(Layer[RoadState]):
    """Roads and paths, the lines the walking network is built from."""

    name = "roads"
    doc = "roads (道路): lines the walking network is built from"
    geometry = "shapes"
    rebuilds = "network"
    fields = (
        Field(
            "ref",
            "text",
            "the road's id (else a hash of its line)",
            ("道路编号", "路段编号", "编号", "osm_id", "id", "ref"),
        ),
        Field("name", "text", "the road's name", ("道路名称", "路名", "街路名称")),
        Field(
            "kind",
            "text",
            f"what road it is (OSM highway values, 主干道, 支路 ...), at most {16} characters",
            ("道路类型", "道路等级", "类型", "highway", "fclass", "kind", "type"),
        ),
        Field(
            "bridge",
            "yes/no",
            "a bridge or overpass: crossings at another level are no junction",
            ("桥梁", "是否桥梁", "桥", "bridge", "is_bridge"),
        ),
        Field(
            "tunnel",
            "yes/no",
            "a tunnel or underpass",
            ("隧道", "是否隧道", "地道", "tunnel", "is_tunnel"),
        ),
        Field(
            "layer",
            "whole number",
            "the level, -5 to 5 (OSM's layer; 0 when absent)",
            ("层", "图层", "层级", "立交层", "layer", "z_level"),
        ),
    )

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> RoadState:
        """The city's extent."""
        return RoadState(city_bounds(conn))

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: RoadState
    ) -> Checked:
        """Lines, ids and kinds of one chunk."""
        assert crs is not None  # a layer of shapes always has a system
        return check_roads(chunk, fields, crs, state.seen, state.bounds)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on the id."""
        return [
            Landing(
                "road",
                ("ref",),
                ("ref", "name", "kind", *LEVELS, "geom"),
                ("name", "kind", *LEVELS, "geom"),
            )
        ]


@dataclass
class GateState:
    """One import's lookups and memory."""

    bounds: Bounds | None
    compounds: dict[str, int]
    seen: dict[tuple[int, str], int] = field(default_factory=dict)


class GateLayer(Layer[GateState]):
    """Compound gates, where homes meet the walking network."""

    name = "gates"
    doc = "compound gates (小区出入口): points where a compound's homes meet the streets"
    geometry = "points"
    rebuilds = "network"
    required = frozenset({"compound_code"})
    fields = (
        Field("compound_code", "code", "the compound's code"),
        Field(
            "name",
            "text",
            "the gate's name, unique in its compound (出入口 + row if absent)",
            ("出入口", "出入口名称", "大门", "门"),
        ),
        Field("lon", "number", "longitude"),
        Field("lat", "number", "latitude"),
        Field("crs", "coordinate system", "the row's own coordinate system (GCJ-02, BD-09, ...)"),
    )

    def prepare(self, conn: Connection, fields: dict[str, str], options: Options) -> GateState:
        """The city's extent and its compounds."""
        return GateState(city_bounds(conn), compound_ids(conn))

    def check(
        self, chunk: pd.DataFrame, fields: dict[str, str], crs: SourceCRS | None, state: GateState
    ) -> Checked:
        """Compounds, names and points of one chunk."""
        return check_gates(chunk, fields, crs, state.bounds, state.compounds, state.seen)

    def landings(self, fields: dict[str, str], located: bool) -> list[Landing]:
        """Upserted on (compound, name)."""
        return [
            Landing(
                "compound_gate", ("compound_id", "name"), ("compound_id", "name", "geom"), ("geom",)
            )
        ]


def _line_ref(geom: shapely.Geometry) -> str:
    """A stable id for a line without one: a hash of it, snapped to about a centimetre."""
    snapped = shapely.set_precision(geom, 1e-7)
    return "sha1:" + hashlib.sha1(shapely.to_wkb(snapped), usedforsecurity=False).hexdigest()[:20]


def check_roads(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    crs: SourceCRS,
    seen: dict[str, int],
    bounds: Bounds | None = None,
) -> Checked:
    """Check one chunk of roads; ``seen`` (ref -> row) spans the file. A road must
    touch the city's extent (``bounds``, widened by BOUNDS_MARGIN_DEG): one that
    lies elsewhere was declared in the wrong system."""
    errors = RowErrors(chunk["_row"])
    geoms = np.array(chunk["geometry"].to_numpy(), dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    errors.flag(missing, "geometry", None, "no geometry: a road needs its line")
    kinds = pd.Series([None if g is None else g.geom_type for g in geoms], dtype=object)
    lines = np.isin(shapely.get_type_id(geoms), LINES)
    errors.flag(~missing & ~lines, "geometry", kinds, "not a line")
    coords_ok = np.array(
        [g is None or bool(np.isfinite(shapely.get_coordinates(g)).all()) for g in geoms]
    )
    errors.flag(~errors.bad & ~coords_ok, "geometry", None, "coordinates that are not finite")
    short = ~errors.bad & (shapely.length(geoms) == 0)
    errors.flag(short, "geometry", None, "a line of no length")
    lonlat = np.empty(len(geoms), dtype=object)
    good = ~errors.bad
    lonlat[good] = crs.geometries(geoms[good])
    lonlat[good] = [
        g if g.geom_type == "MultiLineString" else shapely.MultiLineString([g])
        for g in lonlat[good]
    ]
    if bounds is not None:
        # Roads may run out of town (the city's extent already has MARGIN_M around it).
        city = bounds.box()
        away = ~errors.bad & ~shapely.intersects(lonlat, city)
        shown = pd.Series(
            [
                None if g is None else str(shapely.get_point(shapely.get_geometry(g, 0), 0))
                for g in lonlat
            ],
            dtype=object,
        )
        errors.flag(away, "geometry", shown, f"outside the city (is the file in {crs.name}?)")
    name = text_column(chunk, fields.get("name"))
    kind = text_column(chunk, fields.get("kind"))
    errors.flag(
        (kind.fillna("").str.len() > KIND_MAX).to_numpy(),
        "kind",
        kind,
        f"at most {KIND_MAX} characters",
    )
    levels = _levels(chunk, fields, errors)
    given = text_column(chunk, fields.get("ref"))
    ref = [
        r if r is not None or not ok else _line_ref(g)
        for r, g, ok in zip(given, lonlat, ~errors.bad, strict=True)
    ]
    for k, value in enumerate(ref):
        if value is not None and not errors.bad[k]:
            if value in seen:
                what = "same id" if given.iat[k] is not None else "same line"
                errors.flag(
                    np.arange(len(ref)) == k,
                    "ref",
                    given,
                    f"duplicate: row {seen[value]} has the {what}",
                )
            else:
                seen[value] = int(errors.rows[k])
    good = ~errors.bad
    frame = gpd.GeoDataFrame(
        {
            "_row": chunk["_row"].to_numpy()[good],
            "ref": np.asarray(ref, dtype=object)[good],
            "name": name.to_numpy()[good],
            "kind": kind.fillna("street").to_numpy()[good],
            **{level: values[good] for level, values in levels.items()},
        },
        geometry=list(lonlat[good]),
        crs=4326,
    )
    return Checked(frame, errors.rejects, [])


def _levels(chunk: pd.DataFrame, fields: dict[str, str], errors: RowErrors) -> dict[str, Any]:
    """bridge and tunnel as booleans (absent: no), layer as an integer (absent: 0)."""
    found: dict[str, Any] = {}
    for flag in ("bridge", "tunnel"):
        value = text_column(chunk, fields.get(flag))
        found[flag] = (value.notna() & ~value.fillna("").str.casefold().isin(NO)).to_numpy()
    layer = text_column(chunk, fields.get("layer"))
    number = pd.to_numeric(layer, errors="coerce")
    low, high = LAYER_RANGE
    bad = layer.notna() & (number.isna() | (number % 1 != 0) | ~number.between(low, high))
    errors.flag(bad.to_numpy(), "layer", layer, f"an integer from {low} to {high}")
    found["layer"] = number.fillna(0).where(~bad, 0).astype(int).to_numpy()
    return found


def compound_ids(conn: Connection) -> dict[str, int]:
    """Compound code -> id."""
    return {str(c): int(i) for c, i in conn.execute(text("SELECT code, id FROM compound"))}


def check_gates(
    chunk: pd.DataFrame,
    fields: dict[str, str],
    crs: SourceCRS | None,
    bounds: Bounds | None,
    compounds: dict[str, int],
    seen: dict[tuple[int, str], int],
) -> Checked:
    """Check one chunk of gates: a known compound, a point in the city, and each
    (compound, name) once in the file (``seen`` spans it)."""
    errors = RowErrors(chunk["_row"])
    col = {f: text_column(chunk, fields.get(f)) for f in ("compound_code", "name", "lon", "lat")}
    if "crs" in fields:
        col["crs"] = text_column(chunk, fields["crs"])
    code = col["compound_code"]
    errors.flag(code.isna().to_numpy(), "compound_code", None, "missing")
    found = code.map(lambda c: None if c is None else compounds.get(c))
    errors.flag(
        (code.notna() & found.isna()).to_numpy(),
        "compound_code",
        code,
        "no compound with this code in the store: import the compounds first",
    )
    lon, lat = point_coordinates(chunk, col, crs, bounds, errors)
    errors.flag(~np.isfinite(lon), "lon/lat", None, "a gate needs its location")
    name = col["name"].where(col["name"].notna(), "出入口" + chunk["_row"].astype(str))
    for k, (compound, gate) in enumerate(zip(found, name, strict=True)):
        if compound is None or errors.bad[k]:
            continue
        key = (int(compound), str(gate))
        if key in seen:
            errors.flag(
                np.arange(len(name)) == k,
                "name",
                name,
                f"duplicate: row {seen[key]} names this compound's gate",
            )
        else:
            seen[key] = int(errors.rows[k])
    good = ~errors.bad
    frame = gpd.GeoDataFrame(
        {
            "_row": chunk["_row"].to_numpy()[good],
            "compound_id": pd.array(found[good].tolist(), dtype="Int64"),
            "name": name.to_numpy()[good],
        },
        geometry=shapely.points(lon[good], lat[good]),
        crs=4326,
    )
    return Checked(frame, errors.rejects, [])


ROADS = RoadLayer()
GATES = GateLayer()
