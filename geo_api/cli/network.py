"""gridgov network and gridgov site: the walking network, and where to open outposts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import geopandas as gpd
import typer

from geo_api.cli.ui import out, table
from geo_api.cli.work import store
from geo_api.errors import InvalidInputError
from geo_api.network.build import rebuild
from geo_api.siting.outposts import plan_outposts

app = typer.Typer(help="Build the walking network from roads, gates and stations.")
log = logging.getLogger(__name__)


@app.command()
def build(
    node_crossings: Annotated[
        bool | None,
        typer.Option(
            "--node-crossings/--shared-vertices-only",
            help="also join ways where they cross at the same level (bridge, tunnel, layer); "
            "default: as the last build (at first, only at shared vertices)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Rebuild the walking network and the stations' service areas (after roads, gates
    or stations change)."""
    with store().begin() as conn:
        report = rebuild(conn, node_crossings=node_crossings)
    table(
        "walking network",
        {
            "roads": report.roads,
            "vertices": report.vertices,
            "edges": report.edges,
            "km of road": round(report.km, 1),
            "gates joined": report.gates,
            "buildings entered on their own (compounds without gates)": report.building_entries,
            "stations joined": report.stations,
            "joined where ways cross": "yes" if report.node_crossings else "no (shared vertices)",
            "metric CRS": f"EPSG:{report.metric_epsg}" if report.metric_epsg else "-",
        },
        ("", ""),
    )
    for name in report.stations_off:
        log.warning("station %s has no road within reach: straight lines are used", name)
    if report.compounds_off:
        log.warning(
            "%d compounds have no road within reach (straight lines are used): %s",
            len(report.compounds_off),
            ", ".join(report.compounds_off[:10]),
        )


def site(
    k: Annotated[int, typer.Option("--k", help="how many new outposts to propose")] = 5,
    reach: Annotated[float, typer.Option(help="walk in metres an outpost serves")] = 300.0,
    candidates: Annotated[
        Path | None,
        typer.Option(help="candidate sites (points, any GDAL format); default: compound gates"),
    ] = None,
) -> None:
    """Propose k new outposts (驿站) that reach the most homes now beyond reach, and
    the fewest that would reach them all."""
    points = None
    if candidates is not None:
        if not candidates.exists():
            raise InvalidInputError(f"{candidates}: no such file")
        points = gpd.read_file(candidates)
        if points.crs is None or not points.geom_type.eq("Point").all():
            raise InvalidInputError(f"{candidates}: candidates must be points with a CRS")
    with store().connect() as conn:
        plan = plan_outposts(conn, k=k, reach_m=reach, points=points)
    table(
        f"coverage within {plan.reach_m:.0f} m ({plan.method})",
        {
            "households": plan.households,
            "reached now": plan.covered_before,
            f"reached with {len(plan.sites)} new outposts": plan.covered_after,
            "beyond reach but reachable from a candidate": plan.reachable,
            "fewest outposts to reach them all": len(plan.cover_all),
            "proven optimal": "yes" if plan.optimal else "no (time limit)",
        },
        ("", ""),
    )
    for n, s in enumerate(plan.sites, start=1):
        out.print(f"{n}. {s.name} ({s.lon:.6f}, {s.lat:.6f}): +{s.households} households")
