"""Uploading a file into a layer: the same import as gridgov import."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, UploadFile

from geo_api.api.deps import Tx
from geo_api.api.schemas import ImportResult
from geo_api.errors import InvalidInputError
from geo_api.importer.columns import load_mapping
from geo_api.importer.run import LAYERS, import_file

router = APIRouter(tags=["data"])
MAX_NAME_BYTES = 200  # file systems take 255 bytes a name; the temporary folder adds none
MAX_BYTES = 2 * 1024**3  # a 2 GB register is streamed to disk, never held in memory
SHOWN_REJECTS = 1000


@router.post(
    "/imports/{layer}",
    response_model=ImportResult,
    responses={422: {"description": "a bad file, or rejected rows (nothing imported)"}},
)
def upload(
    tx: Tx,
    layer: str,
    file: UploadFile,
    mapping: UploadFile | None = None,
    crs: Annotated[str | None, Query(max_length=40, examples=["EPSG:4490", "gcj02"])] = None,
    encoding: Annotated[str | None, Query(max_length=20)] = None,
    sheet: Annotated[str | None, Query(max_length=100)] = None,
    source_layer: Annotated[str | None, Query(max_length=100)] = None,
    skip_bad: bool = False,
) -> dict[str, Any]:
    """Import an uploaded GeoJSON, GeoPackage, zipped Shapefile, CSV or XLSX into a layer
    (one transaction: without skip_bad, one bad row rejects the whole file); an optional
    ``mapping`` file (JSON or TOML: {field: column}) names columns the aliases miss."""
    if layer not in LAYERS:
        raise InvalidInputError(f"unknown layer {layer!r}; importable: {', '.join(LAYERS)}")
    name = _file_name(file.filename)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        _save(file, path, name)
        columns = None
        if mapping is not None:
            suffix = Path(mapping.filename or "").suffix.lower()
            if suffix not in (".json", ".toml"):
                raise InvalidInputError("the mapping file must be .json or .toml")
            mapping_path = Path(folder) / f"mapping{suffix}"
            _save(mapping, mapping_path, mapping_path.name)
            columns = load_mapping(mapping_path)
        with tx() as conn:
            report = import_file(
                conn,
                layer,
                path,
                crs=crs,
                encoding=encoding,
                sheet=sheet,
                source_layer=source_layer,
                mapping=columns,
                skip_bad=skip_bad,
            )
    return {
        "layer": report.layer,
        "file": report.file,
        "crs": report.crs,
        "rows_in": report.rows_in,
        **asdict(report.landed),
        "rejected": len(report.rejects),
        "rejects": [asdict(r) for r in report.rejects[:SHOWN_REJECTS]],
        "notes": report.notes,
        "warnings": report.warnings,
    }


def _file_name(given: str | None) -> str:
    """The upload's file name (its last part), checked: one the disk can hold."""
    name = Path(given or "").name
    if name in ("", ".", ".."):
        raise InvalidInputError("the upload has no file name: name it, e.g. 户籍.csv")
    if "\x00" in name or any(ord(c) < 32 for c in name):
        raise InvalidInputError(f"the file name {name[:60]!r} holds control characters")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidInputError(
            f"the file name {name[:40]!r}… is {len(name.encode('utf-8'))} bytes long; "
            f"rename the file to at most {MAX_NAME_BYTES} bytes"
        )
    return name


def _save(file: UploadFile, path: Path, name: str) -> None:
    """Stream the upload to disk, refusing it as soon as it passes MAX_BYTES."""
    written = 0
    with path.open("wb") as out:
        while block := file.file.read(1 << 20):
            written += len(block)
            if written > MAX_BYTES:
                raise InvalidInputError(f"{name}: larger than {MAX_BYTES // 1024**3} GB")
            out.write(block)
