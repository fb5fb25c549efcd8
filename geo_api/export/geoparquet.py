"""GeoParquet 1.1 written batch by batch with pyarrow, one row group a batch.

The ``geo`` metadata (encoding, geometry type, CRS as PROJJSON and the bounding
box) goes into the footer when the last batch is written, so the bounds are
known without holding the layer. The ``pandas`` metadata lets geopandas give
integer columns back as integers (nullable Int64) rather than floats.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import shapely
from pyproj import CRS

from geo_api.export.batches import GEOMETRY, LayerStream

VERSION = "1.1.0"


@cache
def _projjson() -> dict[str, Any]:
    crs: dict[str, Any] = CRS.from_epsg(4326).to_json_dict()
    return crs


def _pandas_metadata(schema: pa.Schema) -> bytes:
    """What pyarrow writes for a pandas frame of these columns, integers as Int64."""
    frame = schema.empty_table().to_pandas()
    for field in schema:
        if pa.types.is_integer(field.type):
            frame[field.name] = frame[field.name].astype("Int64")
    metadata = pa.Schema.from_pandas(frame, preserve_index=False).metadata
    return metadata[b"pandas"]  # type: ignore[no-any-return]


def _bounds(wkb: pa.Array) -> list[float]:
    """xmin, ymin, xmax, ymax of a batch's geometries."""
    geoms = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    return [float(v) for v in shapely.total_bounds(geoms)]


def write_geoparquet(stream: LayerStream, path: Path) -> int:
    """Write the stream to a GeoParquet file; the number of rows written."""
    schema = stream.schema.with_metadata({"pandas": _pandas_metadata(stream.schema)})
    boxes: list[list[float]] = []  # one a batch
    with pq.ParquetWriter(path, schema) as writer:
        for batch in stream:
            writer.write_batch(batch.replace_schema_metadata(schema.metadata))
            if batch.num_rows:
                boxes.append(_bounds(batch.column(GEOMETRY)))
        column: dict[str, Any] = {
            "encoding": "WKB",
            "geometry_types": [stream.geometry_type],
            "crs": _projjson(),
        }
        if boxes:
            low, high = np.nanmin(boxes, axis=0), np.nanmax(boxes, axis=0)
            column["bbox"] = [float(low[0]), float(low[1]), float(high[2]), float(high[3])]
        geo = {"version": VERSION, "primary_column": GEOMETRY, "columns": {GEOMETRY: column}}
        writer.add_key_value_metadata({"geo": json.dumps(geo)})
    return stream.rows
