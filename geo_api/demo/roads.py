"""The demo city's streets and compound gates, in metres (EPSG:4546).

Streets run between the compounds, along the middle of the ground between
neighbours (the edges of a Voronoi diagram of points along the compounds'
edges), so they never cross a compound. Each compound has a south gate, a side
gate and, when it is large or its community's middle lies north, a north gate:
the only ways in and out.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from scipy.spatial import Voronoi
from shapely.geometry import LineString, Point

from geo_api.demo.layout import METRIC_CRS

SAMPLE_M = 10.0  # spacing of the points along compound edges
REACH_M = 400.0  # how far past the outermost compounds streets go
SIMPLIFY_M = 2.0
NORTH_GATE_FROM_M = 250.0  # compounds at least this long north-south get a second gate
LANE_FROM_M = 5.0  # a gate further than this from a street gets a lane to the nearest one
LANE_STEP_M = 20.0
LANE_TRIES = 400  # street vertices tried, nearest first, for a lane that crosses no compound


def _edge_points(compounds: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Points every SAMPLE_M along each compound's edge, and the compound of each."""
    rings = shapely.segmentize(compounds.geometry.exterior.to_numpy(), SAMPLE_M)
    coords, index = shapely.get_coordinates(rings, return_index=True)
    # Closed rings repeat their first point; Voronoi wants each point once.
    coords, keep = np.unique(np.round(coords, 3), axis=0, return_index=True)
    owner = compounds["id"].to_numpy()[index[keep]]
    return coords, owner


def streets(compounds: gpd.GeoDataFrame, entrances: gpd.GeoSeries) -> gpd.GeoDataFrame:
    """The street network between compounds, as merged, simplified lines, and a lane
    from each entrance (gates, stations) off the streets to the nearest one."""
    points, owner = _edge_points(compounds)
    diagram = Voronoi(points)
    ridges = np.asarray(diagram.ridge_vertices)
    pairs = diagram.ridge_points
    between = (owner[pairs[:, 0]] != owner[pairs[:, 1]]) & (ridges.min(axis=1) >= 0)
    segments = diagram.vertices[ridges[between]]
    lines = shapely.linestrings(segments)
    extent = shapely.convex_hull(shapely.MultiPoint(points)).buffer(REACH_M)
    lines = lines[shapely.within(lines, extent)]
    merged = shapely.line_merge(shapely.union_all(lines))
    parts = shapely.get_parts(shapely.simplify(merged, SIMPLIFY_M))
    parts = parts[shapely.length(parts) > 1]
    # Vertices every LANE_STEP_M: where lanes may join a street, on a shared vertex.
    parts = shapely.segmentize(parts, LANE_STEP_M)
    lanes = _lanes(parts, entrances, compounds)
    kinds = ["street"] * len(parts) + ["lane"] * len(lanes)
    frame = gpd.GeoDataFrame({"kind": kinds}, geometry=[*parts, *lanes], crs=METRIC_CRS)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    frame.insert(1, "ref", [f"demo-{i}" for i in frame["id"]])
    frame.insert(2, "name", None)
    return frame


def _lanes(
    parts: np.ndarray, entrances: gpd.GeoSeries, compounds: gpd.GeoDataFrame
) -> list[LineString]:
    """A straight lane from each entrance off the streets to the nearest street vertex
    it can reach without crossing a compound."""
    vertices = shapely.get_coordinates(parts)
    blocks = shapely.union_all(compounds.geometry.buffer(-0.5).to_numpy())
    shapely.prepare(blocks)
    lanes = []
    for gate in entrances:
        distance = np.hypot(vertices[:, 0] - gate.x, vertices[:, 1] - gate.y)
        if distance.min() <= LANE_FROM_M:
            continue
        for j in np.argsort(distance)[:LANE_TRIES]:
            lane = LineString([gate, vertices[j]])
            if not blocks.intersects(lane):
                lanes.append(lane)
                break
    return lanes


def gates(compounds: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A south gate on every compound, a north gate on the long ones and on those
    whose community's middle lies to the north, and a side gate (east or west,
    whichever faces that middle): as real compounds open onto the streets their
    residents walk to the community."""
    centres = compounds.geometry.centroid
    middle_x = centres.x.groupby(compounds["community_id"]).mean()
    middle_y = centres.y.groupby(compounds["community_id"]).mean()
    rows: list[dict[str, object]] = []
    for compound in compounds.itertuples():
        edge = compound.geometry.exterior
        minx, miny, maxx, maxy = compound.geometry.bounds
        wanted = [("南门", Point((minx + maxx) / 2, miny))]
        north = middle_y[compound.community_id] > (miny + maxy) / 2
        if maxy - miny >= NORTH_GATE_FROM_M or north:
            wanted.append(("北门", Point((minx + maxx) / 2, maxy)))
        east = middle_x[compound.community_id] > (minx + maxx) / 2
        wanted.append(
            ("东门", Point(maxx, (miny + maxy) / 2))
            if east
            else ("西门", Point(minx, (miny + maxy) / 2))
        )
        for name, near in wanted:
            rows.append(
                {
                    "compound_id": compound.id,
                    "name": name,
                    "geometry": edge.interpolate(edge.project(near)),
                }
            )
    frame = gpd.GeoDataFrame(rows, crs=METRIC_CRS)
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


def as_lines(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The streets as MultiLineStrings, as the road table stores them."""
    out = frame.copy()
    out.geometry = [
        shapely.MultiLineString([g]) if isinstance(g, LineString) else g for g in out.geometry
    ]
    return out
