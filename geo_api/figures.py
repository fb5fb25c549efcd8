"""The key figures of the city: what the command centre's panel shows."""

from __future__ import annotations

from sqlalchemy import Connection, text

FIGURES_SQL = text("""
SELECT
  (SELECT count(*) FROM household WHERE ended_on IS NULL) AS households,
  (SELECT count(*) FROM assignment WHERE valid_to IS NULL) AS households_covered,
  (SELECT count(*) FROM active_head WHERE role = 'compound') AS compound_heads,
  (SELECT count(*) FROM active_head WHERE role = 'building') AS building_heads,
  (SELECT count(*) FROM active_head WHERE role = 'unit') AS unit_heads,
  (SELECT count(*) FROM member) AS members,
  (SELECT count(*) FROM station WHERE tier = 'city') AS city_stations,
  (SELECT count(*) FROM station WHERE tier = 'street') AS street_stations,
  (SELECT count(*) FROM station WHERE tier = 'community') AS community_stations,
  (SELECT count(*) FROM station WHERE tier = 'outpost') AS outposts
""")


def key_figures(conn: Connection) -> dict[str, int]:
    """Households, coverage, heads by level, members and stations by tier."""
    row = conn.execute(FIGURES_SQL).mappings().one()
    return {key: int(value) for key, value in row.items()}
