"""Settings, split by concern; every variable carries the ``GEO_API_`` prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def project_home() -> Path:
    """The folder gridgov keeps its private state in (the source checkout, else the cwd)."""
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").exists():
        return checkout
    return Path.cwd()


class DatabaseSettings(BaseSettings):
    """Where the store lives: an external server, or gridgov's own embedded cluster."""

    model_config = SettingsConfigDict(env_prefix="GEO_API_", env_file=".env", extra="ignore")

    # Unset: gridgov runs its own private PostGIS cluster (see geo_api.db.cluster).
    database_url: str | None = None
    cluster_dir: Path = Field(default_factory=lambda: project_home() / ".gridgov" / "cluster")


class ServerSettings(BaseSettings):
    """The HTTP server gridgov serve starts."""

    model_config = SettingsConfigDict(env_prefix="GEO_API_", env_file=".env", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000


class MapSettings(BaseSettings):
    """Map pages: keys of the basemap services that need one."""

    model_config = SettingsConfigDict(env_prefix="GEO_API_", env_file=".env", extra="ignore")

    # Tianditu (天地图) browser key, for basemap=tianditu; no default on purpose.
    tianditu_key: str | None = None


class AuthSettings(BaseSettings):
    """Signing tokens, the service's public address, and failed sign-ins."""

    model_config = SettingsConfigDict(env_prefix="GEO_API_", env_file=".env", extra="ignore")

    # Signs tokens. Unset: a random one is made on first start in .gridgov/secret
    # (mode 600), outside the database, so a dump of the store cannot mint tokens.
    secret: str | None = None
    secret_file: Path = Field(default_factory=lambda: project_home() / ".gridgov" / "secret")
    # The URL clients reach gridgov at (https://gis.example.cn/gridgov): OGC links are
    # built from it, never from the request's Host header.
    public_url: str | None = None
    # Host names the server answers to (comma-separated; the public URL's is added).
    allowed_hosts: str = "localhost,127.0.0.1"
    # Wrong keys a client address may send a minute before it gets 429s.
    auth_failures_per_minute: int = Field(default=30, ge=1)
