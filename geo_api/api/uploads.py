"""Receiving an uploaded file: streamed to gridgov's own folder, counted as it comes.

FastAPI parses a multipart body before any dependency runs, into temporary files
of the system's temporary folder: a request without a key streamed 4 GiB to disk
before it was answered 401. The import route therefore takes no form parameters:
its key is checked first, then this module reads the request stream itself. A
Content-Length over the limit is refused before a byte is read; a chunked body is
counted as it arrives and refused as soon as it passes the limit; and the parts
land in ``<data_dir>/uploads`` (.gridgov/uploads unless GEO_API_DATA_DIR says
otherwise), whose total is held under a quota.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import BinaryIO

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from geo_api.digits import declared_size
from geo_api.errors import InvalidInputError, OverloadedError, PayloadTooLargeError
from geo_api.importer.read import check_name
from geo_api.settings import UploadSettings

MB = 1024**2


def _usage(folder: Path) -> int:
    """Bytes held by the files under ``folder`` (uploads of every worker)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


class _Parts:
    """Multipart callbacks: each wanted part (by form field name) into its own file."""

    def __init__(self, folder: Path, wanted: tuple[str, ...]) -> None:
        self.folder = folder
        self.wanted = wanted
        self.files: dict[str, Path] = {}
        self.names: dict[str, str] = {}
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._out: BinaryIO | None = None

    def on_part_begin(self) -> None:
        self._headers = {}

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def on_header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        field = options.get(b"name", b"").decode("utf-8", "replace")
        if field not in self.wanted:
            return  # other fields are ignored, as FastAPI would
        if field in self.files:
            raise InvalidInputError(f"the upload has two {field!r} parts: send one")
        # The client's own name for the file (its suffix says its format); any folder
        # part is dropped so that the name cannot point outside the upload's folder.
        name = Path(options.get(b"filename", b"").decode("utf-8", "replace")).name
        check_name(name)  # before the name is used to save it
        self.names[field] = name
        path = self.folder / field / (name if name not in ("", ".", "..") else "upload")
        path.parent.mkdir()
        self.files[field] = path
        self._out = path.open("wb")

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._out is not None:
            self._out.write(data[start:end])

    def on_part_end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def close(self) -> None:
        """Close a part left open by a broken body."""
        self.on_part_end()


def check_length(request: Request, settings: UploadSettings) -> None:
    """Refuse a declared body over the limit before reading any of it."""
    declared = declared_size(request.headers.get("content-length", ""))
    limit = settings.upload_max_mb * MB
    if declared is not None and declared > limit:
        raise PayloadTooLargeError(
            f"the upload is {declared // MB} MB; at most {settings.upload_max_mb} MB "
            "(GEO_API_UPLOAD_MAX_MB)"
        )


@asynccontextmanager
async def received(
    request: Request, wanted: tuple[str, ...], settings: UploadSettings | None = None
) -> AsyncIterator[tuple[dict[str, Path], dict[str, str]]]:
    """The wanted parts of the request's multipart body as files (field -> path) and
    their names as sent (field -> name), in a folder removed when the block ends."""
    settings = settings or UploadSettings()
    check_length(request, settings)
    content_type = request.headers.get("content-type", "")
    kind, params = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in params:
        raise InvalidInputError("send the file as multipart/form-data, in a part named 'file'")
    root = settings.data_dir / "uploads"
    root.mkdir(parents=True, exist_ok=True)
    limit = settings.upload_max_mb * MB
    room = settings.upload_quota_mb * MB - _usage(root)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=root))
    parts = _Parts(folder, wanted)
    parser = MultipartParser(
        params[b"boundary"],
        {
            "on_part_begin": parts.on_part_begin,
            "on_part_data": parts.on_part_data,
            "on_part_end": parts.on_part_end,
            "on_header_field": parts.on_header_field,
            "on_header_value": parts.on_header_value,
            "on_header_end": parts.on_header_end,
            "on_headers_finished": parts.on_headers_finished,
        },
    )
    try:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise PayloadTooLargeError(
                    f"the upload passed {settings.upload_max_mb} MB (GEO_API_UPLOAD_MAX_MB)"
                )
            if seen > room:
                raise OverloadedError(
                    f"the upload folder {root} is full ({settings.upload_quota_mb} MB, "
                    "GEO_API_UPLOAD_QUOTA_MB, with the uploads being imported): retry later",
                    retry_after_s=60,
                )
            parser.write(chunk)
        parser.finalize()
        parts.close()
        yield parts.files, parts.names
    except FormParserError as exc:
        raise InvalidInputError(f"the multipart body is broken: {exc}") from None
    finally:
        parts.close()
        shutil.rmtree(folder, ignore_errors=True)
