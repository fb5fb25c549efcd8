"""GIS exports for planners."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from geo_api.api.deps import AreaDep, Read
from geo_api.export.layers import FORMATS, export_layers
from geo_api.gaps.export import GPKG_MEDIA

router = APIRouter(tags=["planners"])

MEDIA = {fmt: GPKG_MEDIA if fmt == "gpkg" else "application/zip" for fmt in FORMATS}
Format = Literal["gpkg", "geojson", "shp", "fgb", "csv", "parquet"]


@router.get(
    "/exports/{fmt}",
    response_class=FileResponse,
    responses={200: {"content": {m: {} for m in MEDIA.values()}}},
)
def export(read: Read, area: AreaDep, fmt: Format) -> FileResponse:
    """Every layer, without personal data: one GeoPackage, or a zip of one file per
    layer in GeoJSON, Shapefile (with .prj and a UTF-8 .cpg), FlatGeobuf, CSV with
    WKT, or GeoParquet. An officer's holds their own community (or grid) only."""
    workdir = Path(tempfile.mkdtemp(prefix="gridgov-export-"))
    cleanup = BackgroundTask(shutil.rmtree, workdir, ignore_errors=True)
    try:
        with read() as conn:
            target = workdir / ("gridgov.gpkg" if fmt == "gpkg" else "gridgov")
            export_layers(conn, fmt, target, area=area)
        path = (
            target
            if fmt == "gpkg"
            else Path(shutil.make_archive(str(workdir / f"gridgov-{fmt}"), "zip", target))
        )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    return FileResponse(path, media_type=MEDIA[fmt], filename=path.name, background=cleanup)
