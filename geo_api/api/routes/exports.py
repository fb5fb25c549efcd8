"""GIS exports for planners, and for officers of their own area."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse
from sqlalchemy import Engine
from starlette.background import BackgroundTask

from geo_api.api.auth import CallerDep, purpose
from geo_api.api.deps import AreaDep, Read
from geo_api.auth.audit import record
from geo_api.export.layers import FORMATS, export_layers
from geo_api.export.people import Variant, audit_records, variant_for
from geo_api.gaps.export import GPKG_MEDIA
from geo_api.generations.store import parse_date

router = APIRouter(tags=["planners"])

MEDIA = {fmt: GPKG_MEDIA if fmt == "gpkg" else "application/zip" for fmt in FORMATS}
Format = Literal["gpkg", "geojson", "shp", "fgb", "csv", "parquet"]
PEOPLE_HELP = (
    "add households' addresses and rooms and heads' names and phones: in full for admins "
    "and officers (audited with the ids exported), masked for the command centre "
    "(addresses down to the unit, no room), refused to planners"
)


@router.get(
    "/exports/{fmt}",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def export(
    request: Request,
    caller: CallerDep,
    read: Read,
    area: AreaDep,
    fmt: Format,
    people: Annotated[bool, Query(description=PEOPLE_HELP)] = False,
    at: Annotated[
        str | None,
        Query(
            max_length=40,
            description="an ISO 8601 date: streets, communities, grids and compounds in "
            "force that day (the other layers as today)",
        ),
    ] = None,
) -> FileResponse:
    """Every layer, without personal data unless ``people``: one GeoPackage, or a zip
    of one file per layer in GeoJSON, Shapefile (with .prj and a UTF-8 .cpg),
    FlatGeobuf, CSV with WKT, or GeoParquet. An officer's holds their own community
    (or grid) only."""
    variant: Variant | None = variant_for(caller) if people else None
    day = parse_date(at, "at")
    workdir = Path(tempfile.mkdtemp(prefix="gridgov-export-"))
    cleanup = BackgroundTask(shutil.rmtree, workdir, ignore_errors=True)
    try:
        with read() as conn:
            target = workdir / ("gridgov.gpkg" if fmt == "gpkg" else "gridgov")
            shown: dict[str, list[int]] = {}
            written = export_layers(
                conn, fmt, target, area=area, people=variant, shown=shown, at=day
            )
        path = (
            target
            if fmt == "gpkg"
            else Path(shutil.make_archive(str(workdir / f"gridgov-{fmt}"), "zip", target))
        )
        if variant == "full":
            # Committed on its own, as every audited read: the log outlives the request.
            engine: Engine = request.app.state.engine
            with engine.begin() as log:
                action = f"GET /exports/{fmt}?people=true"
                record(log, caller, action, audit_records(written, shown), purpose(request))
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return FileResponse(path, media_type=MEDIA[fmt], filename=path.name, background=cleanup)
