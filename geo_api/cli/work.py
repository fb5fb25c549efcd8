"""gridgov assign, gaps, export: the daily work over the store."""

from __future__ import annotations

import logging
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import Engine

from geo_api.assign.capacity import set_community_capacity, set_head_capacity
from geo_api.assign.engine import RunReport, run_assignment
from geo_api.assign.parallel import SOLVERS
from geo_api.assign.recruit import REACH_M, propose_recruits
from geo_api.auth.audit import record_operator
from geo_api.cli.ui import matrix, out, progress_bar, table
from geo_api.db.engine import database_url, make_engine
from geo_api.errors import InvalidInputError
from geo_api.export.layers import FORMATS, LAYER_NAMES, check_target, export_layers
from geo_api.export.people import audit_records, written_privately
from geo_api.gaps.access import REACHES_M, parse_reaches
from geo_api.gaps.export import write_gaps
from geo_api.gaps.finder import GAP_NAMES, GAP_TYPES, find_gaps, summary
from geo_api.gaps.types import GRID_HOUSEHOLD_LIMIT

log = logging.getLogger(__name__)


def store() -> Engine:
    """An engine on the configured store (starting the embedded cluster if needed)."""
    return make_engine(database_url(), pool_size=2)


def assign_all(engine: Engine, solver: str = "flow") -> RunReport:
    """Run the engine with a progress bar and print its report."""
    if solver not in SOLVERS:
        raise InvalidInputError(f"unknown solver {solver!r}; use one of {', '.join(SOLVERS)}")
    with engine.connect() as conn:
        households = conn.exec_driver_sql("SELECT count(*) FROM household").scalar_one()
    with progress_bar() as bar, engine.begin() as conn:
        task = bar.add_task("assigning households", total=households)
        report = run_assignment(conn, progress=lambda n: bar.advance(task, n), solver=solver)
    rows: dict[str, object] = {
        "households": report.households,
        "assigned": report.assigned,
        "unassigned": report.unassigned,
        "kept their head": report.kept,
        "moved to another head (churn)": report.moved,
        "newly covered": report.added,
        "no longer covered": report.dropped,
        **{f"reason: {k}": v for k, v in report.by_reason.items()},
        "seconds": f"{report.seconds:.2f}",
    }
    table(f"assignment run {report.run_id}", rows)
    table(
        "places covered",
        {
            c.level: f"{c.own:,} own, {c.nearest:,} nearest, {c.uncovered:,} uncovered"
            + (f" ({c.changed:,} changed)" if c.changed else "")
            for c in report.places
        },
        ("level", "covered by"),
    )
    if report.members:
        placed = report.members
        table(
            "party members placed",
            {
                "by their household": placed.by_household,
                "by their point": placed.by_point,
                "by their address": placed.by_address,
                "not placed": len(placed.unplaced),
            },
        )
        for miss in placed.unplaced[:10]:
            near = ", ".join(f"{name} ({score:.2f})" for name, score in miss.candidates)
            log.warning(
                "member %d (%s): %s%s",
                miss.member_id,
                miss.address,
                miss.reason,
                f"; closest: {near}" if near else "",
            )
    return report


def assign(
    solver: Annotated[
        str, typer.Option(help="greedy (the first engine) or flow (optimal min-cost flow)")
    ] = "flow",
) -> None:
    """Assign every household to a unit head (own unit, then building, compound, grid),
    every building and compound to a head, every grid to an officer."""
    assign_all(store(), solver)


def capacity(
    target: Annotated[int | None, typer.Option(help="households a unit head should cover")] = None,
    maximum: Annotated[int | None, typer.Option(help="households a unit head may cover")] = None,
    community: Annotated[
        str | None, typer.Option(help="12-digit code: set the community's heads")
    ] = None,
    head: Annotated[int | None, typer.Option(help="a unit head's id: set theirs only")] = None,
) -> None:
    """Set unit heads' target and maximum, for a community or one head; the next
    gridgov assign applies them. For a head, leave both out to follow the community."""
    if (community is None) == (head is None):
        raise InvalidInputError("say either --community CODE or --head ID")
    with store().begin() as conn:
        if community is not None:
            if target is None or maximum is None:
                raise InvalidInputError("a community needs both --target and --maximum")
            table("community setting", set_community_capacity(conn, community, target, maximum))
        else:
            assert head is not None
            table("head setting", set_head_capacity(conn, head, target, maximum))


def recruit(
    community: Annotated[str | None, typer.Option(help="12-digit community code")] = None,
    reach: Annotated[
        float, typer.Option(help="metres a new head may live from the unit they take")
    ] = REACH_M,
) -> None:
    """Propose the fewest new unit heads, among party members and volunteers, to cover
    the households left out and those over their head's target."""
    with store().connect() as conn:
        report = propose_recruits(conn, community, reach)
    table(
        "coverage now and with the proposed heads",
        {
            "households": report.households,
            "left out: now": report.left_out_before,
            "left out: with them": report.left_out_after,
            "over target: now": report.over_target_before,
            "over target: with them": report.over_target_after,
            "new unit heads proposed": len(report.proposals),
            "proven fewest": report.optimal,
        },
    )
    if report.proposals:
        grid = Table(title="proposed unit heads", title_justify="left")
        for column in ("household", "address", "kind", "households", "units"):
            grid.add_column(column)
        for p in report.proposals:
            grid.add_row(
                str(p.household_id),
                p.address,
                "党员" if p.kind == "member" else "志愿者",
                str(p.households),
                ", ".join(str(u) for u in p.covers),
            )
        out.print(grid)


def gaps(
    gap_type: Annotated[
        list[str] | None, typer.Option("--type", help=f"one of: {', '.join(GAP_NAMES)}")
    ] = None,
    community: Annotated[str | None, typer.Option(help="12-digit community code")] = None,
    geojson: Annotated[
        Path | None,
        typer.Option(
            "--out", "--geojson", help="also write the gaps here: .gpkg, .csv or .geojson"
        ),
    ] = None,
    grid_limit: Annotated[
        int, typer.Option(help="households above which a grid is a gap")
    ] = GRID_HOUSEHOLD_LIMIT,
    reach: Annotated[
        str, typer.Option(help="the 5-, 10- and 15-minute walks in metres")
    ] = ",".join(map(str, REACHES_M)),
) -> None:
    """Find coverage gaps and print a summary table per community."""
    reaches = parse_reaches(reach)
    with store().connect() as conn:
        frame = find_gaps(
            conn, types=gap_type, community=community, grid_limit=grid_limit, reaches=reaches
        )
    labels = {gap.name: gap.label for gap in GAP_TYPES}
    if len(frame):
        matrix("gaps per community", summary(frame), labels)
    else:
        out.print("no gaps")
    table("gaps by type", frame["type"].value_counts().to_dict(), ("type", "gaps"))
    if geojson:
        write_gaps(frame, geojson)
        log.info("wrote %d gaps to %s", len(frame), geojson)
    out.print("where to act: `gridgov recruit` (new unit heads), `gridgov site` (new outposts)")


def export(
    fmt: Annotated[str, typer.Option("--format", help=f"one of: {', '.join(FORMATS)}")] = "gpkg",
    dest: Annotated[
        Path, typer.Option("--out", help="a .gpkg file, or a folder for the other formats")
    ] = Path("gridgov.gpkg"),
    people: Annotated[
        bool,
        typer.Option(
            "--people",
            help="add households' addresses and rooms and heads' names and phones, in full "
            "(recorded in the audit log)",
        ),
    ] = False,
    reason: Annotated[
        str | None, typer.Option(help="why personal data is exported, for the audit log")
    ] = None,
) -> None:
    """Export every layer for GIS (no personal data, unless --people): GeoPackage, or a
    folder of GeoJSON, Shapefile, FlatGeobuf, CSV (WKT) or GeoParquet files."""
    check_target(fmt, dest)
    engine = store()
    shown: dict[str, list[int]] = {}
    # Personal data is written readable by its owner only (0600), not world-readable.
    private = written_privately(dest) if people else nullcontext()
    with progress_bar() as bar, engine.connect() as conn, private:
        task = bar.add_task("exporting layers", total=len(LAYER_NAMES))
        written = export_layers(
            conn,
            fmt,
            dest,
            progress=lambda _n, _r: bar.advance(task),
            people="full" if people else None,
            shown=shown,
        )
    if people:
        with engine.begin() as conn:
            action = f"gridgov export --format {fmt} --people"
            record_operator(conn, action, audit_records(written, shown), reason)
    table(f"exported to {dest}", written, ("layer", "features"))
