"""The administrative layout of the demo city, in metres (EPSG:4546): streets,
communities, grids and compounds inside Houma's real boundary."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from scipy.cluster.vq import kmeans2
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from geo_api.demo.names import STREETS, community_names, compound_names
from geo_api.errors import InvalidInputError

METRIC_CRS = "EPSG:4546"  # CGCS2000 3-degree Gauss-Krüger, central meridian 111°E
BOUNDARY_FILE = Path(__file__).resolve().parents[2] / "data" / "houma_boundary.geojson"
CORE_LONLAT = (111.365, 35.625)  # downtown Houma, where most communities are
URBAN_COMMUNITIES = 24
COMMUNITIES_PER_STREET = 6
ROAD_WIDTH_M = 30.0  # kept clear between compounds


@dataclass
class Layout:
    """Admin polygons and compounds, each a GeoDataFrame in METRIC_CRS."""

    core: Point
    streets: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame  # with seed_x, seed_y, urban
    grids: gpd.GeoDataFrame
    compounds: gpd.GeoDataFrame


def load_boundary() -> BaseGeometry:
    """Houma's boundary in metres."""
    frame = gpd.read_file(BOUNDARY_FILE).to_crs(METRIC_CRS)
    boundary: BaseGeometry = shapely.make_valid(frame.geometry.union_all())
    return boundary


def core_point() -> Point:
    """Downtown Houma in metres."""
    x, y = gpd.GeoSeries([Point(*CORE_LONLAT)], crs=4326).to_crs(METRIC_CRS).iloc[0].coords[0]
    return Point(x, y)


def _seeds(boundary: BaseGeometry, core: Point, rng: np.random.Generator) -> np.ndarray:
    """Community seeds: 24 packed around downtown, 6 spread over the countryside."""
    inner = boundary.buffer(-400)
    seeds: list[tuple[float, float]] = []

    def far_enough(x: float, y: float, gap: float) -> bool:
        return all(math.hypot(x - sx, y - sy) >= gap for sx, sy in seeds)

    while len(seeds) < URBAN_COMMUNITIES:
        x, y = core.x + rng.normal(0, 1700), core.y + rng.normal(0, 1700)
        if inner.contains(Point(x, y)) and far_enough(x, y, 800):
            seeds.append((x, y))
    minx, miny, maxx, maxy = boundary.bounds
    while len(seeds) < URBAN_COMMUNITIES + COMMUNITIES_PER_STREET:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if inner.contains(Point(x, y)) and far_enough(x, y, 2800):
            seeds.append((x, y))
    return np.array(seeds)


def _cells(points: np.ndarray, extent: BaseGeometry) -> list[BaseGeometry]:
    """Voronoi cells of the points, in the points' order, clipped to the extent."""
    cells = shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent, ordered=True)
    return [shapely.make_valid(cell.intersection(extent)) for cell in shapely.get_parts(cells)]


def as_multi(geom: BaseGeometry) -> MultiPolygon:
    """The polygons of a geometry as one MultiPolygon (slivers dropped)."""
    polys = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 1]
    return MultiPolygon(polys)


def _reading_order(xs: np.ndarray, ys: np.ndarray, band: float) -> np.ndarray:
    """Indices in reading order: north→south bands of ``band`` metres, west→east in each."""
    rows = np.floor((ys.max() - ys) / band)
    return np.lexsort((xs, rows))


def admin_areas(
    boundary: BaseGeometry, core: Point, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Streets (5, real names) and communities (30): Voronoi cells grouped by bearing."""
    seeds = _seeds(boundary, core, rng)
    cells = _cells(seeds, boundary)
    # Group seeds into five streets of six by their bearing from downtown.
    bearing = np.arctan2(seeds[:, 1] - core.y, seeds[:, 0] - core.x)
    order = np.argsort(bearing)
    street_of = np.empty(len(seeds), dtype=int)
    for s in range(len(STREETS)):
        street_of[order[s * COMMUNITIES_PER_STREET : (s + 1) * COMMUNITIES_PER_STREET]] = s
    names = community_names(len(seeds), rng)
    street_rows, community_rows = [], []
    next_community = 1
    for s, (code, name) in enumerate(STREETS):
        members = np.flatnonzero(street_of == s)
        members = members[_reading_order(seeds[members, 0], seeds[members, 1], 1500)]
        street_rows.append(
            {
                "id": s + 1,
                "code": code,
                "name": name,
                "geometry": as_multi(shapely.union_all([cells[i] for i in members])),
            }
        )
        for seq, i in enumerate(members, start=1):
            community_rows.append(
                {
                    "id": next_community,
                    "code": f"{code}{seq:03d}",
                    "name": names[i],
                    "street_id": s + 1,
                    "seed_x": seeds[i, 0],
                    "seed_y": seeds[i, 1],
                    "urban": bool(i < URBAN_COMMUNITIES),
                    "geometry": as_multi(cells[i]),
                }
            )
            next_community += 1
    streets = gpd.GeoDataFrame(street_rows, crs=METRIC_CRS)
    communities = gpd.GeoDataFrame(community_rows, crs=METRIC_CRS)
    return streets, communities


def compound_quota(communities: gpd.GeoDataFrame, total: int) -> np.ndarray:
    """Compounds per community: at least one each, the rest mostly downtown.

    A community's homes follow its people, not its land: the outer cells of the
    town reach far into the fields, and giving them compounds by area made
    communities of 19 compounds (twice Houma's 2,000 households), half of them
    beyond a 10-minute walk of the station. Land counts only by its square root,
    so that the small cells of a big city's centre do not overflow."""
    area_km2 = communities.geometry.area.to_numpy() / 1e6
    weight = np.where(communities["urban"], 1.0, 0.35) * (1 + np.sqrt(area_km2) * total / 8000)
    share = (total - len(communities)) * weight / weight.sum()
    quota = np.floor(share).astype(int) + 1
    for i in np.argsort(share - np.floor(share))[::-1][: total - quota.sum()]:
        quota[i] += 1
    return np.asarray(quota, dtype=int)


def _place(
    community: BaseGeometry,
    seed: Point,
    count: int,
    side: float,
    rng: np.random.Generator,
    placed: list[Polygon],
) -> int:
    """Add up to ``count`` compound rectangles around the seed, a road's width apart.

    Returns how many could not be placed: the caller moves them elsewhere.
    """
    inner = community.buffer(-ROAD_WIDTH_M)
    shapely.prepare(inner)
    keep_clear = seed.buffer(60)  # room for the community station
    wanted = len(placed) + count
    tries = 0
    while len(placed) < wanted and tries < 300 * count:
        tries += 1
        # Packed around the seed, as a real community is (its station within a
        # 10-minute walk of every home), spreading out only as the ground fills up.
        spread = side / 2 + tries / count
        scale = max(0.7, 0.98 ** (tries // (20 * count)))
        w = side * scale * rng.uniform(0.8, 1.3)
        h = side * scale * rng.uniform(0.7, 1.1)
        cx, cy = seed.x + rng.normal(0, spread), seed.y + rng.normal(0, spread)
        rect = box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        if not inner.contains(rect) or rect.intersects(keep_clear):
            continue
        if placed and min(rect.distance(p) for p in placed) < ROAD_WIDTH_M:
            continue
        placed.append(rect)
    return wanted - len(placed)


def place_compounds(
    communities: gpd.GeoDataFrame, quota: np.ndarray, side: float, rng: np.random.Generator
) -> list[list[Polygon]]:
    """Compound rectangles per community; what a full community cannot take goes to
    the roomiest communities."""
    placed: list[list[Polygon]] = [[] for _ in range(len(communities))]
    seeds = [Point(x, y) for x, y in zip(communities["seed_x"], communities["seed_y"], strict=True)]
    geoms = list(communities.geometry)
    left = 0
    for i, count in enumerate(quota):
        left += _place(geoms[i], seeds[i], int(count), side, rng, placed[i])
    roomiest = np.argsort(-communities.geometry.area.to_numpy())
    for i in roomiest:
        if left == 0:
            break
        left = _place(geoms[i], seeds[i], left, side, rng, placed[i])
    if left:
        raise InvalidInputError(
            f"could not fit {int(quota.sum())} compounds into the city; use fewer --households"
        )
    return placed


def grids_and_compounds(
    communities: gpd.GeoDataFrame, quota: np.ndarray, side: float, rng: np.random.Generator
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Place compounds, then cut each community into grids of about three compounds."""
    names = compound_names(int(quota.sum()), rng)
    grid_rows: list[dict[str, object]] = []
    compound_rows: list[dict[str, object]] = []
    placed = place_compounds(communities, quota, side, rng)
    for row, rects in zip(communities.itertuples(), placed, strict=True):
        centres = np.array([[r.centroid.x, r.centroid.y] for r in rects])
        n_grids = max(1, math.ceil(len(rects) / 3))
        if n_grids == 1:
            labels = np.zeros(len(rects), dtype=int)
        else:
            _, labels = kmeans2(centres, n_grids, minit="++", rng=rng)
            labels = np.unique(labels, return_inverse=True)[1]
        cells = _cells(centres, row.geometry) if len(rects) > 1 else [row.geometry]
        grid_geoms = [
            as_multi(shapely.union_all([cells[i] for i in np.flatnonzero(labels == g)]))
            for g in range(labels.max() + 1)
        ]
        cents = np.array([[g.centroid.x, g.centroid.y] for g in grid_geoms])
        grid_order = _reading_order(cents[:, 0], cents[:, 1], 600)
        grid_ids = {}
        for seq, g in enumerate(grid_order, start=1):
            gid = len(grid_rows) + 1
            grid_ids[g] = (gid, f"{row.code}{seq:03d}")
            grid_rows.append(
                {
                    "id": gid,
                    "code": f"{row.code}{seq:03d}",
                    "name": f"{row.name}第{seq}网格",
                    "community_id": row.id,
                    "geometry": grid_geoms[g],
                }
            )
        seq_in_grid: dict[int, int] = {}
        for i in _reading_order(centres[:, 0], centres[:, 1], 300):
            gid, gcode = grid_ids[labels[i]]
            seq_in_grid[gid] = seq_in_grid.get(gid, 0) + 1
            # Clip to the compound's own cell so it lies inside its grid.
            geom = rects[i].intersection(cells[i].buffer(-10))
            if not isinstance(geom, Polygon):
                geom = max(getattr(geom, "geoms", [geom]), key=lambda g: g.area)
            compound_rows.append(
                {
                    "id": len(compound_rows) + 1,
                    "code": f"{gcode}{seq_in_grid[gid]:03d}",
                    "name": names[len(compound_rows)],
                    "grid_id": gid,
                    "community_id": row.id,
                    "geometry": geom,
                }
            )
    return (
        gpd.GeoDataFrame(grid_rows, crs=METRIC_CRS),
        gpd.GeoDataFrame(compound_rows, crs=METRIC_CRS),
    )
