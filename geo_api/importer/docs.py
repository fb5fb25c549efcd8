"""The column documentation of every importable layer, made from the layers themselves
(docs/columns.md is this text; a test keeps the two the same)."""

from __future__ import annotations

from typing import Any

from geo_api.importer.fields import names_of
from geo_api.importer.layer import Layer
from geo_api.importer.registry import REGISTRY

GEOMETRY = {
    "shapes": "outlines or lines: a GeoJSON, GeoPackage or zipped Shapefile",
    "points": "a point: the file's geometry, or lon and lat columns",
    "points or none": "a point if the row has one (the file's geometry, or lon and lat columns)",
    "none": "no coordinates: rows are placed by what they name",
}
HEADER = """# Import columns

What `gridgov import LAYER FILE` and `POST /imports/{layer}` read, layer by layer.
Columns are matched by name, loosely (case, spaces, punctuation and full-width
forms do not matter); any name in the "names" column works, Chinese or English.
A mapping file (`--mapping`, TOML or JSON: `field = "column"`) names the others.
A row's own coordinate system may be given in a `坐标系` column (GCJ-02, 高德,
BD-09, 百度, WGS84, CGCS2000 or an EPSG code); otherwise the file's (its .prj or
SRS, `--crs`, or what the coordinates look like) applies.

This file is generated from the code (`python -m geo_api.importer.docs >
docs/columns.md`); a test fails when the two differ.
"""


def layer_markdown(layer: Layer[Any]) -> str:
    """One layer's section: what it is, what it needs, a table of its fields."""
    lines = [f"## {layer.name}", "", layer.doc[0].upper() + layer.doc[1:] + ".", ""]
    lines.append(f"- Geometry: {GEOMETRY[layer.geometry]}.")
    if layer.required:
        lines.append(f"- Required: {', '.join(f'`{f}`' for f in sorted(layer.required))}.")
    if layer.one_of:
        groups = " or ".join(
            "(" + ", ".join(f"`{f}`" for f in sorted(group)) + ")" for group in layer.one_of
        )
        lines.append(f"- And at least one of: {groups}.")
    if layer.rebuilds:
        lines.append(f"- After landing, rebuilds the {layer.rebuilds}.")
    lines += ["", "| field | required | type | names | what it holds |", "|---|---|---|---|---|"]
    for field in layer.fields:
        need = "yes" if field.name in layer.required else (
            "one of" if any(field.name in g for g in layer.one_of) else ""
        )  # fmt: skip
        names = ", ".join(names_of(layer, field.name)).replace("|", "\\|")
        lines.append(f"| `{field.name}` | {need} | {field.kind} | {names} | {field.doc} |")
    return "\n".join(lines) + "\n"


def columns_markdown() -> str:
    """The whole document."""
    return HEADER + "".join("\n" + layer_markdown(layer) for layer in REGISTRY.values())


if __name__ == "__main__":
    print(columns_markdown(), end="")
