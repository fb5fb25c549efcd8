"""Where the demo city's community stations stand: on a street of their community,
at the spot from which the fewest homes are beyond a 10-minute walk.

A real city puts its community's party-mass service station near the middle of
the homes it serves, on a street (Houma: every community has one of at least
500 m² near its centre). The demo measures the walk as the gap finder does
(geo_api.gaps.access, geo_api.network.walk): from a unit straight to one of its
compound's gates, then along the streets; here the streets are noded by the same
code as `gridgov network build` (geo_api.network.noding) and walked with SciPy's
Dijkstra, in metres (EPSG:4546), so no database is needed.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo_api.gaps.access import REACHES_M, serving
from geo_api.network.noding import GROUND, Joining, node

TEN_MINUTES_M = float(REACHES_M[1])
SEARCH_M = 700.0  # how far from the community's seed a station may move
CANDIDATES = 80  # street vertices tried per community, spread over that ground
EDGE_M = 20.0  # a station stands this far inside its community at least
BATCH = 20  # candidates walked at once (a row of distances per vertex each)


@dataclass
class Streets:
    """The walking graph: vertices (n, 2), symmetric lengths, and each gate's vertex."""

    vertices: np.ndarray
    lengths: csr_matrix
    gate_vertex: dict[int, int]  # gate id -> vertex


def walking_graph(roads: gpd.GeoDataFrame, gates: gpd.GeoDataFrame) -> Streets:
    """The streets and lanes noded as `gridgov network build` nodes them, gates joined."""
    ways = [part for geom in roads.geometry for part in shapely.get_parts(geom)]
    joinings = [Joining("gate", int(g.id), g.geometry, True) for g in gates.itertuples()]
    graph = node(ways, [GROUND] * len(ways), joinings)
    n = len(graph.vertices)
    src = np.array([e[0] for e in graph.edges], dtype=int)
    dst = np.array([e[1] for e in graph.edges], dtype=int)
    length = np.array([shapely.length(shapely.linestrings(e[3])) for e in graph.edges])
    lengths = csr_matrix(
        (
            np.concatenate([length, length]),
            (np.concatenate([src, dst]), np.concatenate([dst, src])),
        ),
        shape=(n, n),
    )
    # A gate with no street within reach has no entry: its homes use the others.
    gate_vertex = {int(owner): vertex for kind, owner, vertex, _ in graph.entries if kind == "gate"}
    return Streets(graph.vertices, lengths, gate_vertex)


def _unit_walks(
    units: pd.DataFrame, gates: gpd.GeoDataFrame, streets: Streets
) -> tuple[np.ndarray, np.ndarray]:
    """For every unit, each gate of its compound as [vertex] and [metres from the
    unit to the gate]; missing gates have an infinite walk."""
    by_compound: dict[int, list[tuple[int, shapely.Point]]] = {}
    for g in gates.itertuples():
        if int(g.id) in streets.gate_vertex:
            by_compound.setdefault(int(g.compound_id), []).append(
                (streets.gate_vertex[int(g.id)], g.geometry)
            )
    width = max((len(v) for v in by_compound.values()), default=1)
    vertex = np.zeros((len(units), width), dtype=int)
    metres = np.full((len(units), width), np.inf)
    for i, (compound, geom) in enumerate(zip(units["compound_id"], units.geometry, strict=True)):
        for k, (v, point) in enumerate(by_compound.get(int(compound), [])):
            vertex[i, k] = v
            metres[i, k] = geom.distance(point)
    return vertex, metres


def community_stations(
    stations: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    gates: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """``stations`` with each community station moved to the street vertex of its
    community, within SEARCH_M of where it stood, that leaves the fewest households
    beyond a 10-minute walk (then the shortest longest walk). ``units`` carries
    compound_id, community_id and households."""
    streets = walking_graph(roads, gates)
    # Candidates: the graph's vertices on the streets (not gates, nor lanes' ends).
    street_lines = shapely.union_all(roads.geometry[roads["kind"] == "street"].to_numpy())
    shapely.prepare(street_lines)
    on_street = np.flatnonzero(
        shapely.dwithin(street_lines, shapely.points(streets.vertices), 0.01)
    )
    xy = streets.vertices[on_street]
    points = np.asarray(shapely.points(xy))
    out = stations.copy()
    for row in communities.itertuples():
        mine = units[units["community_id"] == row.id]
        at = out.index[(out["tier"] == "community") & (out["community_id"] == row.id)]
        if mine.empty or len(at) == 0:
            continue
        here = out.geometry[at[0]]
        inner = row.geometry.buffer(-EDGE_M)
        near = np.flatnonzero(
            shapely.contains_xy(inner, xy[:, 0], xy[:, 1])
            & (shapely.distance(points, here) <= SEARCH_M)
        )
        if len(near) == 0:
            continue
        order = near[np.argsort(shapely.distance(points[near], here))]
        tried = order[np.linspace(0, len(order) - 1, min(CANDIDATES, len(order))).astype(int)]
        best = _best(tried, on_street, mine, gates, streets)
        out.loc[at[0], "geometry"] = shapely.Point(xy[best])
    return out


def _best(
    tried: np.ndarray,
    vertex_of: np.ndarray,
    units: pd.DataFrame,
    gates: gpd.GeoDataFrame,
    streets: Streets,
) -> int:
    """The index (into the street vertices) of the candidate leaving the fewest
    households beyond the walk, ties to the shortest longest walk."""
    gate_vertex, to_gate = _unit_walks(units, gates, streets)
    households = units["households"].to_numpy()
    best_key: tuple[float, float] | None = None
    best = int(tried[0])
    for start in range(0, len(tried), BATCH):
        chunk = tried[start : start + BATCH]
        along = dijkstra(
            streets.lengths,
            directed=False,
            indices=vertex_of[chunk],
            limit=SEARCH_M + 3 * TEN_MINUTES_M,
        )
        for k, candidate in enumerate(chunk):
            walks = (to_gate + along[k][gate_vertex]).min(axis=1)
            key = (float(households[walks > TEN_MINUTES_M].sum()), float(walks.max()))
            if best_key is None or key < best_key:
                best_key, best = key, int(candidate)
    return best


def unit_walks(
    stations: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    roads: gpd.GeoDataFrame,
    gates: gpd.GeoDataFrame,
    circle: str,
) -> np.ndarray:
    """Metres each unit walks to the nearest station that serves ``circle`` (up to three
    10-minute walks, infinite past them), as the gap finder walks: homes leave by
    their compound's gates, and each station is entered at the street vertex
    nearest it (where a community station stands)."""
    streets = walking_graph(roads, gates)
    tree = shapely.STRtree(np.asarray(shapely.points(streets.vertices)))
    chosen = stations[serving(stations, circle)].geometry.to_numpy()
    starts = np.unique(tree.query_nearest(chosen, return_distance=False)[1])
    along = dijkstra(
        streets.lengths, directed=False, indices=starts, min_only=True, limit=3 * TEN_MINUTES_M
    )
    gate_vertex, to_gate = _unit_walks(units, gates, streets)
    walks: np.ndarray = (to_gate + along[gate_vertex]).min(axis=1)
    return walks


def unit_homes(
    units: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    compounds: gpd.GeoDataFrame,
    households: gpd.GeoDataFrame,
) -> gpd.GeoDataFrame:
    """Every unit with its compound, its community and its households."""
    compound_of = buildings.set_index("id")["compound_id"]
    community_of = compounds.set_index("id")["community_id"]
    out = units[["id", "geometry"]].copy()
    out["compound_id"] = units["building_id"].map(compound_of).to_numpy()
    out["community_id"] = out["compound_id"].map(community_of).to_numpy()
    counts = households.groupby("unit_id").size()
    out["households"] = out["id"].map(counts).fillna(0).astype(int).to_numpy()
    return out
