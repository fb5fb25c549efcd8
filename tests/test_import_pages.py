"""An import never breaks another page: a new quarter is imported layer by layer with
only the columns each layer requires (no hours, no floors, no parent codes where a
place can say them), then every GET route of the API is asked about it. None may
answer 500. A route added to the API without a request here fails the test."""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import pandas as pd
import shapely
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from starlette.routing import BaseRoute, Route

from geo_api.importer.run import import_file

STREET = "141081901"
COMMUNITY = STREET + "001"
GRID = COMMUNITY + "001"
COMPOUND = "NEWQ1"


def _quarter(conn: Connection) -> tuple[float, float]:
    """The south-west corner of a free square 1.5 km east of the city (inside its margin)."""
    east, south = conn.execute(
        text(
            "SELECT ST_XMax(e), (ST_YMin(e) + ST_YMax(e)) / 2 FROM "
            "(SELECT ST_Extent(geom) AS e FROM street) s"
        )
    ).one()
    return float(east) + 0.015, float(south)


def _box(x: float, y: float, size: float) -> shapely.Polygon:
    return shapely.box(x, y, x + size, y + size)


def _write(path: Path, rows: dict[str, list[object]], geoms: list[object] | None = None) -> Path:
    if geoms is None:
        pd.DataFrame(rows).to_csv(path, index=False)
    else:
        gpd.GeoDataFrame(rows, geometry=geoms, crs=4326).to_file(path)
    return path


def import_quarter(conn: Connection, folder: Path) -> dict[str, object]:
    """Every layer, each with its required columns only; returns what the pages ask about."""
    x, y = _quarter(conn)
    plan = [
        ("streets", {"代码": [STREET], "名称": ["新区街道"]}, [_box(x, y, 0.02)]),
        ("communities", {"代码": [COMMUNITY], "名称": ["新区社区"]}, [_box(x, y, 0.02)]),
        ("grids", {"代码": [GRID], "名称": ["新区一网格"]}, [_box(x, y, 0.02)]),
        (
            "compounds",
            {"小区编码": [COMPOUND], "小区名称": ["新区花园"]},
            [_box(x + 0.002, y + 0.002, 0.004)],
        ),
        ("buildings", {"楼号": [1]}, [_box(x + 0.003, y + 0.003, 0.0005)]),
        ("units", {"楼栋": [1], "单元": [1]}, [_box(x + 0.003, y + 0.003, 0.0002)]),
    ]
    for layer, rows, geoms in plan:
        import_file(conn, layer, _write(folder / f"{layer}.geojson", rows, geoms))
    csv_layers = [
        ("households", {"地址": [f"新区花园1号楼1单元{r}室" for r in (101, 102, 201)]}),
        (
            "stations",
            {
                "站点名称": ["新区驿站"],
                "层级": ["驿站"],
                "面积": [80],
                "经度": [x + 0.007],
                "纬度": [y + 0.007],
            },
        ),
        (
            "members",
            {"姓名": ["新党员"], "手机": ["13900000001"], "地址": ["新区花园1号楼1单元101室"]},
        ),
        (
            "heads",
            {
                "角色": ["单元长"],
                "姓名": ["新单元长"],
                "电话": ["13900000002"],
                "地址": ["新区花园1号楼1单元102室"],
            },
        ),
        ("gates", {"小区代码": [COMPOUND], "经度": [x + 0.002], "纬度": [y + 0.004]}),
    ]
    for layer, rows in csv_layers:
        import_file(conn, layer, _write(folder / f"{layer}.csv", rows))
    road = shapely.LineString([(x - 0.01, y + 0.004), (x + 0.02, y + 0.004)])
    import_file(conn, "roads", _write(folder / "roads.geojson", {"名称": ["新区路"]}, [road]))
    household = conn.execute(
        text("SELECT id FROM household WHERE address LIKE '新区花园%' ORDER BY id LIMIT 1")
    ).scalar_one()
    head = conn.execute(text("SELECT id FROM head WHERE name = '新单元长'")).scalar_one()
    member = conn.execute(text("SELECT id FROM member WHERE name = '新党员'")).scalar_one()
    building, compound = conn.execute(
        text("""SELECT b.id, b.compound_id FROM household h JOIN unit u ON u.id = h.unit_id
                JOIN building b ON b.id = u.building_id WHERE h.id = :h"""),
        {"h": household},
    ).one()
    return {
        "lon": x + 0.0031,
        "lat": y + 0.0031,
        "household": household,
        "head": head,
        "member": member,
        "building": building,
        "compound": compound,
    }


def get_paths(routes: list[BaseRoute], prefix: str = "") -> set[str]:
    """Every GET path under ``routes``, into included routers too: FastAPI 0.165 keeps an
    included router as one ``_IncludedRouter`` route holding the router and its prefix."""
    paths: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = route.include_context  # type: ignore[attr-defined]
            paths |= get_paths(included.routes, prefix + context.prefix)
        elif isinstance(route, Route) and route.methods and "GET" in route.methods:
            paths.add(prefix + route.path)
    return paths


def app_get_paths(app: FastAPI) -> set[str]:
    """The app's GET paths, checked against its OpenAPI document (which omits only the
    routes hidden from the schema, so the walk must find at least those it lists)."""
    walked = get_paths(app.routes)
    documented = {path for path, ops in app.openapi()["paths"].items() if "get" in ops}
    assert documented <= walked, documented - walked
    return walked


def _first(conn: Connection, table: str) -> int:
    """The first row's id of ``table`` (0 when it is empty: the route must answer 404)."""
    query = text(f'SELECT coalesce(min(id), 0) FROM "{table}"')
    return int(conn.execute(query).scalar_one())


def test_every_page_answers_after_minimal_imports(
    conn: Connection, client: TestClient, tmp_path: Path
) -> None:
    at = import_quarter(conn, tmp_path)
    lon, lat = at["lon"], at["lat"]
    z = 15
    tx = int((float(lon) + 180) / 360 * 2**z)  # type: ignore[arg-type]
    ty = int((1 - math.asinh(math.tan(math.radians(float(lat)))) / math.pi) / 2 * 2**z)  # type: ignore[arg-type]
    urls = {
        "/health": "/health",
        "/login": "/login",
        "/docs": "/docs",
        "/openapi.json": "/openapi.json",
        "/favicon.ico": "/favicon.ico",
        "/logout": None,  # signs the browser out: not a page about the data
        "/": "/",
        "/maps/command-centre": "/maps/command-centre",
        "/maps/communities/{code}": f"/maps/communities/{COMMUNITY}",
        "/maps/grids/{code}": f"/maps/grids/{GRID}",
        "/lookup": f"/lookup?lon={lon}&lat={lat}",
        "/lookup/address": "/lookup/address?q=" + quote("新区花园1号楼1单元101室"),
        "/households/{household_id}": f"/households/{at['household']}",
        "/heads/{head_id}": f"/heads/{at['head']}",
        "/gaps": f"/gaps?community={COMMUNITY}",
        "/recruits": f"/recruits?community={COMMUNITY}",
        "/service-areas": "/service-areas",
        "/siting": "/siting?k=1",
        "/exports/{fmt}": "/exports/geojson",
        "/tiles/{layer}/{z}/{x}/{y}.mvt": f"/tiles/compounds/{z}/{tx}/{ty}.mvt",
        "/ogc/": "/ogc/",
        "/ogc/conformance": "/ogc/conformance",
        "/ogc/collections": "/ogc/collections",
        "/me/heads": f"/me/heads?community={COMMUNITY}",
        "/me/changes": f"/me/changes?community={COMMUNITY}",
        "/placards/building/{building_id}": f"/placards/building/{at['building']}",
        "/placards/compound/{compound_id}": f"/placards/compound/{at['compound']}",
        "/communities": "/communities",
        "/communities/{code}/service": f"/communities/{COMMUNITY}/service",
        "/stats": "/stats",
        "/wall.json": f"/wall.json?code={COMMUNITY}",
        "/members": f"/members?community={COMMUNITY}",
        "/members/registrations": f"/members/registrations?community={COMMUNITY}",
        "/members/{member_id}": f"/members/{at['member']}",
        "/members/{member_id}/points": f"/members/{at['member']}/points",
        "/officers": "/officers",
        "/officers/{officer_id}": f"/officers/{_first(conn, 'grid_officer')}",
        "/activities": "/activities",
        "/activities/{activity_id}": f"/activities/{_first(conn, 'activity')}",
        "/units": "/units",
        "/units/{unit_id}": f"/units/{_first(conn, 'alliance_unit')}",
        "/resources": "/resources",
        "/demands": "/demands",
        "/projects": "/projects",
        "/projects/checkpoint": "/projects/checkpoint?year=2025&at=mid",
        "/party/categories": "/party/categories",
        "/matches": "/matches?year=2025",
        "/points/rules": f"/points/rules?community={COMMUNITY}",
        "/yearend/{kind}": "/yearend/communities",
    }
    routes = app_get_paths(client.app)  # type: ignore[arg-type]
    per_collection = {  # requested below, for every collection
        "/ogc/collections/{collection_id}",
        "/ogc/collections/{collection_id}/queryables",
        "/ogc/collections/{collection_id}/items",
        "/ogc/collections/{collection_id}/items/{feature_id}",
    }
    assert routes - per_collection <= set(urls)
    assert "/stats" in routes and "/yearend/{kind}" in routes  # the walk reaches into routers
    for route, url in urls.items():
        if url is None:
            continue
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code < 500, (route, url, answer.text[:500])
    collections = client.get("/ogc/collections?f=json").json()["collections"]
    for collection in collections:
        name = collection["id"]
        assert client.get(f"/ogc/collections/{name}?f=json").status_code == 200, name
        queryables = client.get(f"/ogc/collections/{name}/queryables")
        assert queryables.status_code == 200, (name, queryables.text[:500])
        items = client.get(
            f"/ogc/collections/{name}/items?f=json&bbox={lon - 0.01},{lat - 0.01},"
            f"{lon + 0.01},{lat + 0.01}"
        )
        assert items.status_code == 200, (name, items.text[:500])
        for feature in items.json()["features"][:3]:
            one = client.get(f"/ogc/collections/{name}/items/{feature['id']}?f=json")
            assert one.status_code == 200, (name, feature["id"], one.text[:500])
