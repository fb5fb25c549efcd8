"""gridgov network and gridgov site: the walking network, and where to open outposts."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from geo_api.cli.ui import listing, step, table
from geo_api.cli.words import t
from geo_api.cli.work import store
from geo_api.errors import InvalidInputError

app = typer.Typer(
    help="Build the walking network from roads, gates and stations.", rich_markup_mode=None
)
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
    step("building the walking network")
    from geo_api.network.build import rebuild

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
    dest: Annotated[
        Path | None,
        typer.Option("--out", help="also write the proposed sites here: .gpkg, .csv or .geojson"),
    ] = None,
) -> None:
    """Propose k new outposts (驿站) that reach the most homes now beyond reach, and
    the fewest that would reach them all."""
    if candidates is not None and not candidates.is_file():
        raise InvalidInputError(f"{candidates}: no such file")
    step("proposing outposts")
    from geo_api.gaps.export import check_suffix, write_layer
    from geo_api.siting.outposts import plan_outposts, sites_frame

    if dest is not None:
        check_suffix(dest, "sites")  # before minutes of solving
    points = None
    if candidates is not None:
        import geopandas as gpd
        from pyogrio.errors import DataLayerError, DataSourceError

        try:
            points = gpd.read_file(candidates)
        except (DataSourceError, DataLayerError) as exc:
            raise InvalidInputError(f"{candidates}: not a readable GIS file ({exc})") from None
        if points.crs is None or not points.geom_type.eq("Point").all():
            raise InvalidInputError(f"{candidates}: candidates must be points with a CRS")
    with store().connect() as conn:
        plan = plan_outposts(conn, k=k, reach_m=reach, points=points)
    table(
        f"{t('coverage within')} {plan.reach_m:.0f} m ({t(plan.method)})",
        {
            "households": plan.households,
            "reached now": plan.covered_before,
            "reached with the new outposts": plan.covered_after,
            "beyond reach but reachable from a candidate": plan.reachable,
            "fewest outposts to reach them all": len(plan.cover_all),
            "proven optimal": plan.optimal,
        },
    )
    listing(
        "proposed outposts",
        ("", "site", "longitude", "latitude", "+households"),
        [
            (n, s.name, f"{s.lon:.6f}", f"{s.lat:.6f}", s.households)
            for n, s in enumerate(plan.sites, start=1)
        ],
    )
    if dest is not None:
        write_layer(sites_frame(plan), dest, "sites")
        log.info("%s %s", t("wrote"), dest)
