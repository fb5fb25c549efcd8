"""What an import tells its caller, the same for the CLI and the API: rows in, landed
(inserted, updated, unchanged), rejected (each naming row, column and value, in file
order), notes (what the import did) and warnings (what to look at)."""

from __future__ import annotations

from dataclasses import dataclass, field

from geo_api.errors import InvalidInputError
from geo_api.importer.checks import Reject
from geo_api.importer.diff import RosterDiff
from geo_api.importer.upsert import Landed

SHOWN_REJECTS = 10


@dataclass
class ImportReport:
    """What an import did: rows in, landed (inserted, updated, unchanged), rejected."""

    layer: str
    file: str
    crs: str
    rows_in: int = 0
    landed: Landed = field(default_factory=Landed)
    rejects: list[Reject] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    diff: RosterDiff | None = None  # rosters: new, changed, unchanged, missing
    records: list[str] = field(default_factory=list)  # rows changed, for the audit log
    keys: list[str] = field(default_factory=list)  # the file's areas' codes (generations)

    @property
    def rows_landed(self) -> int:
        """Rows inserted, updated or found unchanged."""
        return self.landed.inserted + self.landed.updated + self.landed.unchanged


class ImportRejectedError(InvalidInputError):
    """Rows were rejected and the import was not told to skip them: nothing landed."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        shown = "; ".join(r.message() for r in report.rejects[:SHOWN_REJECTS])
        more = len(report.rejects) - SHOWN_REJECTS
        super().__init__(
            f"{report.file}: {len(report.rejects)} of {report.rows_in} rows rejected, nothing "
            f"imported (skip bad rows to import the others: --skip-bad, or skip_bad=true): "
            f"{shown}" + (f" (and {more} more)" if more > 0 else "")
        )
