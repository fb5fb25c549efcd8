"""Which column of a file holds which field of a layer.

Columns are matched by name against the layer's names for its fields (its
Field definitions and the shared vocabulary in fields.py: Chinese or English,
loosely compared); a mapping file (TOML or JSON) names the columns that
aliases cannot guess, and wins over them. Two columns that both look like one
field are an error rather than a guess: picking one silently could import the
wrong data. What a layer needs at least is the layer's own to say
(Layer.missing).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from geo_api.errors import InvalidInputError
from geo_api.importer.errors import ImportFileError
from geo_api.importer.fields import aliases, normalise
from geo_api.importer.registry import REGISTRY

__all__ = ["ColumnMap", "ColumnMapError", "load_mapping", "map_columns"]


class ColumnMapError(InvalidInputError):
    """Columns that cannot be matched to fields unambiguously."""


@dataclass
class ColumnMap:
    """Canonical field → the file's column, and the file's columns left unused."""

    fields: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)


def map_columns(
    columns: Sequence[str], layer: str, mapping: Mapping[str, str] | None = None
) -> ColumnMap:
    """Match a file's columns to ``layer``'s fields: the explicit mapping first, then aliases.

    ``mapping`` keys are fields ("address") or layer-qualified fields
    ("households.address", as load_mapping gives for grouped files; other
    layers' keys are ignored). Raises ColumnMapError when two columns mean one
    field, or the mapping names a field the layer lacks or a column the file lacks.
    """
    fields = _fields_of(layer)
    explicit = _explicit(columns, layer, fields, mapping or {})
    taken = set(explicit.values())
    table = aliases(REGISTRY[layer])
    guessed: dict[str, list[str]] = {}
    for column in columns:
        target = table.get(normalise(column))
        if column in taken or target is None or target in explicit:
            continue
        guessed.setdefault(target, []).append(column)
    for target, found in guessed.items():
        if len(found) > 1:
            shown = " and ".join(repr(c) for c in found)
            raise ColumnMapError(
                f"columns {shown} both mean {layer} field {target!r}: "
                f"say which in a mapping file ({target} = {found[0]!r})"
            )
    matched = explicit | {target: found[0] for target, found in guessed.items()}
    ordered = {f: matched[f] for f in fields if f in matched}
    used = set(ordered.values())
    return ColumnMap(ordered, [c for c in columns if c not in used])


def _fields_of(layer: str) -> tuple[str, ...]:
    """The layer's canonical fields; an unknown layer lists the known ones."""
    if layer not in REGISTRY:
        raise ColumnMapError(f"unknown layer {layer!r}: one of {', '.join(REGISTRY)}")
    return REGISTRY[layer].field_names


def _explicit(
    columns: Sequence[str], layer: str, fields: tuple[str, ...], mapping: Mapping[str, str]
) -> dict[str, str]:
    """The mapping's entries for this layer, checked against the layer and the file."""
    chosen: dict[str, str] = {}
    for key, column in mapping.items():
        group, _, name = key.rpartition(".")
        if group and group != layer:
            continue
        if name not in fields:
            raise ColumnMapError(
                f"the mapping names {key!r}, which is not a field of {layer}: "
                f"the fields are {', '.join(fields)}"
            )
        wanted = column.strip()
        if wanted not in columns:
            raise ColumnMapError(
                f"the mapping says {name} = {column!r}, but the file has no such column; "
                f"its columns are: {', '.join(columns)}"
            )
        if wanted in chosen.values():
            other = next(f for f, c in chosen.items() if c == wanted)
            raise ColumnMapError(f"the mapping gives column {wanted!r} to both {other} and {name}")
        chosen[name] = wanted
    return chosen


def load_mapping(path: Path) -> dict[str, str]:
    """Read a mapping file, TOML or JSON: ``field = "column"``, optionally under ``[layer]``.

    Grouped entries come back as "layer.field" keys, which map_columns picks
    for its layer. Errors name the file and the key.
    """
    path = Path(path)
    raw = _parse(path)
    flat: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            if key not in REGISTRY:
                raise ImportFileError(path, f"[{key}] is not a layer: one of {', '.join(REGISTRY)}")
            for name, column in value.items():
                flat[f"{key}.{name}"] = _entry(
                    path, f"{key}.{name}", name, column, REGISTRY[key].field_names
                )
        else:
            every = tuple(f for layer in REGISTRY.values() for f in layer.field_names)
            flat[key] = _entry(path, key, key, value, every)
    return flat


def _parse(path: Path) -> dict[str, object]:
    """The file's table, by extension; syntax errors keep the parser's line and column."""
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise ImportFileError(path, "a mapping file must be .toml or .json")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(path, f"no such file ({path})") from None
    except UnicodeDecodeError:
        raise ImportFileError(path, "not UTF-8 text: save the mapping file as UTF-8") from None
    try:
        data: object = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        raise ImportFileError(path, f"not valid {suffix[1:].upper()}: {error}") from None
    if not isinstance(data, dict):
        raise ImportFileError(path, 'the mapping must be a table of field = "column"')
    return data


def _entry(path: Path, key: str, name: str, column: object, fields: Collection[str]) -> str:
    """One field = column entry, checked: a known field, a non-empty column name."""
    if name not in fields:
        hint = ""
        if isinstance(column, str) and column in fields:
            hint = f" (the mapping goes field = column: {column} = {name!r}?)"
        raise ImportFileError(path, f"{key!r} is not a field{hint}", where=f"key {key}")
    if not isinstance(column, str) or not column.strip():
        raise ImportFileError(
            path, "the column must be a non-empty text", where=f"key {key}", value=column
        )
    return column.strip()
