"""Who changed what in the party lists, and when: one audit row per change."""

from __future__ import annotations

from datetime import date

import shapely
from sqlalchemy import Connection

from geo_api.auth.audit import record, record_operator
from geo_api.auth.roles import Caller
from geo_api.errors import InvalidInputError


def log_change(conn: Connection, by: Caller | None, action: str, what: str) -> None:
    """One audit row for a change (``by`` None: gridgov's CLI on the store itself);
    the audit log's ``at`` is the when."""
    if by is None:
        record_operator(conn, action, [what])
    else:
        record(conn, by, action, [what], None)


def point_wkb(lon: float | None, lat: float | None, what: str) -> bytes | None:
    """A lon/lat point as WKB for ST_GeomFromWKB(:g, 4326); None when neither is given."""
    if lon is None and lat is None:
        return None
    if lon is None or lat is None:
        raise InvalidInputError(f"{what}: give both lon and lat, or neither")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidInputError(f"{what}: ({lon}, {lat}) is not a longitude and latitude")
    return bytes(shapely.to_wkb(shapely.Point(lon, lat)))


def parse_day(value: str | date | None, what: str) -> date | None:
    """A date from an ISO string (2024-03-31); None stays None."""
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(f"{what}: {value!r} is not a date (YYYY-MM-DD)") from None


def text_field(value: str | None, what: str, *, required: bool = True) -> str | None:
    """A stripped text value; a required one may not be empty."""
    cleaned = value.strip() if value is not None else None
    if required and not cleaned:
        raise InvalidInputError(f"{what} is empty")
    return cleaned or None
