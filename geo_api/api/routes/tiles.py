"""Vector tiles of households (per unit) and buildings, for big cities' maps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from geo_api.api.deps import AreaDep, Read, ReadOne
from geo_api.errors import InvalidInputError
from geo_api.tiles.mvt import MEDIA_TYPE, mvt_bytes, tile, tile_statement

router = APIRouter(tags=["maps"])
CRS_HELP = "wgs84 (default), or gcj02 to line up with AMap and Tencent basemaps"


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {}}}, 204: {"description": "nothing in this tile"}},
)
async def vector_tile(
    layer: str,
    z: int,
    x: int,
    y: int,
    read: Read,
    fetch: ReadOne,
    area: AreaDep,
    crs: Annotated[str, Query(description=CRS_HELP)] = "wgs84",
) -> Response:
    """A Mapbox vector tile of households (per unit) or buildings; 204 when empty. An
    officer's tiles hold their own community (or grid) only."""
    if crs not in ("wgs84", "gcj02"):
        raise InvalidInputError(f"crs must be wgs84 or gcj02, not {crs!r}")
    if crs == "wgs84":  # one statement: on the event loop, no thread
        statement, params = tile_statement(layer, z, x, y, area)
        row = await fetch(statement, params)
        data = mvt_bytes(row["mvt"] if row else None)
    else:  # GCJ-02 moves the features in Python between two statements

        def moved() -> bytes:
            with read() as conn:
                return tile(conn, layer, z, x, y, gcj02=True, area=area)

        data = await run_in_threadpool(moved)
    if not data:
        return Response(status_code=204)
    return Response(data, media_type=MEDIA_TYPE)
