"""The officers' maps of a community and of a grid: in Chromium, and their errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from geo_api.gaps.finder import find_gaps
from maps import coverage_layers
from maps.gap_layers import gap_groups
from maps.labels import labels
from maps.officers import find_area, gaps_in
from tests.browser import visit

# The truth for one area, straight from the tables: households, those covered,
# unit heads, and buildings whose households are all, some or none covered.
AREA_TRUTH = """
WITH per_building AS (
  SELECT b.id, count(h.id) AS n, count(a.household_id) AS covered
  FROM building b JOIN compound cp ON cp.id = b.compound_id
  JOIN community c ON c.id = cp.community_id JOIN grid g ON g.id = cp.grid_id
  LEFT JOIN unit u ON u.building_id = b.id LEFT JOIN household h ON h.unit_id = u.id
  LEFT JOIN assignment a ON a.household_id = h.id AND a.valid_to IS NULL
  WHERE c.code = :code OR g.code = :code GROUP BY b.id)
SELECT (SELECT sum(n) FROM per_building) AS households,
       (SELECT sum(covered) FROM per_building) AS households_covered,
       (SELECT count(*) FROM active_head hd JOIN unit u ON u.id = hd.unit_id
        JOIN building b ON b.id = u.building_id JOIN compound cp ON cp.id = b.compound_id
        JOIN community c ON c.id = cp.community_id JOIN grid g ON g.id = cp.grid_id
        WHERE hd.role = 'unit' AND (c.code = :code OR g.code = :code)) AS unit_heads,
       (SELECT count(*) FROM per_building WHERE n > 0 AND covered = n) AS buildings_all,
       (SELECT count(*) FROM per_building WHERE covered > 0 AND covered < n) AS buildings_some,
       (SELECT count(*) FROM per_building WHERE n > 0 AND covered = 0) AS buildings_none
"""
FIGURES_JS = "els => Object.fromEntries(els.map(e => [e.dataset.figure, e.textContent]))"


def busiest(engine: Engine, level: str) -> str:
    """The community or grid with the most gaps of any kind (so its map has some)."""
    with engine.connect() as conn:
        gaps = find_gaps(conn)
        community = gaps["community_code"].value_counts().index[0]
        if level == "community":
            return str(community)
        return str(
            conn.execute(
                text(
                    "SELECT g.code FROM grid g JOIN community c ON c.id = g.community_id "
                    "WHERE c.code = :c ORDER BY g.code LIMIT 1"
                ),
                {"c": community},
            ).scalar_one()
        )


def area_truth(engine: Engine, level: str, code: str) -> dict[str, int]:
    with engine.connect() as conn:
        row = conn.execute(text(AREA_TRUTH), {"code": code}).mappings().one()
        gaps = gaps_in(conn, find_area(conn, level, code))
    return {**{k: int(v or 0) for k, v in row.items()}, "gaps": len(gaps)}


def personal_data(engine: Engine) -> set[str]:
    """Every name and phone gridgov holds (heads, members, grid officers)."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT name, phone FROM head UNION SELECT name, phone FROM member "
                "UNION SELECT name, phone FROM grid_officer"
            )
        ).all()
        places = " ".join(
            conn.execute(
                text(
                    "SELECT string_agg(name, ' ') FROM (SELECT name FROM compound UNION "
                    "SELECT name FROM community UNION SELECT name FROM grid UNION "
                    "SELECT name FROM station UNION SELECT name FROM street) n"
                )
            ).scalar_one()
        )
    # A two-character name may also be part of a place's name; those cannot be told apart.
    return {p for _, p in rows} | {n for n, _ in rows if n not in places}


@pytest.mark.browser
@pytest.mark.parametrize("level", ["community", "grid"])
def test_officer_map_in_chromium(
    live_server: str, engine: Engine, artifacts: Path, level: str
) -> None:
    code = busiest(engine, level)
    path = "communities" if level == "community" else "grids"
    with visit(f"{live_server}/maps/{path}/{code}") as seen:
        page = seen.page
        page.wait_for_function("window.gg_ready !== undefined")
        overlays = page.eval_on_selector_all(
            ".leaflet-control-layers-overlays label", "els => els.map(e => e.textContent.trim())"
        )
        figures = page.eval_on_selector_all("[data-figure]", FIGURES_JS)
        # Drawn on a canvas: count the dots with a popup (unit heads) from Leaflet itself.
        heads = page.evaluate(
            "(() => { var n = 0; gg_map.eachLayer(l => { if (l instanceof L.CircleMarker"
            " && l.getPopup()) n++; }); return n; })()"
        )
        page.screenshot(path=str(artifacts / f"{level}-map.png"))
        html = page.content()
    assert seen.errors == [] and seen.blocked == []
    truth = area_truth(engine, level, code)
    t = labels("zh")
    must = [t["area.grid"], t["area.compound"], t["buildings.layer"], t["role.unit"]]
    if level == "community":
        must.insert(0, t["area.community"])
    names = [re.sub(r"（\d+）$", "", o) for o in overlays]
    assert [n for n in names if n in must] == must
    assert len([n for n in names if n.startswith("问题：")]) == len(gap_groups())
    assert {k: int(v.replace(",", "")) for k, v in figures.items()} == truth
    assert heads == truth["unit_heads"] > 0
    assert [p for p in personal_data(engine) if p in html] == []


def test_unit_heads_list_the_rooms_they_cover(conn: Connection, client: TestClient) -> None:
    code = conn.execute(text("SELECT code FROM community ORDER BY code LIMIT 1")).scalar_one()
    heads = coverage_layers.unit_heads(conn, code, None)
    head = heads.iloc[0]
    rooms = conn.execute(
        text(
            "SELECT b.number, u.number, h.room FROM assignment a "
            "JOIN household h ON h.id = a.household_id JOIN unit u ON u.id = h.unit_id "
            "JOIN building b ON b.id = u.building_id "
            "WHERE a.head_id = :id AND a.valid_to IS NULL ORDER BY 1, 2, 3"
        ),
        {"id": int(head["id"])},
    ).all()
    listed = [(b, u, room) for b, u, rs in head["rooms"] for room in rs]
    assert listed == [tuple(r) for r in rooms] and len(rooms) == head["load"]
    page = client.get(f"/maps/communities/{code}").text
    b, u, rs = head["rooms"][0]
    assert f"{b}号楼{u}单元：{', '.join(rs)}" in page
    # The popup says the load once (it used to read 联系 18 户（联系 18 户（目标…）)),
    # and lists each unit's rooms once.
    assert "户（联系" not in page
    assert page.count(f"{b}号楼{u}单元：{', '.join(rs)}") == 1


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/maps/communities/123", 422, "12 digits, not '123'"),
        ("/maps/communities/14108100100a", 422, "12 digits"),
        ("/maps/communities/141081999999", 404, "no community has the code '141081999999'"),
        ("/maps/grids/141081001001", 422, "15 digits"),
        ("/maps/grids/141081999999999", 404, "no grid has the code"),
    ],
)
def test_officer_map_errors(client: TestClient, path: str, status: int, says: str) -> None:
    response = client.get(path)
    assert response.status_code == status and says in response.json()["detail"]


def test_grid_map_keeps_only_the_grids_gaps(conn: Connection) -> None:
    community = conn.execute(
        text(
            "SELECT c.code FROM community c JOIN grid g ON g.community_id = c.id "
            "GROUP BY c.code ORDER BY count(*) DESC, c.code LIMIT 1"
        )
    ).scalar_one()
    grids = conn.execute(
        text(
            "SELECT g.code FROM grid g JOIN community c ON c.id = g.community_id WHERE c.code = :c"
        ),
        {"c": community},
    ).scalars()
    whole = gaps_in(conn, find_area(conn, "community", community))
    parts = [gaps_in(conn, find_area(conn, "grid", g)) for g in grids]
    wide = whole["ref_type"] == "community"
    # Each gap of a place is in exactly one grid; community-wide ones are in every grid.
    placed = sum(len(p[p["ref_type"] != "community"]) for p in parts)
    assert placed == len(whole[~wide])
    assert all(len(p[p["ref_type"] == "community"]) == wide.sum() for p in parts)
