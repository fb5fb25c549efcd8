"""Vector tiles of households (per unit) and buildings, for big cities' maps."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from geo_api.api.deps import AreaDep, Read
from geo_api.errors import InvalidInputError
from geo_api.tiles.mvt import MEDIA_TYPE, tile

router = APIRouter(tags=["maps"])
CRS_HELP = "wgs84 (default), or gcj02 to line up with AMap and Tencent basemaps"


@router.get(
    "/tiles/{layer}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={200: {"content": {MEDIA_TYPE: {}}}, 204: {"description": "nothing in this tile"}},
)
def vector_tile(
    layer: str,
    z: int,
    x: int,
    y: int,
    read: Read,
    area: AreaDep,
    crs: Annotated[str, Query(description=CRS_HELP)] = "wgs84",
) -> Response:
    """A Mapbox vector tile of households (per unit) or buildings; 204 when empty. An
    officer's tiles hold their own community (or grid) only."""
    if crs not in ("wgs84", "gcj02"):
        raise InvalidInputError(f"crs must be wgs84 or gcj02, not {crs!r}")
    with read() as conn:
        data = tile(conn, layer, z, x, y, gcj02=crs == "gcj02", area=area)
    if not data:
        return Response(status_code=204)
    return Response(data, media_type=MEDIA_TYPE)
