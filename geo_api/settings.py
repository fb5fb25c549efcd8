"""Settings, split by concern; every variable carries the ``GEO_API_`` prefix."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from geo_api.home import default_cluster_dir
from geo_api.home import project_home as project_home  # re-exported for callers


class DatabaseSettings(BaseSettings):
    """Where the store lives: an external server, or gridgov's own embedded cluster."""

    model_config = SettingsConfigDict(env_prefix="GEO_API_", env_file=".env", extra="ignore")

    # Unset: gridgov runs its own private PostGIS cluster (see geo_api.db.cluster).
    database_url: str | None = None
    cluster_dir: Path = Field(default_factory=default_cluster_dir)
    # A streaming replica of the store (docs/scale.md): lookups, OGC items, tiles and
    # maps read there, unless audited (geo_api.api.reads); writes go to the primary.
    database_replica_url: str | None = None
    # After a key writes, its reads stay on the primary this many seconds, so that it
    # reads its own writes however far the replica lags behind.
    replica_sticky_s: float = Field(5.0, ge=0)
    # Connections of each of the API's pools (the engine's, twice that with overflow;
    # the statements'; the rate gate's: about four times this per process).
    # `gridgov serve --workers N` sets it from the server's max_connections.
    pool_size: int = Field(10, ge=1, le=200)


class BatchSettings(BaseSettings):
    """Where batch work (assignment runs) is solved: a Dask cluster."""

    model_config = SettingsConfigDict(env_prefix="GEO_API_DASK_", env_file=".env", extra="ignore")

    # A running dask.distributed scheduler (tcp://10.0.0.5:8786): runs go to its
    # workers, on as many machines as it has. Unset: a LocalCluster on this machine,
    # one worker process per core, started for the run and stopped after it.
    scheduler: str | None = None
    # Runs with fewer households are solved in the writer's own process: starting a
    # LocalCluster cost more than it saved at 200,000 on a 2-core machine
    # (scripts/bench/scale.py, docs/scale.md); lower it where a scheduler runs already.
    from_households: int = Field(2_000_000, ge=0)
    # Worker processes of the LocalCluster (unset: one per core).
    workers: int | None = Field(None, ge=1)
    # Seconds to reach the scheduler before a run is refused.
    connect_timeout_s: float = Field(30.0, gt=0)


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


class GeoSettings(BaseSettings):
    """Where metric work (snapping, connectors, noding) happens."""

    model_config = SettingsConfigDict(env_prefix="GEO_API_", env_file=".env", extra="ignore")

    # A projected CRS in metres ("EPSG:4546", "32635", or any PROJ string). Unset:
    # chosen from the city's extent: its CGCS2000 Gauss-Krüger zone in China, its
    # UTM zone elsewhere (geo_api.geo.crs.city_epsg).
    metric_crs: str | None = None


class UploadSettings(BaseSettings):
    """Uploaded files (POST /imports) and the imports they feed."""

    model_config = SettingsConfigDict(env_prefix="GEO_API_", env_file=".env", extra="ignore")

    # Where gridgov keeps its own files: uploads land in <data_dir>/uploads.
    data_dir: Path = Field(default_factory=lambda: project_home() / ".gridgov")
    upload_max_mb: int = Field(2048, ge=1)  # one upload (a 2 GB register streams through)
    upload_quota_mb: int = Field(8192, ge=1)  # every upload being received or imported
    # Imports run in a child process whose address space is capped, so that a file that
    # needs more memory than this is refused (422) and the server never grows.
    import_child: bool = True
    import_memory_mb: int = Field(2048, ge=64)  # above what the child starts with
    import_timeout_s: int = Field(3600, ge=1)


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
