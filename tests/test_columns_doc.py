"""docs/columns.md is made from the layers: it cannot drift from the code."""

from __future__ import annotations

from pathlib import Path

from geo_api.importer.docs import columns_markdown
from geo_api.importer.registry import REGISTRY

DOC = Path(__file__).resolve().parents[1] / "docs" / "columns.md"


def test_the_column_documentation_is_the_code_s() -> None:
    assert DOC.read_text(encoding="utf-8") == columns_markdown(), (
        "docs/columns.md is stale: python -m geo_api.importer.docs > docs/columns.md"
    )


def test_every_layer_and_field_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    for layer in REGISTRY.values():
        assert f"## {layer.name}\n" in text
        assert all(f"| `{f.name}` |" in text for f in layer.fields)
    assert "| `floors` |  | whole number |" in text  # optional (issue 21)
