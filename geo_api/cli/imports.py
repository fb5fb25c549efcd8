"""gridgov import: a file into a layer of the store, checked, in one transaction."""

from __future__ import annotations

import csv
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo_api.cli import choices
from geo_api.cli.ui import step, table
from geo_api.cli.words import t
from geo_api.cli.work import store
from geo_api.errors import InvalidInputError

if TYPE_CHECKING:
    from geo_api.importer.checks import Reject

log = logging.getLogger(__name__)


def import_layer(
    layer: Annotated[str, typer.Argument(help=f"one of: {', '.join(choices.IMPORT_LAYERS)}")],
    file: Annotated[
        Path, typer.Argument(help="GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX")
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
) -> None:
    """Import a file into a layer. Without --skip-bad, one bad row stops the import and
    the store is unchanged; re-importing the same file changes nothing."""
    if not file.is_file():
        raise InvalidInputError(f"{file}: no such file")
    step("importing")
    from geo_api.db.integrity import children_outside_parents
    from geo_api.importer.columns import load_mapping
    from geo_api.importer.run import ImportRejectedError, import_file

    columns = load_mapping(mapping) if mapping else None
    target = rejects or file.with_name(file.name + ".rejects.csv")
    engine = store()
    try:
        with engine.begin() as conn:
            report = import_file(
                conn,
                layer,
                file,
                crs=crs,
                encoding=encoding,
                sheet=sheet,
                source_layer=source_layer,
                mapping=columns,
                skip_bad=skip_bad,
            )
            outside = [
                o for o in children_outside_parents(conn) if o.table == AREA_TABLE.get(layer)
            ]
    except ImportRejectedError as error:
        _write_rejects(target, error.report.rejects)
        log.error("the rejected rows are listed in %s", target)
        raise
    for note in report.notes + report.warnings:
        log.warning("%s", note)
    for problem in outside[:20]:
        log.warning("%s", problem.message())
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
            "outside their parent": len(outside),
        },
    )


AREA_TABLE = {
    "streets": "street",
    "communities": "community",
    "grids": "grid",
    "compounds": "compound",
}


def _write_rejects(path: Path, rejects: list[Reject]) -> None:
    """The rejected rows as CSV (UTF-8 with BOM, so that Excel shows the Chinese)."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["row", "field", "value", "reason"])
        for r in rejects:
            writer.writerow([r.row, r.field, r.value or "", r.reason])
