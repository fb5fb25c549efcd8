"""The published area layers (geo_api.catalogue) as they were on a date: the same
columns, from the generation in force that day, for the OGC API's ``datetime`` and
exports' ``--at``. Parents' ids are those of the same generation's parents."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from sqlalchemy import Connection

from geo_api.catalogue.layers import Layer
from geo_api.clock import CHINA
from geo_api.errors import InvalidInputError
from geo_api.generations.areas import BY_LAYER, valid_in_sql
from geo_api.generations.store import at as generation_at
from geo_api.generations.store import parse_date


def parse_instant(value: str | None, field: str = "datetime") -> date | None:
    """The day an OGC ``datetime`` names: a date, or a date-time's day in China (a zone
    given, 2025-05-31T20:00:00Z, is China's 1 June; none, it is China's time); an
    interval is refused, naming the field (boundaries are one generation a day)."""
    if value is None:
        return None
    text = value.strip()
    if "/" in text:
        raise InvalidInputError(
            f"{field} {text[:60]!r}: give one date or date-time (e.g. 2025-06-01); "
            "intervals are not supported for boundaries"
        )
    if "T" in text or " " in text:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInputError(
                f"{field} {text[:60]!r} is not an ISO 8601 date or date-time"
            ) from None
        return (moment.astimezone(CHINA) if moment.tzinfo else moment).date()
    return parse_date(text, field)


def _sql(layer: str, generation: int) -> str:
    """The layer's catalogue columns from generation ``generation``'s areas."""
    gen = str(int(generation))

    def areas(name: str) -> str:
        return f"({valid_in_sql(BY_LAYER[name], gen)})"

    if layer == "streets":
        return f"SELECT a.id, a.code, a.name, a.geom FROM {areas('streets')} a"  # noqa: S608
    if layer == "communities":
        return (
            f"SELECT a.id, a.code, a.name, p.id AS street_id, a.geom FROM {areas('communities')} a "  # noqa: S608
            f"LEFT JOIN {areas('streets')} p ON p.code = a.parent_code"
        )
    if layer == "grids":
        return (
            f"SELECT a.id, a.code, a.name, p.id AS community_id, a.geom FROM {areas('grids')} a "  # noqa: S608
            f"LEFT JOIN {areas('communities')} p ON p.code = a.parent_code"
        )
    return (
        "SELECT a.id, a.code, a.name, p.id AS grid_id, pc.id AS community_id, a.geom "  # noqa: S608
        f"FROM {areas('compounds')} a LEFT JOIN {areas('grids')} p ON p.code = a.parent_code "
        f"LEFT JOIN {areas('communities')} pc ON pc.code = p.parent_code"
    )


def layer_on(conn: Connection, layer: Layer, day: date | None) -> Layer:
    """``layer`` as on ``day``: an area layer from the generation in force then (the
    layer itself for today's generation or no day); other layers are refused a day."""
    if day is None:
        return layer
    if layer.name not in BY_LAYER:
        raise InvalidInputError(
            f"datetime: {layer.name} has no boundaries through time (only {', '.join(BY_LAYER)} do)"
        )
    found = generation_at(conn, day)
    if found is None:
        return layer
    return dataclasses.replace(layer, sql=_sql(layer.name, found.id), bounded_by=None)


def layers_on(conn: Connection, layers: tuple[Layer, ...], day: date | None) -> tuple[Layer, ...]:
    """Every layer as on ``day``: area layers from its generation, the rest as today."""
    if day is None:
        return layers
    return tuple(layer_on(conn, x, day) if x.name in BY_LAYER else x for x in layers)
