"""Bulk reads and writes with PostgreSQL's COPY: how big layers move fast.

Reading 60,000 rows through a cursor into pandas costs about 0.3 s of Python
per query; COPY to CSV and pandas' C parser take a fraction of it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import geopandas as gpd
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import shapely
from sqlalchemy import Connection, text

from geo_api.db.models import SRID

CHUNK_ROWS = 200_000


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def copy_frame(
    conn: Connection,
    table: str,
    frame: pd.DataFrame,
    columns: Sequence[str],
    not_null: Sequence[str] = (),
) -> int:
    """COPY the frame's columns into ``table`` (geometry as EWKB in SRID 4326).

    An empty cell is NULL, except in the ``not_null`` columns, where it is the empty
    text (CSV cannot tell the two apart). Runs in the caller's transaction; returns
    the number of rows written.
    """
    data = pd.DataFrame(frame[list(c for c in columns if c != "geom")])
    if "geom" in columns:
        geoseries = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame["geom"]
        geoms = shapely.set_srid(gpd.GeoSeries(geoseries).to_crs(SRID).to_numpy(), SRID)
        data["geom"] = shapely.to_wkb(geoms, hex=True, include_srid=True)
    data = data[list(columns)]
    target = f"{_quoted(table)} ({', '.join(_quoted(c) for c in columns)})"
    raw = conn.connection.driver_connection
    assert raw is not None  # a live connection inside the caller's transaction
    options = "FORMAT csv" + (
        f", FORCE_NOT_NULL ({', '.join(_quoted(c) for c in not_null)})" if not_null else ""
    )
    with raw.cursor() as cur, cur.copy(f"COPY {target} FROM STDIN WITH ({options})") as copy:
        for start in range(0, len(data), CHUNK_ROWS):
            copy.write(_csv(data.iloc[start : start + CHUNK_ROWS]))
    return len(data)


# Arrow types whose CSV text PostgreSQL reads back as pandas' would be: null as an
# empty unquoted field (NULL), text always quoted ("" is the empty text), booleans
# as true/false, dates as 2023-05-06.
_ARROW_CSV = (
    pa.types.is_integer,
    pa.types.is_floating,
    pa.types.is_boolean,
    pa.types.is_string,
    pa.types.is_large_string,
    pa.types.is_null,
    pa.types.is_date32,
)


def _csv(frame: pd.DataFrame) -> bytes:
    """The rows as CSV without a header: by Arrow's writer, ten times pandas' speed, where
    every column is of a type it writes as PostgreSQL reads it; else by pandas."""
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowException, ValueError, TypeError):  # mixed types in a column
        table = None
    if table is not None and all(any(t(f.type) for t in _ARROW_CSV) for f in table.schema):
        sink = io.BytesIO()
        pa_csv.write_csv(table, sink, pa_csv.WriteOptions(include_header=False))
        return sink.getvalue()
    return frame.to_csv(header=False, index=False).encode()


def bulk_load(conn: Connection) -> None:
    """Mark the caller's transaction as a bulk load: its commit does not wait for the
    WAL flush.

    Only for loads done in one transaction of their own: a crash right after the
    commit loses the whole load (the store is left as it was before), never part
    of it, and the load is simply run again. Every other write keeps the cluster's
    synchronous commit: what gridgov acknowledged survives a crash.
    """
    conn.execute(text("SET LOCAL synchronous_commit = off"))


def reset_sequence(conn: Connection, table: str, column: str = "id") -> None:
    """Move a serial column's sequence past the largest id (after COPY with explicit ids)."""
    sql = (
        "SELECT setval(pg_get_serial_sequence(:t, :c), "  # noqa: S608 - quoted identifiers
        f"coalesce((SELECT max({_quoted(column)}) FROM {_quoted(table)}), 0) + 1, false)"
    )
    conn.execute(text(sql), {"t": table, "c": column})  # identifiers quoted, values bound


def read_frame(conn: Connection, sql: str) -> pd.DataFrame:
    """The rows of a query (no parameters) as a DataFrame, through COPY ... TO STDOUT.

    Runs in the caller's transaction. Booleans arrive as True/False; a NULL in
    an integer column makes it float, as with read_sql.
    """
    raw = conn.connection.driver_connection
    assert raw is not None  # a live connection inside the caller's transaction
    buffer = io.BytesIO()
    with raw.cursor() as cur, cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    return pd.read_csv(buffer, true_values=["t"], false_values=["f"])
