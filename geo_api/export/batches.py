"""Layers as streams of Arrow record batches, so that no export holds a layer whole.

A store layer is read through a server-side cursor, ``chunk_rows`` rows at a time,
with its geometry as WKB; each chunk becomes one record batch. The schema comes
from the query's column types before any row is read, so an empty layer still
has its fields and its geometry type. The gap layers are small, computed frames
(geo_api.gaps.finder) and become a single batch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import shapely
from sqlalchemy import Connection, text

from geo_api.catalogue.columns import (
    BOOLEAN_TYPES,
    DATE_TYPES,
    INTEGER_TYPES,
    NUMBER_TYPES,
    TIMESTAMP_TYPES,
    Column,
    columns,
    quoted,
)
from geo_api.catalogue.layers import Layer

CHUNK_ROWS = 50_000
GEOMETRY = "geometry"  # the WKB column of every batch
# Columns of the gap finder's frame that are counts or ids: integers even when a gap
# type leaves them empty (pandas would make them floats).
GAP_INTEGERS = ("ref_id", "households", "persons")
# A column's values changed on the way out (the masks of personal data).
Transform = Callable[[Any], Any]


@dataclass
class LayerStream:
    """One layer on its way to a file: its schema (properties, then ``geometry`` as
    WKB), its geometry type (GDAL's name) and its batches, read as they are asked for."""

    name: str
    geometry_type: str
    schema: pa.Schema
    batches: Iterator[pa.RecordBatch]
    rows: int = 0  # how many the batches have given so far

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for batch in self.batches:
            self.rows += batch.num_rows
            yield batch

    def reader(self) -> pa.RecordBatchReader:
        """The batches as a reader (Arrow's C stream, which GDAL consumes)."""
        return pa.RecordBatchReader.from_batches(self.schema, iter(self))

    def renamed(self, rename: Callable[[str], str]) -> LayerStream:
        """The same stream with its property columns renamed."""
        names = [f.name if f.name == GEOMETRY else rename(f.name) for f in self.schema]
        schema = pa.schema(
            [f.with_name(n) for f, n in zip(self.schema, names, strict=True)],
            metadata=self.schema.metadata,
        )
        batches = (b.rename_columns(names) for b in self.batches)
        return LayerStream(self.name, self.geometry_type, schema, batches)


def arrow_type(column: Column) -> pa.DataType:
    """The Arrow type a column of this PostgreSQL type is written as; integers are
    64-bit, so ids stay integers however large and however often empty."""
    if column.type_oid in INTEGER_TYPES:
        return pa.int64()
    if column.type_oid in NUMBER_TYPES:
        return pa.float64()
    if column.type_oid in BOOLEAN_TYPES:
        return pa.bool_()
    if column.type_oid in DATE_TYPES:
        return pa.date32()
    if column.type_oid in TIMESTAMP_TYPES:
        return pa.timestamp("us", tz="UTC" if column.type_oid == 1184 else None)
    return pa.string()


def _array(values: Sequence[Any], kind: pa.DataType, transform: Transform | None) -> pa.Array:
    if transform is not None:
        values = [None if v is None else transform(v) for v in values]
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        # numeric comes as Decimal, and a type psycopg does not know as an object.
        convert: Transform = float if pa.types.is_floating(kind) else str
        return pa.array([None if v is None else convert(v) for v in values], type=kind)


def store_stream(
    conn: Connection,
    layer: Layer,
    where: str = "TRUE",
    params: dict[str, Any] | None = None,
    chunk_rows: int = CHUNK_ROWS,
    transforms: dict[str, Transform] | None = None,
) -> LayerStream:
    """A store layer, ordered by its key and filtered by ``where`` (over the layer's
    row ``l``), read ``chunk_rows`` at a time through a server-side cursor."""
    cols = columns(conn, layer)
    fields = [pa.field(c.name, arrow_type(c)) for c in cols]
    schema = pa.schema([*fields, pa.field(GEOMETRY, pa.binary())])
    selected = ", ".join(f"l.{quoted(c.name)}" for c in cols)
    order = ", ".join(f"l.{quoted(k)}" for k in layer.key)
    # The layer's SQL is a constant of geo_api.catalogue; ``where`` binds its values.
    sql = text(
        f"SELECT {selected}, ST_AsBinary(l.geom) FROM ({layer.sql}) AS l "  # noqa: S608
        f"WHERE {where} ORDER BY {order}"
    )
    plan = [(f.type, (transforms or {}).get(f.name)) for f in schema]

    def batches() -> Iterator[pa.RecordBatch]:
        # yield_per: a named (server-side) cursor, fetched chunk_rows rows at a time.
        with conn.execute(sql.execution_options(yield_per=chunk_rows), params or {}) as result:
            for rows in result.partitions(chunk_rows):
                values = list(zip(*rows, strict=True))
                arrays = [
                    _array(column, kind, transform)
                    for column, (kind, transform) in zip(values, plan, strict=True)
                ]
                yield pa.record_batch(arrays, schema=schema)

    return LayerStream(layer.name, layer.geometry, schema, batches())


def frame_stream(name: str, frame: gpd.GeoDataFrame, geometry_type: str) -> LayerStream:
    """A small frame (a gap layer) as one batch; polygons become multipolygons when the
    layer is of multipolygons, as GIS files hold one geometry type a layer."""
    props = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    for column in GAP_INTEGERS:
        if column in props:
            props[column] = props[column].astype("Int64")
    table = pa.Table.from_pandas(props, preserve_index=False)
    # An empty frame has no values to type its text columns by.
    fields = [
        pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema
    ]
    geoms = frame.geometry.to_numpy().copy()
    if geometry_type.startswith("Multi") and len(geoms):
        single = shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON
        geoms[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
    wkb = pa.array(list(shapely.to_wkb(geoms)), type=pa.binary())
    table = table.cast(pa.schema(fields)).append_column(pa.field(GEOMETRY, pa.binary()), wkb)
    return LayerStream(name, geometry_type, table.schema, iter(table.to_batches()))
