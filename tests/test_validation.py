"""The validation report finds what rows get wrong between them, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from geo_api.db.validation import validation_report
from maps.validation import validation_page
from maps.vendor import inline_assets
from tests.browser import visit


def test_the_generated_city_is_clean(conn: Connection) -> None:
    assert validation_report(conn).empty


def test_overlaps_gaps_and_stray_homes_are_found_with_amounts(conn: Connection) -> None:
    # Grid 2 grows over grid 1 of the same community? They are in different communities
    # in the small city, so stretch a community over its neighbour instead.
    a, b = conn.execute(text("SELECT id FROM community ORDER BY id LIMIT 2")).scalars().all()
    conn.execute(
        text(
            "UPDATE community SET geom = ST_Multi(ST_Union(geom, "
            "(SELECT ST_Buffer(ST_PointOnSurface(geom), 0.001) FROM community WHERE id = :b))) "
            "WHERE id = :a"
        ),
        {"a": a, "b": b},
    )
    # A grid shrinks: part of its community is in no grid.
    grid = conn.execute(text("SELECT id FROM grid ORDER BY id LIMIT 1")).scalar_one()
    conn.execute(
        text("UPDATE grid SET geom = ST_Multi(ST_Buffer(geom, -0.001)) WHERE id = :g"),
        {"g": grid},
    )
    # A household 1 km east of its compound.
    home = conn.execute(text("SELECT min(id) FROM household")).scalar_one()
    conn.execute(
        text("UPDATE household SET geom = ST_Translate(geom, 0.012, 0) WHERE id = :h"),
        {"h": home},
    )
    report = validation_report(conn)
    kinds = set(zip(report["kind"], report["table"], strict=True))
    assert ("overlap", "community") in kinds
    assert ("uncovered", "community") in kinds
    assert ("home_outside_compound", "household") in kinds
    stray = report[report["kind"] == "home_outside_compound"]
    assert stray["id"].tolist() == [home] and 900 < stray["amount"].iat[0] < 1300
    overlap = report[(report["kind"] == "overlap") & (report["table"] == "community")]
    assert overlap["id"].iat[0] == min(a, b) and overlap["amount"].iat[0] > 1000
    assert overlap.geometry.notna().all()


def test_a_parent_with_no_children_yet_is_uncovered_not_a_crash(conn: Connection) -> None:
    community = conn.execute(text("SELECT min(id) FROM community")).scalar_one()
    # The heads living there are named by the history, which no cascade deletes
    # (migration 0008): the history goes first, by hand, then the grids.
    conn.execute(text("DELETE FROM assignment"))
    conn.execute(text("DELETE FROM place_cover"))
    conn.execute(text("DELETE FROM grid WHERE community_id = :c"), {"c": community})
    report = validation_report(conn)
    mine = report[(report["kind"] == "uncovered") & (report["id"] == community)]
    area = conn.execute(
        text("SELECT ST_Area(geom::geography) FROM community WHERE id = :c"), {"c": community}
    ).scalar_one()
    assert len(mine) == 1 and abs(mine["amount"].iat[0] - area) < 1


@pytest.mark.browser
def test_the_report_map_opens_offline_with_every_problem(conn: Connection, tmp_path: Path) -> None:
    home = conn.execute(text("SELECT min(id) FROM household")).scalar_one()
    conn.execute(
        text("UPDATE household SET geom = ST_Translate(geom, 0.012, 0) WHERE id = :h"),
        {"h": home},
    )
    problems = validation_report(conn)
    page = tmp_path / "report.html"
    page.write_text(inline_assets(validation_page(problems)), encoding="utf-8")
    with visit(page.as_uri()) as seen:
        labels = seen.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()
        panel = seen.page.locator("#report").inner_text()
        shapes = seen.page.locator("path.leaflet-interactive").count()
    assert seen.errors == [] and seen.blocked == []
    assert len(labels) == 4 and any("户不在小区内（1）" in label for label in labels)
    assert f"{len(problems)} 个问题" in panel and shapes >= 1
