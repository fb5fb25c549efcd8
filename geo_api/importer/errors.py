"""The error an import reports about a file it cannot read as given.

Its message names the file, and where it helps the line, row, cell or feature,
the column and the value, so an officer can find and fix the spot in the file.
"""

from __future__ import annotations

from pathlib import Path

from geo_api.errors import InvalidInputError


class ImportFileError(InvalidInputError):
    """A file that cannot be read as given; the message says where and what to do.

    ``where`` is how a user finds the spot: "line 7" (CSV), "row 7" or
    "sheet 户籍, cell D7" (XLSX), "feature 7" (vector files); ``row`` is the
    same number for programs.
    """

    def __init__(
        self,
        file: Path | str,
        problem: str,
        *,
        where: str | None = None,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        self.file = Path(file).name
        self.problem = problem
        self.where = where
        self.row = row
        self.column = column
        self.value = value
        parts = [self.file]
        if where:
            parts.append(where)
        if column is not None:
            parts.append(f"column {column}")
        if value is not None:
            parts.append(f"value {value!r}")
        super().__init__(f"{', '.join(parts)}: {problem}")
