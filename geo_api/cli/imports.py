"""gridgov import: a file into a layer of the store, checked, in one transaction."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo_api.cli import choices
from geo_api.cli.ui import listing, out, progress_bar, step, table
from geo_api.cli.words import t
from geo_api.cli.work import store
from geo_api.errors import InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from sqlalchemy import Connection

    from geo_api.importer.report import ImportReport

    ImportFile = Callable[..., ImportReport]

    from geo_api.importer.checks import Reject
    from geo_api.importer.diff import RosterDiff

log = logging.getLogger(__name__)


def import_layer(
    layer: Annotated[str, typer.Argument(help=f"one of: {', '.join(choices.IMPORT_LAYERS)}")],
    file: Annotated[
        Path,
        typer.Argument(help="GeoJSON, GeoPackage, zipped Shapefile, CSV, XLSX, .osm.pbf (roads)"),
    ],
    crs: Annotated[
        str | None,
        typer.Option(help="the file's coordinates: EPSG:4490, 4546, wgs84, gcj02, bd09 …"),
    ] = None,
    encoding: Annotated[str | None, typer.Option(help="text encoding: utf-8, gbk …")] = None,
    sheet: Annotated[str | None, typer.Option(help="the XLSX sheet")] = None,
    source_layer: Annotated[
        str | None, typer.Option("--layer", help="the GeoPackage layer to read")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="TOML or JSON: {field = 'column in the file'}")
    ] = None,
    skip_bad: Annotated[
        bool, typer.Option(help="import the good rows; write the rejected ones to --rejects")
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option(help="where rejected rows go (default: FILE.rejects.csv)")
    ] = None,
    header_row: Annotated[
        int | None,
        typer.Option(min=1, help="the row (as Excel numbers it) or line holding the header"),
    ] = None,
    repair: Annotated[
        bool, typer.Option(help="mend invalid outlines with make_valid (each one reported)")
    ] = False,
    accept_overlaps: Annotated[
        bool, typer.Option(help="land areas that overlap or leave slivers (each pair reported)")
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(help="rosters (heads, officers, members): show the diff, write nothing"),
    ] = False,
    full: Annotated[
        bool,
        typer.Option(help="rosters: the file is the whole roster; retire those it leaves out"),
    ] = False,
    node_crossings: Annotated[
        bool | None,
        typer.Option(
            "--node-crossings/--shared-vertices-only",
            help="roads: also join ways where they cross at the same level (default: as the "
            "last network build)",
            show_default=False,
        ),
    ] = None,
    generation: Annotated[
        str | None,
        typer.Option(
            help="area layers: load the file as this new generation (made if new, not current "
            "until `gridgov generations activate`) instead of over the current boundaries"
        ),
    ] = None,
    valid_from: Annotated[
        str | None,
        typer.Option(help="with --generation: the ISO date it takes effect (2027-01-01)"),
    ] = None,
) -> None:
    """Import a file into a layer. Without --skip-bad, one bad row stops the import and
    the store is unchanged; re-importing the same file changes nothing."""
    from geo_api.importer.read import check_name

    check_name(file.name)  # a name too long for the disk is a user's mistake, not a crash
    if not file.is_file():
        raise InvalidInputError(f"{file}: no such file")
    step("importing")
    from geo_api.generations.stage import import_any
    from geo_api.generations.store import parse_date
    from geo_api.importer.columns import load_mapping
    from geo_api.importer.run import ImportRejectedError
    from geo_api.rosters.record import Who

    columns = load_mapping(mapping) if mapping else None
    target = rejects or file.with_name(file.name + ".rejects.csv")
    if generation is None and valid_from is not None:
        raise InvalidInputError("--valid-from goes with --generation")
    engine = store()
    try:
        with progress_bar() as bar, engine.begin() as conn:
            task = bar.add_task(f"importing {file.name}", total=None)
            report = import_any(
                conn,
                layer,
                file,
                generation=generation,
                valid_from=parse_date(valid_from, "--valid-from"),
                by=Who.operator().name,
                crs=crs,
                encoding=encoding,
                sheet=sheet,
                source_layer=source_layer,
                mapping=columns,
                skip_bad=skip_bad,
                header_row=header_row,
                repair=repair,
                accept_overlaps=accept_overlaps,
                progress=lambda rows: bar.update(task, completed=rows),
                node_crossings=node_crossings,
                dry_run=dry_run,
                full=full,
            )
            if report.diff is not None and not dry_run:
                _record(conn, layer, file.name, report.diff)
            elif report.records:
                _record_changes(conn, layer, file.name, report.records)
    except ImportRejectedError as error:
        _write_rejects(target, error.report.rejects)
        log.error("the rejected rows are listed in %s", target)
        raise
    for note in report.notes:
        log.info("%s", note)
    for warning in report.warnings:
        log.warning("%s", warning)
    if report.rejects:
        _write_rejects(target, report.rejects)
    table(
        f"{t('import of')} {file.name} {t('into')} {layer}",
        {
            "coordinate system": report.crs,
            "rows in the file": report.rows_in,
            "inserted": report.landed.inserted,
            "updated": report.landed.updated,
            "unchanged": report.landed.unchanged,
            "rejected": len(report.rejects),
            "rejects written to": str(target) if report.rejects else "-",
            **({"generation (not current)": generation} if generation else {}),
        },
    )
    if report.diff is not None:
        show_diff(report.diff)


def _record(conn: Connection, layer: str, name: str, diff: RosterDiff) -> None:
    """Record a roster import's changes under the system user (who, when, how many)."""
    from geo_api.rosters.consent import note_consents
    from geo_api.rosters.record import Who, noted

    note_consents(conn, Who.operator(), diff.consent, f"import {layer} {name}")
    noted(
        conn,
        Who.operator(),
        f"import {layer} {name}: {diff.new} new, {diff.changed} changed, {diff.retired} retired",
        [f"{layer}:{r.id}" for r in diff.rows if r.id is not None][:1000] or [layer],
    )


def _record_changes(conn: Connection, layer: str, name: str, records: list[str]) -> None:
    """Record an import that changed stored rows (the party lists) under the system user."""
    from geo_api.auth.audit import id_ranges
    from geo_api.rosters.record import Who, noted

    kind = records[0].split(":")[0]
    ranges = id_ranges(kind, [int(r.split(":")[1]) for r in records])
    noted(conn, Who.operator(), f"import {layer} {name}: {len(records)} added or changed", ranges)


def show_diff(diff: RosterDiff) -> None:
    """The roster diff: counts, then the rows (new, changed with what, to retire)."""
    missing = "to retire" if diff.full else "not in the file (kept: not --full)"
    table(
        "roster",
        {"new": diff.new, "changed": diff.changed, "unchanged": diff.unchanged,
         missing: diff.missing, "retired now": diff.retired},
    )  # fmt: skip
    if diff.rows:
        listing(
            "roster",
            ("kind", "name", "id", "fields that change"),
            [(t(r.kind), r.label, r.id or "", "; ".join(r.changes)) for r in diff.rows],
        )
    if diff.dry_run:
        out.print(t("dry run: nothing written"))


def _write_rejects(path: Path, rejects: list[Reject]) -> None:
    """The rejected rows as CSV (UTF-8 with BOM, so that Excel shows the Chinese)."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "where", "column", "value", "reason"])
        for r in rejects:
            writer.writerow([r.row, r.where or "", r.column or r.field, r.value or "", r.reason])
