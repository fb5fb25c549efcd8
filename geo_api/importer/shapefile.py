"""Finding a Shapefile's parts, in a zip or beside a .shp, and its text encoding.

A Shapefile is a set (.shp, .shx, .dbf, and maybe .prj and .cpg) that officers
send zipped. The .dbf text is often GBK: a .cpg names its code page; without
one, GDAL would read it as Latin-1 and produce mojibake. So the encoding is the
one declared, else the .cpg's, else the first of UTF-8 and GB18030 that decodes
a sample strictly and cleanly.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import pyogrio

from geo_api.importer.encoding import codec_name, cpg_codec, looks_garbled
from geo_api.importer.errors import ImportFileError

# Features read to decide the encoding of a .dbf that has no .cpg.
SAMPLE = 20_000
_CANDIDATES = ("utf-8", "gb18030")
_NEEDED = (".dbf", ".shx")


@dataclass(frozen=True)
class ShapeSet:
    """Where GDAL finds the .shp, and what the set's side files say."""

    gdal_path: str
    cpg: str | None  # the .cpg's text
    has_prj: bool


def locate(file: Path) -> ShapeSet:
    """The Shapefile set of a .zip (exactly one .shp in it) or of a .shp and its siblings."""
    if file.suffix.lower() == ".zip":
        return _in_zip(file)
    stem = file.stem.lower()
    siblings = {p.name.lower(): p for p in file.parent.iterdir() if p.stem.lower() == stem}
    missing = [ext for ext in _NEEDED if stem + ext not in siblings]
    if missing:
        raise ImportFileError(
            file, f"the Shapefile lacks its {' and '.join(missing)}: send all parts"
        )
    cpg = siblings.get(stem + ".cpg")
    return ShapeSet(
        gdal_path=str(file),
        cpg=cpg.read_text(encoding="ascii", errors="replace") if cpg else None,
        has_prj=stem + ".prj" in siblings,
    )


def _in_zip(file: Path) -> ShapeSet:
    """The one .shp set in a zip, read through GDAL's /vsizip/."""
    try:
        with zipfile.ZipFile(file) as archive:
            names = [n for n in archive.namelist() if not n.endswith("/") and "__MACOSX" not in n]
            shp = _one_shp(file, names)
            stem = shp[: -len(".shp")].lower()
            parts = {n.lower(): n for n in names if n.lower().startswith(stem + ".")}
            missing = [ext for ext in _NEEDED if stem + ext not in parts]
            if missing:
                raise ImportFileError(
                    file, f"{shp} in the zip lacks its {' and '.join(missing)}: zip all parts"
                )
            cpg_name = parts.get(stem + ".cpg")
            cpg = archive.read(cpg_name).decode("ascii", "replace") if cpg_name else None
    except zipfile.BadZipFile as error:
        raise ImportFileError(
            file, f"not a readable zip ({error}): it may be cut short; send it again"
        ) from None
    return ShapeSet(f"/vsizip/{file.resolve()}/{shp}", cpg, stem + ".prj" in parts)


def _one_shp(file: Path, names: list[str]) -> str:
    """The zip's only .shp; none or several is an error listing what is there."""
    shps = [n for n in names if n.lower().endswith(".shp")]
    if len(shps) == 1:
        return shps[0]
    if not shps:
        held = ", ".join(names[:10]) + (", …" if len(names) > 10 else "")
        raise ImportFileError(
            file, f"no Shapefile (.shp) in the zip; it holds: {held or 'nothing'}"
        )
    raise ImportFileError(
        file, f"{len(shps)} Shapefiles in one zip ({', '.join(shps)}): zip one layer per file"
    )


def dbf_encoding(file: Path, shapes: ShapeSet, declared: str | None) -> str:
    """The .dbf's codec: declared, else the .cpg's, else the first that decodes cleanly."""
    if declared:
        return codec_name(file, declared)
    if shapes.cpg is not None:
        from_cpg = cpg_codec(shapes.cpg)
        if from_cpg:
            return from_cpg
    for candidate in _CANDIDATES:
        if _decodes(shapes.gdal_path, candidate):
            return candidate
    raise ImportFileError(
        file,
        "the attribute table (.dbf) is neither UTF-8 nor GB18030: "
        "add a .cpg file naming its code page, or give the encoding",
    )


def _decodes(gdal_path: str, encoding: str) -> bool:
    """Whether the column names and a sample of the rows decode strictly and cleanly."""
    try:
        sample = pyogrio.read_dataframe(
            gdal_path, encoding=encoding, read_geometry=False, max_features=SAMPLE
        )
    except UnicodeDecodeError:
        return False
    texts = [str(name) for name in sample.columns]
    for name in sample.columns:
        texts += [v for v in sample[name].tolist() if isinstance(v, str)]
    return not looks_garbled(texts)
