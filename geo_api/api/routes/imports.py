"""Uploading a file into a layer: the same import as gridgov import.

The key is checked before a byte of the body is read (geo_api.api.uploads reads
the stream itself, into gridgov's own folder); the import then runs in a child
process with a memory limit (geo_api.isolated.imports), in its own transaction.
When the app's transaction is replaced (the tests run each request inside their
own rolled-back transaction), the import runs here, in that transaction.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import Engine

from geo_api.api.auth import CallerDep, purpose
from geo_api.api.deps import Tx, after_change, get_transaction
from geo_api.api.schemas import ImportResult
from geo_api.api.uploads import received
from geo_api.auth.audit import id_ranges, record
from geo_api.auth.roles import Caller
from geo_api.errors import InvalidInputError
from geo_api.generations.stage import import_any
from geo_api.generations.store import parse_date
from geo_api.importer.columns import load_mapping
from geo_api.importer.diff import RosterDiff
from geo_api.importer.run import LAYERS, ImportReport
from geo_api.isolated.imports import import_in_child
from geo_api.privacy import mask_name
from geo_api.rosters.consent import note_consents
from geo_api.rosters.record import Who, noted
from geo_api.settings import UploadSettings

router = APIRouter(tags=["data"])
SHOWN_REJECTS = 1000
PARTS = ("file", "mapping")
# The body as OpenAPI documents it: the route reads it itself (geo_api.api.uploads).
UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "mapping": {
                        "type": "string",
                        "format": "binary",
                        "description": "JSON or TOML: {field: column}",
                    },
                },
            }
        }
    },
}


@router.post(
    "/imports/{layer}",
    response_model=ImportResult,
    dependencies=[Depends(after_change)],
    responses={
        413: {"description": "the upload is larger than GEO_API_UPLOAD_MAX_MB"},
        422: {"description": "a bad file, or rejected rows (nothing imported)"},
    },
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload(
    request: Request,
    caller: CallerDep,
    tx: Tx,
    layer: str,
    crs: Annotated[str | None, Query(max_length=40, examples=["EPSG:4490", "gcj02"])] = None,
    encoding: Annotated[str | None, Query(max_length=20)] = None,
    sheet: Annotated[str | None, Query(max_length=100)] = None,
    source_layer: Annotated[str | None, Query(max_length=100)] = None,
    skip_bad: bool = False,
    header_row: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    repair: bool = False,
    accept_overlaps: bool = False,
    dry_run: Annotated[
        bool, Query(description="rosters: compare with the store, write nothing")
    ] = False,
    full: Annotated[
        bool, Query(description="rosters: retire the people the file leaves out")
    ] = False,
    generation: Annotated[
        str | None,
        Query(
            max_length=200,
            description="area layers: keep the file as this new generation (not current "
            "until activated) instead of importing it over the current boundaries",
        ),
    ] = None,
    valid_from: Annotated[
        str | None,
        Query(max_length=40, description="with generation: the ISO date it takes effect"),
    ] = None,
) -> dict[str, Any]:
    """Import an uploaded GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX into a layer
    (one transaction: without skip_bad, one bad row rejects the whole file); an optional
    ``mapping`` file (JSON or TOML: {field: column}) names columns the aliases miss."""
    if layer not in LAYERS:
        raise InvalidInputError(f"unknown layer {layer!r}; importable: {', '.join(LAYERS)}")
    start = parse_date(valid_from, "valid_from")
    settings = UploadSettings()
    async with received(request, PARTS, settings) as (files, names):
        if "file" not in files:
            raise InvalidInputError("the upload has no part named 'file': send the file in it")
        if names["file"] in ("", ".", ".."):
            raise InvalidInputError("the upload has no file name: name it, e.g. 户籍.csv")
        options: dict[str, Any] = {
            "crs": crs,
            "encoding": encoding,
            "sheet": sheet,
            "source_layer": source_layer,
            "mapping": _mapping(files.get("mapping"), names.get("mapping", "")),
            "skip_bad": skip_bad,
            "header_row": header_row,
            "repair": repair,
            "accept_overlaps": accept_overlaps,
            "dry_run": dry_run,
            "full": full,
            "generation": generation,
            "valid_from": start,
            "by": caller.name,
        }
        path = files["file"]
        if get_transaction in request.app.dependency_overrides or not settings.import_child:
            report = await anyio.to_thread.run_sync(lambda: _here(tx, layer, path, options))
        else:
            engine: Engine = request.app.state.engine
            url = engine.url.render_as_string(hide_password=False)
            report = await anyio.to_thread.run_sync(
                lambda: import_in_child(
                    url,
                    layer,
                    path,
                    settings.import_memory_mb,
                    settings.import_timeout_s,
                    **options,
                )
            )
    if report.diff is not None:
        _record(request, caller, layer, report.diff)
    elif report.records and not dry_run:
        _record_changes(request, caller, layer, report.records)
    return {
        "layer": report.layer,
        "file": report.file,
        "crs": report.crs,
        "rows_in": report.rows_in,
        **asdict(report.landed),
        "rejected": len(report.rejects),
        "rejects": [asdict(r) for r in report.rejects[:SHOWN_REJECTS]],
        "notes": report.notes,
        "warnings": report.warnings,
        "diff": _diff(report, caller),
    }


def _record(request: Request, caller: Caller, layer: str, diff: RosterDiff) -> None:
    """Record a roster import: its changes under the caller's key, and the people its
    answer names in full (admins)."""
    kind = {"heads": "head", "officers": "officer", "members": "member"}.get(layer, layer)
    named = [f"{kind}:{r.id}" for r in diff.rows if r.id is not None][:1000]
    engine: Engine = request.app.state.engine
    with engine.begin() as conn:
        if not diff.dry_run:
            who = Who(caller.name, caller.role, caller.key_id)
            said = f"{diff.new} new, {diff.changed} changed, {diff.retired} retired"
            noted(conn, who, f"POST /imports/{layer}: {said}", named or [layer])
            note_consents(conn, who, diff.consent, f"POST /imports/{layer}")
        if caller.reveals and named:
            record(conn, caller, f"POST /imports/{layer}", named, purpose(request))


def _record_changes(request: Request, caller: Caller, layer: str, records: list[str]) -> None:
    """Record an import that changed stored rows (the party lists) under the caller's key."""
    kind = records[0].split(":")[0]
    ranges = id_ranges(kind, [int(r.split(":")[1]) for r in records])
    engine: Engine = request.app.state.engine
    with engine.begin() as conn:
        who = Who(caller.name, caller.role, caller.key_id)
        noted(conn, who, f"POST /imports/{layer}: {len(records)} added or changed", ranges)


def _diff(report: ImportReport, caller: Caller) -> dict[str, Any] | None:
    """The roster diff as the caller may see it: names masked and the old and new
    values left out for roles that see masks."""
    if report.diff is None:
        return None
    shown = asdict(report.diff)
    if not caller.reveals:
        for row in shown["rows"]:
            row["label"], row["changes"] = mask_name(row["label"]), []
    return shown


def _here(tx: Any, layer: str, path: Path, options: dict[str, Any]) -> ImportReport:
    """The import in this process, in the app's transaction."""
    with tx() as conn:
        return import_any(conn, layer, path, **options)


def _mapping(path: Path | None, name: str) -> dict[str, str] | None:
    """The uploaded mapping file's {field: column}, if one came."""
    if path is None:
        return None
    suffix = Path(name).suffix.lower()
    if suffix not in (".json", ".toml"):
        raise InvalidInputError("the mapping file must be .json or .toml")
    named = path.with_name(f"mapping{suffix}")
    path.rename(named)
    return dict(load_mapping(named))
