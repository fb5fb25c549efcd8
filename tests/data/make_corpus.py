"""Write every corpus case's file into a folder, to open and look at.

    uv run python -m tests.data.make_corpus [FOLDER]   (default: artifacts/corpus)

Each case gets a folder named after it holding its file and ``expect.txt``:
the layer, the options and what importing it must do.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

from tests.data.corpus import CASES, Case

ROOT = Path(__file__).resolve().parents[2]


def write_case(case: Case, folder: Path) -> Path:
    """The case's file in ``folder/<case name>/``, with what it must do beside it."""
    home = folder / case.name
    home.mkdir(parents=True, exist_ok=True)
    path = case.make(home)
    expect = {"expect": type(case.expect).__name__, **asdict(case.expect)}
    lines = [f"layer: {case.layer}", f"file: {path.name}", f"options: {case.options}"]
    lines += [f"{key}: {value}" for key, value in expect.items()]
    (home / "expect.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(argv: list[str]) -> None:
    """Write the corpus into the folder given (or artifacts/corpus) and list it."""
    folder = Path(argv[0]) if argv else ROOT / "artifacts" / "corpus"
    for case in CASES:
        path = write_case(case, folder)
        print(f"{case.name:40} {case.layer:10} {path.relative_to(folder)}")
    print(f"{len(CASES)} cases written to {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
