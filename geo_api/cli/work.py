"""gridgov assign, capacity, recruit, gaps, export: the daily work over the store.

The domain is imported inside each command (see geo_api.cli.main)."""

from __future__ import annotations

import logging
import re
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo_api.cli import choices
from geo_api.cli.ui import listing, out, progress_bar, step, table
from geo_api.cli.words import lang, t
from geo_api.errors import InvalidInputError

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from geo_api.assign.engine import RunReport

log = logging.getLogger(__name__)


def store() -> Engine:
    """An engine on the configured store (starting the embedded cluster if needed)."""
    from geo_api.db.engine import database_url, make_engine

    return make_engine(database_url(), pool_size=2)


def code_of(conn: Connection, level: str, given: str | None) -> str | None:
    """The code a --community, --grid or --compound option names, by code or by name."""
    if given is None:
        return None
    from geo_api.lookup.places import resolve_code

    return resolve_code(conn, level, given)


def assign_all(engine: Engine, solver: str = "flow") -> RunReport:
    """Run the engine with a progress bar and print its report."""
    if solver not in choices.SOLVERS:
        raise InvalidInputError(
            f"unknown solver {solver!r}; use one of {', '.join(choices.SOLVERS)}"
        )
    from geo_api.assign.engine import run_assignment

    with engine.connect() as conn:
        households = conn.exec_driver_sql(
            "SELECT count(*) FROM household WHERE ended_on IS NULL"
        ).scalar_one()
    with progress_bar() as bar, engine.begin() as conn:
        task = bar.add_task(t("assigning households"), total=households)
        report = run_assignment(conn, progress=lambda n: bar.advance(task, n), solver=solver)
    rows: dict[str, object] = {
        "households": report.households,
        "assigned": report.assigned,
        "unassigned": report.unassigned,
        "kept their head": report.kept,
        "moved to another head (churn)": report.moved,
        "newly covered": report.added,
        "no longer covered": report.dropped,
        **{f"{t('reason')}: {k}": v for k, v in report.by_reason.items()},
        "seconds": f"{report.seconds:.2f}",
        "solved on": t(report.solved_on),  # this process, or the Dask cluster's name
    }
    table(f"{t('assignment run')} {report.run_id}", rows)
    table(
        "places covered",
        {
            c.level: f"{c.own:,} {t('own')}, {c.nearest:,} {t('nearest')}, "
            f"{c.uncovered:,} {t('uncovered')}"
            + (f" ({c.changed:,} {t('changed')})" if c.changed else "")
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
    step("assigning households")
    engine = store()
    assign_all(engine, solver)
    from geo_api.stats.snapshot import take_snapshot

    take_snapshot(engine)  # the wall's figures follow the run (geo_api.stats)


Community = Annotated[
    str | None, typer.Option(help="a community: its 12-digit code or its name (开发区社区)")
]


def capacity(
    target: Annotated[int | None, typer.Option(help="households a unit head should cover")] = None,
    maximum: Annotated[int | None, typer.Option(help="households a unit head may cover")] = None,
    community: Community = None,
    head: Annotated[int | None, typer.Option(help="a unit head's id: set theirs only")] = None,
) -> None:
    """Set unit heads' target and maximum, for a community or one head; the next
    gridgov assign applies them. For a head, leave both out to follow the community."""
    if (community is None) == (head is None):
        raise InvalidInputError("say either --community CODE or --head ID")
    if community is not None and (target is None or maximum is None):
        raise InvalidInputError("a community needs both --target and --maximum")
    step("connecting to the store")
    from geo_api.assign.capacity import set_community_capacity, set_head_capacity

    with store().begin() as conn:
        if community is not None:
            assert target is not None and maximum is not None
            code = code_of(conn, "community", community)
            assert code is not None
            table("community setting", set_community_capacity(conn, code, target, maximum))
        else:
            assert head is not None
            table("head setting", set_head_capacity(conn, head, target, maximum))


def recruit(
    community: Community = None,
    reach: Annotated[
        float, typer.Option(help="metres a new head may live from the unit they take")
    ] = choices.RECRUIT_REACH_M,
) -> None:
    """Propose the fewest new unit heads, among party members and volunteers, to cover
    the households left out and those over their head's target."""
    step("proposing new unit heads")
    from geo_api.assign.recruit import propose_recruits

    with store().connect() as conn:
        report = propose_recruits(conn, code_of(conn, "community", community), reach)
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
        rows = []
        for p in report.proposals:
            units = [
                f"{_short(p.unit_names.get(u, str(u)), p.address)} ({n})"
                for u, n in p.covers.items()
            ]
            kind = t("party member") if p.kind == "member" else t("volunteer")
            rows.append((p.address, kind, p.households, ", ".join(units)))
        listing("proposed unit heads", ("candidate", "kind", "households", "units"), rows)


def _short(unit: str, address: str) -> str:
    """A unit's address without its compound when the candidate lives in that compound."""
    found = UNIT_ADDRESS.match(unit)
    if found and found.group(1) and found.group(1) in address:
        return found.group(2)
    return unit


UNIT_ADDRESS = re.compile(r"^(.*?)(\d+号楼\d+单元)$")


def gaps(
    gap_type: Annotated[
        list[str] | None,
        typer.Option("--type", help=f"one of: {', '.join(choices.GAP_NAMES)}"),
    ] = None,
    community: Community = None,
    geojson: Annotated[
        Path | None,
        typer.Option(
            "--out", "--geojson", help="also write the gaps here: .gpkg, .csv or .geojson"
        ),
    ] = None,
    grid_limit: Annotated[
        int, typer.Option(help="households above which a grid is a gap")
    ] = choices.GRID_HOUSEHOLD_LIMIT,
    reach: Annotated[
        str, typer.Option(help="the 5-, 10- and 15-minute walks in metres")
    ] = ",".join(map(str, choices.REACHES_M)),
) -> None:
    """Find coverage gaps and print a summary table per community."""
    step("finding gaps")
    from geo_api.gaps.access import parse_reaches
    from geo_api.gaps.finder import find_gaps

    reaches = parse_reaches(reach)
    with store().connect() as conn:
        frame = find_gaps(
            conn,
            types=gap_type,
            community=code_of(conn, "community", community),
            grid_limit=grid_limit,
            reaches=reaches,
        )
    print_gaps(frame)
    if geojson:
        from geo_api.gaps.export import write_gaps

        write_gaps(frame, geojson)
        log.info("%s %d → %s", t("wrote"), len(frame), geojson)
    out.print(t("where to act: `gridgov recruit` (new unit heads), `gridgov site` (new outposts)"))


def print_gaps(frame: object) -> None:
    """The gaps per community (each type and count on one wrapped line, so the table
    fits 80 columns), then the count of each type, in the run's language."""
    import pandas as pd

    from geo_api.gaps.finder import GAP_TYPES
    from maps.labels import gap_label

    assert isinstance(frame, pd.DataFrame)
    names = {g.name: gap_label(g.name, g.label, lang()) for g in GAP_TYPES}
    if not len(frame):
        out.print(t("no gaps"))
        return
    named = frame.fillna({"community_name": t("(no community)")})
    order = list(names)
    rows = []
    for community, part in named.groupby("community_name", sort=True):
        counts = part["type"].value_counts()
        kinds = [f"{names[n]} {int(counts[n]):,}" for n in order if n in counts]
        rows.append((str(community), len(part), ("；" if lang() == "zh" else "; ").join(kinds)))
    listing("gaps per community", ("community", "gaps", "gaps (by type)"), rows)
    counts = frame["type"].value_counts()
    listing(
        "gaps by type",
        ("type", "code", "gaps"),
        [(names[n], n, int(counts[n])) for n in order if n in counts],
    )


def export(
    fmt: Annotated[
        str, typer.Option("--format", help=f"one of: {', '.join(choices.EXPORT_FORMATS)}")
    ] = "gpkg",
    dest: Annotated[
        Path, typer.Option("--out", help="a .gpkg file, or a folder for the other formats")
    ] = Path("gridgov.gpkg"),
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="replace what is already at --out")
    ] = False,
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
    at: Annotated[
        str | None,
        typer.Option(
            help="an ISO date (2025-06-01): streets, communities, grids and compounds as they "
            "were that day (the other layers as today)"
        ),
    ] = None,
) -> None:
    """Export every layer for GIS (no personal data, unless --people): GeoPackage, or a
    folder of GeoJSON, Shapefile, FlatGeobuf, CSV (WKT) or GeoParquet files."""
    step("exporting layers")
    from geo_api.auth.audit import record_operator
    from geo_api.export.layers import LAYER_NAMES, check_target, export_layers
    from geo_api.export.people import audit_records, written_privately
    from geo_api.generations.store import parse_date

    day = parse_date(at, "--at")
    check_target(fmt, dest)
    _free_target(dest, overwrite)
    engine = store()
    shown: dict[str, list[int]] = {}
    # Personal data is written readable by its owner only (0600), not world-readable.
    private = written_privately(dest) if people else nullcontext()
    with progress_bar() as bar, engine.connect() as conn, private:
        task = bar.add_task(t("exporting layers"), total=len(LAYER_NAMES))
        written = export_layers(
            conn,
            fmt,
            dest,
            progress=lambda _n, _r: bar.advance(task),
            people="full" if people else None,
            shown=shown,
            at=day,
        )
    if people:
        with engine.begin() as conn:
            action = f"gridgov export --format {fmt} --people"
            record_operator(conn, action, audit_records(written, shown), reason)
    table(f"{t('exported to')} {dest}", written, ("layer", "features"), names=True)


def _free_target(dest: Path, overwrite: bool) -> None:
    """Refuse to write over an existing file or a folder with files in it, unless asked."""
    taken = dest.is_file() or (dest.is_dir() and any(dest.iterdir()))
    if taken and not overwrite:
        raise InvalidInputError(f"{dest} already exists; give --overwrite to replace it")
    if dest.is_file() and dest.suffix.lower() != ".gpkg":
        raise InvalidInputError(f"{dest} is a file: this format writes a folder")
    if taken and dest.is_file():
        dest.unlink()
