"""Noding: ways (lines in metres) into the walking graph's vertices and edges.

Plain geometry, no store. A way is cut only where the input says ways meet: at a
vertex two ways share (OpenStreetMap ways share their junction nodes; so do most
surveyed centrelines), at a way's end lying on another way, and where a gate, a
station or a building joins its nearest way. Ways that cross without a shared
vertex are bridges, tunnels and overpasses, so they stay apart, unless crossings
are asked for (``node_crossings``), and even then only between ways at the same
level (bridge, tunnel, layer).

Every point within ``SNAP_TOLERANCE_M`` of another is one vertex: a gate's foot
1 mm from a junction is the junction, not a second vertex beside it. A way that
comes back to the vertex it left (a loop) is cut in two halves, so that it is an
edge between two vertices and keeps its length.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

SNAP_TOLERANCE_M = 0.5  # points closer than this are one vertex
SNAP_M = 300.0  # furthest a gate, station or building may lie from a way and still join it
Level = tuple[bool, bool, int]  # bridge, tunnel, layer
GROUND: Level = (False, False, 0)
# Candidate cut points, best first when a cluster picks where its vertex stands:
# an existing vertex of a way stays where it is and the others move to it.
VERTEX, CROSSING, FOOT, FREE = 0, 1, 2, 3


@dataclass(frozen=True)
class Joining:
    """A point or shape to join to its nearest way: a gate, a station or a building.

    ``connect``: the point itself becomes a vertex, joined to its foot on the way by
    a straight connector (gates, stations). Otherwise the entry is the foot itself
    (a building: its homes walk straight to the way)."""

    kind: str
    owner: int
    geom: shapely.Geometry
    connect: bool


@dataclass
class Graph:
    """The noded network in metres: vertices, edges (source, target, kind, line) and
    where each joining met it (kind, owner, vertex, entry point)."""

    vertices: np.ndarray  # (n, 2)
    edges: list[tuple[int, int, str, np.ndarray]] = field(default_factory=list)
    entries: list[tuple[str, int, int, tuple[float, float]]] = field(default_factory=list)


@dataclass
class _Cuts:
    """Candidate cut points: on a way (way >= 0, at ``at`` metres along) or free."""

    way: list[int] = field(default_factory=list)
    at: list[float] = field(default_factory=list)
    xy: list[tuple[float, float]] = field(default_factory=list)
    rank: list[int] = field(default_factory=list)

    def add(self, way: int, at: float, xy: tuple[float, float], rank: int) -> int:
        self.way.append(way)
        self.at.append(at)
        self.xy.append(xy)
        self.rank.append(rank)
        return len(self.way) - 1


def node(
    ways: list[shapely.LineString],
    levels: list[Level],
    joinings: list[Joining],
    *,
    node_crossings: bool = False,
    tolerance: float = SNAP_TOLERANCE_M,
) -> Graph:
    """Cut ``ways`` into edges between vertices and join ``joinings`` to them."""
    if not ways:
        return Graph(np.empty((0, 2)))
    cuts = _Cuts()
    tree = shapely.STRtree(ways)
    table = _Vertices.of(ways)
    _shared_vertices(table, cuts, tolerance)
    _ends_on_ways(ways, tree, cuts, tolerance)
    if node_crossings:
        _crossings(ways, levels, tree, cuts)
    feet = _feet(ways, tree, joinings, cuts)
    vertex_of, vertices = _cluster(cuts, tolerance)
    graph = Graph(vertices)
    _cut_ways(ways, table, cuts, vertex_of, graph, tolerance)
    for joining, (foot, free) in zip(joinings, feet, strict=True):
        if foot is None:
            continue
        at = vertex_of[free if free is not None else foot]
        if free is not None and at != vertex_of[foot]:
            line = np.array([graph.vertices[at], graph.vertices[vertex_of[foot]]])
            graph.edges.append((int(at), int(vertex_of[foot]), "connector", line))
        # A gate or station enters where it stands; a building's homes, at its foot.
        x, y = shapely.get_coordinates(joining.geom)[0] if joining.connect else cuts.xy[foot]
        graph.entries.append((joining.kind, joining.owner, int(at), (float(x), float(y))))
    return graph


@dataclass(frozen=True)
class _Vertices:
    """Every vertex of every way: coordinates, its way, metres along that way, and
    where each way's vertices begin."""

    coords: np.ndarray
    owner: np.ndarray
    along: np.ndarray
    starts: np.ndarray

    @classmethod
    def of(cls, ways: list[shapely.LineString]) -> _Vertices:
        coords, owner = shapely.get_coordinates(ways, return_index=True)
        steps = np.hypot(*np.diff(coords, axis=0).T)
        steps[owner[1:] != owner[:-1]] = 0.0
        along = np.concatenate([[0.0], np.cumsum(steps)])
        starts = np.searchsorted(owner, np.arange(len(ways) + 1))
        along -= along[starts[:-1]][owner]  # metres from the start of its own way
        return cls(coords, owner, along, starts)


def _shared_vertices(vertices: _Vertices, cuts: _Cuts, tolerance: float) -> None:
    """Every way's ends, and each vertex that another way (or the same way further
    on) has within ``tolerance``."""
    coords, owner, along = vertices.coords, vertices.owner, vertices.along
    first = np.r_[True, owner[1:] != owner[:-1]]
    last = np.r_[owner[1:] != owner[:-1], True]
    keep = first | last
    pairs = cKDTree(coords).query_pairs(tolerance, output_type="ndarray")
    if len(pairs):
        a, b = pairs[:, 0], pairs[:, 1]
        shared = (owner[a] != owner[b]) | (np.abs(along[a] - along[b]) > tolerance)
        keep[a[shared]] = True
        keep[b[shared]] = True
    for k in np.flatnonzero(keep):
        cuts.add(int(owner[k]), float(along[k]), (coords[k, 0], coords[k, 1]), VERTEX)


def _ends_on_ways(
    ways: list[shapely.LineString], tree: shapely.STRtree, cuts: _Cuts, tolerance: float
) -> None:
    """A way's end lying on another way (a T-junction without a shared vertex)."""
    lines = np.asarray(ways, dtype=object)
    ends = np.concatenate([shapely.get_point(lines, 0), shapely.get_point(lines, -1)])
    owner = np.tile(np.arange(len(ways)), 2)
    end_k, way_k = tree.query(ends, predicate="dwithin", distance=tolerance)
    other = way_k != owner[end_k]
    end_k, way_k = end_k[other], way_k[other]
    at = shapely.line_locate_point(lines[way_k], ends[end_k])
    feet = shapely.get_coordinates(shapely.line_interpolate_point(lines[way_k], at))
    for w, metres, (x, y) in zip(way_k, at, feet, strict=True):
        cuts.add(int(w), float(metres), (x, y), CROSSING)


def _crossings(
    ways: list[shapely.LineString], levels: list[Level], tree: shapely.STRtree, cuts: _Cuts
) -> None:
    """Where two ways at the same level cross: a junction on both."""
    lines = np.asarray(ways, dtype=object)
    left, right = tree.query(lines, predicate="intersects")
    same = np.array([levels[i] == levels[j] for i, j in zip(left, right, strict=True)], bool)
    keep = (left < right) & same if len(left) else np.zeros(0, bool)
    left, right = left[keep], right[keep]
    meets, pair = shapely.get_coordinates(
        shapely.intersection(lines[left], lines[right]), return_index=True
    )
    points = shapely.points(meets)
    for side in (left[pair], right[pair]):
        at = shapely.line_locate_point(lines[side], points)
        for w, metres, (x, y) in zip(side, at, meets, strict=True):
            cuts.add(int(w), float(metres), (x, y), CROSSING)


def _feet(
    ways: list[shapely.LineString], tree: shapely.STRtree, joinings: list[Joining], cuts: _Cuts
) -> list[tuple[int | None, int | None]]:
    """Each joining's foot on its nearest way within SNAP_M (a cut), and its own point
    (a free cut) when it connects; (None, None) when no way is near enough."""
    found: list[tuple[int | None, int | None]] = [(None, None)] * len(joinings)
    if not joinings or not ways:
        return found
    geoms = [j.geom for j in joinings]
    which, nearest = tree.query_nearest(geoms, max_distance=SNAP_M, all_matches=False)
    for k, w in zip(which, nearest, strict=True):
        joining = joinings[k]
        foot = shapely.get_point(shapely.shortest_line(joining.geom, ways[w]), 1)
        at = float(shapely.line_locate_point(ways[w], foot))
        cut = cuts.add(int(w), at, (foot.x, foot.y), FOOT)
        free = None
        if joining.connect:
            free = cuts.add(-1, 0.0, (joining.geom.x, joining.geom.y), FREE)
        found[k] = (cut, free)
    return found


def _cluster(cuts: _Cuts, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut points within ``tolerance`` of each other as one vertex, standing where the
    best-ranked of them stands; returns (vertex of each cut, vertex coordinates)."""
    xy = np.asarray(cuts.xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    if n == 0:
        return np.empty(0, dtype=int), xy
    pairs = cKDTree(xy).query_pairs(tolerance, output_type="ndarray")
    links = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, label = connected_components(links, directed=False)
    order = np.lexsort((np.arange(n), np.asarray(cuts.rank)))  # best rank, then first
    leader = np.full(label.max() + 1, -1)
    for k in order:
        if leader[label[k]] < 0:
            leader[label[k]] = k
    return label, xy[leader]


def _cut_ways(
    ways: list[shapely.LineString],
    vertices: _Vertices,
    cuts: _Cuts,
    vertex_of: np.ndarray,
    graph: Graph,
    tolerance: float,
) -> None:
    """Each way cut at its cut points, in order along it, into edges."""
    way = np.asarray(cuts.way, dtype=int)
    at = np.asarray(cuts.at, dtype=float)
    on_way = np.flatnonzero(way >= 0)
    order = on_way[np.lexsort((on_way, at[on_way], way[on_way]))]
    bounds = np.flatnonzero(np.diff(way[order])) + 1
    halves: list[tuple[float, float]] = []  # vertices of their own, at loops' middles
    known = len(graph.vertices)
    for mine in np.split(order, bounds):
        w = int(way[mine[0]])
        lo, hi = vertices.starts[w], vertices.starts[w + 1]
        coords, along = vertices.coords[lo:hi], vertices.along[lo:hi]
        for a, b in itertools.pairwise(mine):
            source, target = int(vertex_of[a]), int(vertex_of[b])
            start, end = float(at[a]), float(at[b])
            if end - start <= tolerance and source == target:
                continue  # two cuts of one vertex
            if source != target:
                graph.edges.append(_edge(graph.vertices, coords, along, start, end, source, target))
                continue
            # A loop back to the same vertex: two halves through a vertex of its own.
            middle = (start + end) / 2
            point = shapely.line_interpolate_point(ways[w], middle)
            halves.append((point.x, point.y))
            half = known + len(halves) - 1
            places = np.vstack([graph.vertices, halves])
            graph.edges.append(_edge(places, coords, along, start, middle, source, half))
            graph.edges.append(_edge(places, coords, along, middle, end, half, target))
    if halves:
        graph.vertices = np.vstack([graph.vertices, halves])


def _edge(
    places: np.ndarray,
    coords: np.ndarray,
    along: np.ndarray,
    start: float,
    end: float,
    source: int,
    target: int,
) -> tuple[int, int, str, np.ndarray]:
    """The piece of a way (its ``coords``, ``along`` it in metres) from ``start`` to
    ``end`` metres: its vertices in between, and its ends exactly on its vertices."""
    inside = coords[(along > start) & (along < end)]
    line = np.vstack([places[source], inside, places[target]])
    return (source, target, "road", line)
