"""Who must act on a gap: the nearest person in post above the place that lacks one."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo_api.gaps.finder import find_gaps
from geo_api.gaps.who_acts import Actor, who_acts, who_acts_frame


def building_head(conn: Connection, unit_id: int) -> tuple[int, str, str] | None:
    row = conn.execute(
        text(
            "SELECT hd.id, hd.name, hd.phone FROM unit u JOIN active_head hd "
            "ON hd.role = 'building' AND hd.building_id = u.building_id WHERE u.id = :u"
        ),
        {"u": unit_id},
    ).first()
    return None if row is None else (row[0], row[1], row[2])


def test_a_unit_without_head_names_its_building_head(conn: Connection) -> None:
    gaps = find_gaps(conn, types=["unit_without_head"])
    assert len(gaps)
    actors = who_acts_frame(conn, gaps)
    for gap, actor in zip(gaps.itertuples(), actors, strict=True):
        head = building_head(conn, gap.ref_id)
        if head is not None:
            assert actor == Actor("building", *head)
        else:
            assert actor.role in ("compound", "grid_officer", "community")
        assert actor.role != "unit"


def test_the_rule_climbs_when_the_building_head_leaves(conn: Connection) -> None:
    gap = find_gaps(conn, types=["unit_without_head"]).iloc[0]
    first = who_acts(conn, gap)
    assert first.role == "building"
    conn.execute(text("UPDATE head SET left_on = china_today() WHERE id = :h"), {"h": first.id})
    conn.execute(
        text("UPDATE place_cover SET valid_to = now() WHERE head_id = :h AND valid_to IS NULL"),
        {"h": first.id},
    )
    then = who_acts(conn, gap)
    compound_head = conn.execute(
        text(
            "SELECT hd.id FROM unit u JOIN building b ON b.id = u.building_id "
            "JOIN active_head hd ON hd.role = 'compound' AND hd.compound_id = b.compound_id "
            "WHERE u.id = :u"
        ),
        {"u": int(gap["ref_id"])},
    ).scalar()
    assert then.role == ("compound" if compound_head else "grid_officer")
    assert then.id == (compound_head or then.id)


def test_a_building_without_head_names_the_compound_head_or_officer(conn: Connection) -> None:
    # Before any run covers them, every planted building and compound is a gap.
    conn.execute(text("DELETE FROM place_cover"))
    gaps = find_gaps(conn, types=["building_without_head", "compound_without_head"])
    actors = who_acts_frame(conn, gaps)
    roles = {
        t: {a.role for g, a in zip(gaps["type"], actors, strict=True) if g == t}
        for t in ("building_without_head", "compound_without_head")
    }
    assert roles["building_without_head"] <= {"compound", "grid_officer", "community"}
    assert roles["compound_without_head"] <= {"grid_officer", "community"}
    assert roles["building_without_head"] and roles["compound_without_head"]


def test_planning_gaps_name_the_community_and_masks_hide_people(conn: Connection) -> None:
    gaps = find_gaps(conn, types=["beyond_10min_walk", "unit_without_head"])
    actors = who_acts_frame(conn, gaps)
    for kind, actor in zip(gaps["type"], actors, strict=True):
        if kind == "beyond_10min_walk":
            assert actor.role == "community" and actor.phone is None and actor.name
            assert actor.shown(False) == actor and actor.record is None
        else:
            masked = actor.shown(False)
            assert masked.name != actor.name and "*" in (masked.phone or "")
            assert actor.shown(True) == actor and actor.record is not None
