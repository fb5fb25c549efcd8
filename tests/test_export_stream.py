"""Streamed exports: layers read in chunks through a server-side cursor, written chunk
by chunk, and every format reopened whole, with integer ids and typed empty layers."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pyogrio
import pytest
from sqlalchemy import Connection, text

from geo_api.catalogue.layers import LAYER_BY_NAME, LAYERS
from geo_api.export.batches import store_stream
from geo_api.export.layers import FORMATS, export_layers, shapefile_name

CHUNK = 7  # a small chunk, so that every layer of the test city takes many


def reopen(out: Path, fmt: str, layer: str) -> gpd.GeoDataFrame:
    """A layer of an export, read back whole."""
    if fmt == "gpkg":
        return pyogrio.read_dataframe(out, layer=layer)
    if fmt == "parquet":
        return gpd.read_parquet(out / f"{layer}.parquet")
    return pyogrio.read_dataframe(out / f"{layer}{FORMATS[fmt][1]}")


def target(tmp_path: Path, fmt: str) -> Path:
    return tmp_path / ("city.gpkg" if fmt == "gpkg" else fmt)


def test_declared_geometry_types_are_the_data(conn: Connection) -> None:
    for layer in LAYERS:
        found = conn.execute(
            text(f"SELECT DISTINCT ST_GeometryType(l.geom) FROM ({layer.sql}) AS l")
        ).scalars()
        assert {kind.removeprefix("ST_") for kind in found} <= {layer.geometry}, layer.name


def test_a_layer_is_read_in_chunks_through_a_server_side_cursor(conn: Connection) -> None:
    households = conn.execute(text("SELECT id FROM household ORDER BY id")).scalars().all()
    stream = store_stream(conn, LAYER_BY_NAME["households"], chunk_rows=CHUNK)
    batches = iter(stream)
    first = next(batches)
    # While the layer is read, the rows wait in a cursor on the server, not here.
    open_cursors = conn.execute(text("SELECT count(*) FROM pg_cursors")).scalar_one()
    assert open_cursors >= 1
    rest = list(batches)
    assert len(rest) + 1 == math.ceil(len(households) / CHUNK)
    assert all(batch.num_rows <= CHUNK for batch in [first, *rest])
    table = pa.Table.from_batches([first, *rest])
    assert table.column("id").to_pylist() == households and stream.rows == len(households)
    assert table.schema.field("id").type == pa.int64()
    assert table.schema.field("head_id").type == pa.int64()  # nullable, still an integer
    assert conn.execute(text("SELECT count(*) FROM pg_cursors")).scalar_one() == 0


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.filterwarnings("error:Normalized/laundered field name")
def test_every_format_is_written_chunk_by_chunk_whole(
    conn: Connection, tmp_path: Path, fmt: str
) -> None:
    out = target(tmp_path, fmt)
    written = export_layers(conn, fmt, out, chunk_rows=CHUNK)
    stored = conn.execute(text("SELECT id FROM household ORDER BY id")).scalars().all()
    assert written["households"] == len(stored) > 10 * CHUNK
    households = reopen(out, fmt, "households")
    if fmt == "csv":  # read back with the types of its .csvt
        assert (out / "households.csvt").exists()
    assert sorted(households["id"].tolist()) == stored
    assert households["id"].dtype.kind == "i", fmt  # GeoJSON's may be 32-bit
    heads = reopen(out, fmt, "heads")
    assert len(heads) == written["heads"]
    # Ids that may be empty (a unit head's unit_id, a compound head's not) are integer
    # fields; pandas alone would make them floats on reading.
    if fmt == "parquet":
        assert str(heads["unit_id"].dtype) == "Int64"
        assert households.crs is not None and households.crs.to_epsg() == 4326
    else:
        path = out if fmt == "gpkg" else out / f"heads{FORMATS[fmt][1]}"
        table = pyogrio.read_arrow(path, layer="heads")[1]
        for column in ("id", "unit_id", "load"):
            assert pa.types.is_integer(table.schema.field(column).type), (fmt, column)
        stored_units = conn.execute(text("SELECT unit_id FROM head ORDER BY id")).scalars()
        by_id = dict(
            zip(table.column("id").to_pylist(), table.column("unit_id").to_pylist(), strict=True)
        )
        assert [by_id[i] for i in sorted(by_id)] == list(stored_units), fmt


@pytest.mark.parametrize("fmt", ["gpkg", "shp", "fgb", "csv", "parquet"])
def test_an_empty_layer_keeps_its_fields_and_geometry_type(
    conn: Connection, tmp_path: Path, fmt: str
) -> None:
    conn.execute(text("DELETE FROM compound_gate"))  # rolled back after the test
    out = target(tmp_path, fmt)
    written = export_layers(conn, fmt, out, chunk_rows=CHUNK)
    assert written["gates"] == 0
    gates = reopen(out, fmt, "gates")
    assert len(gates) == 0
    name = shapefile_name if fmt == "shp" else str
    assert {name("id"), name("compound_id"), name("name")} <= set(gates.columns)
    if fmt in ("gpkg", "shp", "fgb"):
        path = out if fmt == "gpkg" else out / f"gates{FORMATS[fmt][1]}"
        info = pyogrio.read_info(path, layer="gates")
        assert info["geometry_type"] == "Point" and info["crs"] == "EPSG:4326"
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert types["id"] == "int64" and types[name("compound_id")] == "int64"
    if fmt == "parquet":
        assert gates.crs is not None and gates.crs.to_epsg() == 4326
        assert str(gates["compound_id"].dtype) == "Int64"
