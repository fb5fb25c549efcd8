"""Values written into a page's scripts as JS literals (JSON), safely."""

from __future__ import annotations

import json


def js_literal(value: object) -> str:
    """``value`` as a JS literal, Chinese kept as characters (a third of the bytes of
    \\u escapes) and nothing that could end the <script> it sits in."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
