"""How many of the demo city's compounds lie beyond each walk of a station.

Builds the demo city (default 60,000 households, `make demo`'s) into a throwaway
PostGIS cluster, runs the gap finder's three walking circles and prints, per
circle, the compounds and households beyond it. Not a timing: a measure of how
the demo places its stations (issue 15: walking gaps should be the exception).

Run: ``uv run python scripts/bench/demo_reach.py [--households N] [--seed S]``
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from geo_api.db import migrate
from geo_api.db.cluster import Cluster
from geo_api.db.engine import make_engine
from geo_api.demo.city import DEMO_HOUSEHOLDS, DEMO_SEED, generate_city
from geo_api.demo.load import load_city
from geo_api.gaps.access import CIRCLES
from geo_api.gaps.finder import find_gaps


def main() -> None:
    """Print compounds and households beyond each walking circle."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--households", type=int, default=DEMO_HOUSEHOLDS)
    parser.add_argument("--seed", type=int, default=DEMO_SEED)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gridgov-reach-"))
    cluster = Cluster(folder, durable=False)
    try:
        engine = make_engine(cluster.up())
        migrate.upgrade(engine)
        city = generate_city(args.households, args.seed)
        load_city(engine, city)
        with engine.connect() as conn:
            compounds = conn.execute(text("SELECT count(*) FROM compound")).scalar_one()
            homes = conn.execute(text("SELECT count(*) FROM household")).scalar_one()
            gaps = find_gaps(conn, types=list(CIRCLES))
        table = Table(title=f"demo city, {homes:,} households, {compounds} compounds")
        for column in ("circle", "compounds beyond", "households beyond"):
            table.add_column(column, justify="right")
        for name in CIRCLES:
            rows = gaps[gaps["type"] == name]
            table.add_row(name, f"{len(rows)} / {compounds}", f"{rows['households'].sum():,}")
        Console().print(table)
        engine.dispose()
    finally:
        cluster.down()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
