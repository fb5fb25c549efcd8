"""How many features the store holds for each OGC collection, as JSON on stdout: what
QGIS must find (scripts/qgis/check_oapif.py). Counted in SQL, as tests/test_ogc.py does."""

from __future__ import annotations

import json

from sqlalchemy import text

from geo_api.catalogue.layers import LAYERS
from geo_api.db.engine import database_url, make_engine
from geo_api.gaps.finder import find_gaps


def main() -> None:
    """Print {collection: count} for every collection of /ogc/collections."""
    engine = make_engine(database_url(), pool_size=1)
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for layer in LAYERS:
            sql = f"SELECT count(*) FROM ({layer.sql}) AS l"
            counts[layer.name] = int(conn.execute(text(sql)).scalar_one())
        kinds = find_gaps(conn).geom_type
        counts["gap_points"] = int(kinds.isin(["Point"]).sum())
        counts["gap_areas"] = int(kinds.isin(["Polygon", "MultiPolygon"]).sum())
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
