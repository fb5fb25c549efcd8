"""The server's secret, which signs tokens: kept outside the database.

Tokens used to be signed with the key's stored hash, so anyone holding a dump of
the store could mint one. The secret comes from ``GEO_API_SECRET``, or is made at
random on first start into ``.gridgov/secret`` (mode 600) and read back by every
worker and restart, so tokens outlive a restart and are valid on every worker.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from functools import cache
from pathlib import Path

from geo_api.errors import GridgovError
from geo_api.settings import AuthSettings

MIN_LENGTH = 32  # characters of a secret given in GEO_API_SECRET


def server_secret(settings: AuthSettings | None = None) -> bytes:
    """The secret tokens are signed with (GEO_API_SECRET, else the secret file)."""
    settings = settings or AuthSettings()
    if settings.secret:
        if len(settings.secret) < MIN_LENGTH:
            raise GridgovError(f"GEO_API_SECRET must be at least {MIN_LENGTH} characters")
        return settings.secret.encode()
    return _file_secret(settings.secret_file.resolve())


@cache
def _file_secret(path: Path) -> bytes:
    """The secret in ``path``, made there first if there is none (by whichever worker
    comes first: the others read the same one)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        # link() fails if another worker won the race: theirs is kept, ours dropped.
        with contextlib.suppress(FileExistsError):
            os.link(draft, path)
        draft.unlink()
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a copy restored with a loose mode is tightened
    value = path.read_text().strip()
    if len(value) < MIN_LENGTH:
        raise GridgovError(f"{path} holds no usable secret: delete it to make a new one")
    return value.encode()
