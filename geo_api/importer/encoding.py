"""Text encodings of officers' files: UTF-8 (with or without BOM) and GBK/GB18030.

Chinese government CSVs and Shapefile .dbf files are often GBK. Decoding them
as the wrong codec either fails or, worse, yields mojibake that then lands in
the store, so decoding is always strict and a failure names the byte offset
and line. GBK and GB2312 are read as GB18030, their superset: a name with a
rare character (生僻字) decodes instead of failing.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from pathlib import Path

from geo_api.importer.errors import ImportFileError

UTF8_BOM = codecs.BOM_UTF8
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
# Read at least this much, and until some non-ASCII text is seen, before
# trusting UTF-8: an English header says nothing about the addresses below it.
ENOUGH = 1 << 20
_BLOCK = 1 << 20
# Codecs read as their superset.
_SUPERSETS = {"gbk": "gb18030", "gb2312": "gb18030", "utf-8": "utf-8-sig"}
# A longest multi-byte sequence: an error this close to a block's end may be a split character.
_LONGEST_SEQUENCE = 4
# What a wrong codec leaves: replacement characters and private-use code points.
_GARBLED = re.compile("[\ufffd\ue000-\uf8ff]")


@dataclass(frozen=True)
class DecodeFailure:
    """Where a file stops being valid text in one encoding."""

    encoding: str
    offset: int  # bytes from the start of the file
    line: int  # 1-based
    bad: bytes

    def describe(self) -> str:
        """E.g. 'not valid gb18030 at byte 1234 (line 5): b"\\x80"'."""
        return f"not valid {self.encoding} at byte {self.offset} (line {self.line}): {self.bad!r}"


def codec_name(file: Path, declared: str) -> str:
    """The Python codec for an encoding a user declared, read as its superset."""
    try:
        info = codecs.lookup(declared.strip())
    except LookupError:
        raise ImportFileError(
            file, f"unknown encoding {declared!r}: use e.g. utf-8 or gb18030"
        ) from None
    # base64, rot13, zlib … are codecs too, but not text encodings.
    if not getattr(info, "_is_text_encoding", True):
        raise ImportFileError(file, f"{declared!r} is not a text encoding: use e.g. utf-8 or gbk")
    return _SUPERSETS.get(info.name, info.name)


def detect_text_encoding(file: Path) -> str:
    """The encoding of a text file: a BOM's, else UTF-8 if it decodes, else GB18030."""
    with file.open("rb") as stream:
        head = stream.read(4)
    if head.startswith(UTF8_BOM):
        return "utf-8-sig"
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    as_utf8 = first_decode_error(file, "utf-8", enough=ENOUGH)
    if as_utf8 is None:
        return "utf-8"
    as_gb = first_decode_error(file, "gb18030", enough=ENOUGH)
    if as_gb is None:
        return "gb18030"
    raise ImportFileError(
        file,
        f"neither UTF-8 ({as_utf8.describe()}) nor GB18030 ({as_gb.describe()}): "
        "save it as UTF-8, or give its encoding",
    )


def first_decode_error(
    file: Path, encoding: str, *, enough: int | None = None
) -> DecodeFailure | None:
    """The first spot that does not decode, scanning in blocks (never the whole file at once).

    With ``enough``, stop once that many bytes, some of them non-ASCII, decoded.
    """
    encoding = _stream_codec(file, encoding)
    start, line, carry, non_ascii = 0, 1, b"", False
    with file.open("rb") as stream:
        while True:
            block = stream.read(_BLOCK)
            data = carry + block
            if not data:
                return None
            try:
                text, carry = data.decode(encoding), b""
            except UnicodeDecodeError as error:
                if block and _split_at_end(error, data):
                    text, carry = data[: error.start].decode(encoding), data[error.start :]
                else:
                    before = data[: error.start].decode(encoding, "replace")
                    bad = data[error.start : error.end]
                    return DecodeFailure(
                        encoding, start + error.start, line + before.count("\n"), bad
                    )
            line += text.count("\n")
            start += len(data) - len(carry)
            non_ascii = non_ascii or not block.isascii()
            if not block or (enough is not None and stream.tell() >= enough and non_ascii):
                return None


def _split_at_end(error: UnicodeDecodeError, data: bytes) -> bool:
    """Whether the error is only a character cut in two by the block boundary."""
    return error.end == len(data) and len(data) - error.start < _LONGEST_SEQUENCE


def _stream_codec(file: Path, encoding: str) -> str:
    """UTF-16 read block by block needs its byte order, which only the BOM at the start gives."""
    if codecs.lookup(encoding).name != "utf-16":
        return encoding
    with file.open("rb") as stream:
        return "utf-16-be" if stream.read(2) == codecs.BOM_UTF16_BE else "utf-16-le"


def cpg_codec(text: str) -> str | None:
    """The Python codec a Shapefile's .cpg names ("UTF-8", "GBK", "936", "ANSI 936"), or None."""
    words = text.strip().split()
    if not words:
        return None
    label = words[-1]
    if label.isdigit():
        label = {"65001": "utf-8", "936": "gbk", "54936": "gb18030"}.get(label, f"cp{label}")
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "utf-8" if name == "utf-8" else _SUPERSETS.get(name, name)


def looks_garbled(texts: list[str]) -> bool:
    """Text decoded with a wrong codec: replacement characters or private-use code points."""
    return any(_GARBLED.search(text) for text in texts)
