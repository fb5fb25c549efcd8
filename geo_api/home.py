"""Where gridgov keeps its private state, and where the store is, read without pydantic.

``gridgov db status`` must answer at once; importing pydantic-settings alone costs it
more than half a second. ``store_location`` reads the two variables that decide where
the store is exactly as ``geo_api.settings.DatabaseSettings`` does (the environment,
then ``./.env``; names without regard to case), and a test holds the two together.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_home() -> Path:
    """The folder gridgov keeps its private state in (the source checkout, else the cwd)."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").exists():
        return checkout
    return Path.cwd()


def default_cluster_dir() -> Path:
    """The embedded cluster's folder when GEO_API_CLUSTER_DIR is unset."""
    return project_home() / ".gridgov" / "cluster"


def store_location() -> tuple[str | None, Path]:
    """GEO_API_DATABASE_URL (None when unset) and the embedded cluster's folder."""
    values: dict[str, str] = {}
    if Path(".env").is_file():
        from dotenv import dotenv_values

        values = {k.upper(): v for k, v in dotenv_values(".env").items() if v is not None}
    values.update((k.upper(), v) for k, v in os.environ.items())
    folder = values.get("GEO_API_CLUSTER_DIR")
    return values.get("GEO_API_DATABASE_URL"), Path(folder) if folder else default_cluster_dir()
