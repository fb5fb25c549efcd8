"""gridgov db: the embedded cluster and the schema."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from geo_api.cli.ui import step, table
from geo_api.cli.words import t
from geo_api.errors import GridgovError

if TYPE_CHECKING:
    from geo_api.settings import DatabaseSettings

app = typer.Typer(
    help="Run the embedded PostGIS cluster and manage the schema.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
log = logging.getLogger(__name__)


def _external(settings: DatabaseSettings) -> bool:
    if settings.database_url:
        log.info("GEO_API_DATABASE_URL is set: gridgov uses that server and runs no cluster")
        return True
    return False


@app.command()
def up() -> None:
    """Start the embedded cluster (initialising it the first time) and migrate the schema."""
    step("starting")
    from geo_api.db import migrate
    from geo_api.db.durability import durability_problems, durability_settings
    from geo_api.db.engine import cluster_for, database_url, make_engine
    from geo_api.settings import DatabaseSettings

    settings = DatabaseSettings()
    url = database_url(settings)
    engine = make_engine(url, pool_size=1)
    migrate.upgrade(engine)
    log.info("schema at revision %s", migrate.current_revision(engine))
    with engine.connect() as conn:
        for problem in durability_problems(durability_settings(conn)):
            log.warning("the server may lose acknowledged writes in a crash: %s", problem)
    if not _external(settings):
        table("embedded cluster", cluster_for(settings).status())


@app.command()
def down() -> None:
    """Stop the embedded cluster (its data stays in its folder)."""
    from geo_api.db.engine import cluster_for
    from geo_api.settings import DatabaseSettings

    settings = DatabaseSettings()
    if _external(settings):
        return
    stopped = cluster_for(settings).down()
    log.info("stopped" if stopped else "the cluster was not running")


@app.command()
def status() -> None:
    """Where the store is, whether it runs, and its schema revision."""
    # No Alembic nor SQLAlchemy here: status answers at once (geo_api.db.revisions).
    from geo_api.db.cluster import Cluster, cluster_root
    from geo_api.db.durability import durability_problems
    from geo_api.db.revisions import libpq_url, revision_and_durability, script_heads
    from geo_api.home import store_location

    # Not DatabaseSettings: pydantic would cost this command most of its time.
    database_url, cluster_dir = store_location()
    rows: dict[str, object] = {}
    url = libpq_url(database_url) if database_url else None
    if database_url:
        log.info("GEO_API_DATABASE_URL is set: gridgov uses that server and runs no cluster")
    else:
        cluster = Cluster(cluster_root(cluster_dir))
        rows.update(cluster.status())
        url = cluster.libpq_url() if rows.get("running") else None
    if url:
        revision, settings = revision_and_durability(url)
        rows["schema revision"] = revision or t("none (run gridgov db up)")
        problems = durability_problems(settings)
        rows["durable"] = "; ".join(problems) if problems else t("yes")
    rows["expected revision"] = ", ".join(script_heads()) or "-"
    table("store", rows)


@app.command("migrate")
def migrate_cmd(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Migrate the schema up to a revision (default: the newest)."""
    step("migrating the schema")
    from geo_api.db import migrate
    from geo_api.db.engine import database_url, make_engine

    engine = make_engine(database_url(), pool_size=1)
    migrate.upgrade(engine, revision)
    log.info("schema at revision %s", migrate.current_revision(engine))


@app.command()
def downgrade(
    revision: str = typer.Argument(..., help="target revision; 'base' drops every table"),
) -> None:
    """Migrate the schema down to a revision."""
    step("migrating the schema")
    from geo_api.db import migrate
    from geo_api.db.engine import database_url, make_engine

    engine = make_engine(database_url(), pool_size=1)
    migrate.downgrade(engine, revision)
    log.info("schema at revision %s", migrate.current_revision(engine) or "base")


@app.command()
def check(
    geojson: Annotated[
        Path | None, typer.Option(help="also write the problems, with their geometry, here")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="also write the problems as JSON here")
    ] = None,
    map_out: Annotated[
        Path | None,
        typer.Option("--map", help="also write them as a self-contained map page here"),
    ] = None,
) -> None:
    """Validate the store across rows: siblings that overlap, parents' area no child
    covers, children outside their parent, households outside their compound."""
    step("checking the store")
    import pandas as pd

    from geo_api.db.engine import database_url, make_engine
    from geo_api.db.validation import validation_report
    from maps.validation import validation_page
    from maps.vendor import inline_assets

    engine = make_engine(database_url(), pool_size=1)
    with engine.connect() as conn:
        problems = validation_report(conn)
    if geojson:
        geojson.write_text(problems.to_json(drop_id=True, ensure_ascii=False), encoding="utf-8")
    if json_out:
        plain = pd.DataFrame(problems.drop(columns="geometry"))
        json_out.write_text(plain.to_json(orient="records", force_ascii=False), encoding="utf-8")
    if map_out:
        page = inline_assets(validation_page(problems))
        map_out.write_text(page, encoding="utf-8")
    for message in problems["message"].head(50):
        log.error("%s", message)
    counts = problems.groupby(["kind", "table"]).size()
    table(
        "validation report",
        {f"{kind} ({where})": int(n) for (kind, where), n in counts.items()} or {"problems": 0},
    )
    if len(problems):
        raise GridgovError(f"{len(problems)} problems in the store (listed above)")
    log.info("no problems: every child inside its parent, no overlaps, no gaps")


@app.command("backup")
def backup_cmd(
    file: Annotated[Path, typer.Argument(help="the backup to write (pg_dump custom format)")],
) -> None:
    """Write the whole store to FILE, with the server's own pg_dump."""
    from geo_api.db import backup as backups
    from geo_api.db.engine import database_url, make_engine

    engine = make_engine(database_url(), pool_size=1)
    revision = backups.backup(engine, file)
    log.info("wrote %s (%s bytes, schema revision %s)", file, f"{file.stat().st_size:,}", revision)


@app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="a backup written by gridgov db backup")],
    force: Annotated[bool, typer.Option("--force", help="replace a store that holds data")] = False,
) -> None:
    """Replace the store with FILE, then migrate it to this gridgov's schema. A backup
    of a newer schema is refused, and so is a store holding data without --force."""
    from geo_api.db import backup as backups
    from geo_api.db.engine import database_url, make_engine

    engine = make_engine(database_url(), pool_size=1)
    done = backups.restore(engine, file, force=force)
    table(
        "restored",
        {
            "from": str(file),
            "backup's schema revision": done.dump_revision,
            "schema revision now": done.revision or "-",
            "migrated": done.migrated,
        },
    )
