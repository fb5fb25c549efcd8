"""What a failed command tells its user: one line for every mistake a user can make
(a wrong value, a missing or existing file, a database that is down), and nothing
for a bug, whose traceback the caller lets through.

The database's exception classes are checked only when their modules are already
loaded: a command that never touched the database cannot have failed in it, and
importing SQLAlchemy here would slow down `gridgov --help`.
"""

from __future__ import annotations

import errno
import sys

from geo_api.errors import GridgovError

_FILE_ERRORS = {
    errno.ENOENT: "no such file or folder",
    errno.EEXIST: "already exists",
    errno.EACCES: "permission denied",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOTDIR: "a part of the path is not a folder",
    errno.ENOSPC: "no space left on the device",
    errno.EROFS: "the file system is read-only",
}


def first_line(text: object) -> str:
    """The first non-empty line of a message (drivers add hints on further lines)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else str(text)


def explain(exc: BaseException) -> str | None:
    """The line that tells a user what went wrong, or None for a bug."""
    if isinstance(exc, GridgovError):
        return first_line(exc) if "\n" in str(exc) else str(exc)
    if isinstance(exc, OSError) and exc.errno in _FILE_ERRORS:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{_FILE_ERRORS[exc.errno]}"
    return _database_error(exc)


def _database_error(exc: BaseException) -> str | None:
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    psycopg = sys.modules.get("psycopg")
    if psycopg is not None and sqlalchemy_exc is not None:
        from geo_api.db.migrate import NOT_MIGRATED, is_unmigrated

        if is_unmigrated(exc):
            return NOT_MIGRATED
    down: tuple[type[BaseException], ...] = ()
    if sqlalchemy_exc is not None:
        down += (sqlalchemy_exc.OperationalError, sqlalchemy_exc.InterfaceError)
    if psycopg is not None:
        down += (psycopg.OperationalError, psycopg.InterfaceError)
    if down and isinstance(exc, down):
        reason = first_line(getattr(exc, "orig", None) or exc)
        return f"the database is unavailable ({reason}); check `gridgov db status`"
    return None
