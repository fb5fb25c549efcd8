"""gridgov serve: the HTTP API and the maps."""

from __future__ import annotations

import errno
import logging
import os
import socket
from typing import Annotated

import typer

from geo_api.cli.ui import step
from geo_api.errors import GridgovError

log = logging.getLogger(__name__)


class PortBusyError(GridgovError):
    """The address the server should listen on is taken (another gridgov, most likely)."""


def server_address(host: str | None, port: int | None) -> tuple[str, int]:
    """The host and port to serve on: the options, else GEO_API_HOST and GEO_API_PORT."""
    from geo_api.settings import ServerSettings

    settings = ServerSettings()
    return host or settings.host, port if port is not None else settings.port


def check_port(host: str, port: int) -> None:
    """Fail at once, before any slow work, when host:port cannot be listened on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As uvicorn binds: a port left in TIME_WAIT by a stopped server is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortBusyError(
                    f"port {port} on {host} is in use (is gridgov already serving there?); "
                    f"stop it, or pick another port: GEO_API_PORT=8765 or --port 8765"
                ) from None
            raise PortBusyError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def serve(
    host: Annotated[
        str | None, typer.Option(help="address to listen on [default: GEO_API_HOST, 127.0.0.1]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="port to listen on [default: GEO_API_PORT, 8000]")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="worker processes (uvicorn's), sharing keys' rate limits through the store",
        ),
    ] = 1,
) -> None:
    """Serve the API (docs at /docs) and the command-centre map."""
    host, port = server_address(host, port)
    check_port(host, port)
    step("starting the server")
    run_server(host, port, workers)


def run_server(host: str, port: int, workers: int = 1) -> None:
    """Start the embedded cluster if needed, then serve until Ctrl-C: in this process,
    or in ``workers`` processes sharing one listening socket."""
    import uvicorn

    from geo_api.api.main import create_app
    from geo_api.db.engine import database_url
    from geo_api.settings import AuthSettings

    url = database_url()  # start the embedded cluster before the first request
    log.info("serving on http://%s:%d (API docs at /docs)", host, port)
    if host in ("0.0.0.0", "::") and not AuthSettings().public_url:  # noqa: S104
        log.warning(
            "listening on every address: set GEO_API_PUBLIC_URL (or GEO_API_ALLOWED_HOSTS) "
            "to the name clients use, or they get 400 'Invalid host header'"
        )
    if workers > 1:
        run_workers(url, host, port, workers)
        return
    app = create_app(url, host=host)
    uvicorn.run(app, host=host, port=port, log_level="info")


def run_workers(url: str, host: str, port: int, workers: int) -> None:
    """uvicorn's supervisor of ``workers`` processes, each building the app
    (create_app) from the settings, which name this store and address."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from geo_api.auth.secret import server_secret

    # The workers are spawned: they read the store's URL and the address from here.
    os.environ["GEO_API_DATABASE_URL"] = url
    os.environ["GEO_API_HOST"] = host
    if "GEO_API_POOL_SIZE" not in os.environ:
        size = worker_pool_size(server_connections(url), workers)
        os.environ["GEO_API_POOL_SIZE"] = str(size)
        log.info("%d workers, each with pools of %d connections", workers, size)
    server_secret()  # made once here, so every worker signs tokens with the same one
    config = uvicorn.Config(
        "geo_api.api.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
    )
    Multiprocess(config, sockets=[listening_socket(host, port)]).run()


# Connections kept free of the API's workers: the CLI, assignment runs, backups, psql.
RESERVED_CONNECTIONS = 20
# Connections a worker may open per unit of its pool size: the engine's pool and its
# overflow (2), the statements' pool (1) and the rate gate's (1).
CONNECTIONS_PER_POOL_UNIT = 4


def server_connections(url: str) -> int:
    """The server's max_connections."""
    from sqlalchemy import text

    from geo_api.db.engine import make_engine

    engine = make_engine(url, pool_size=1)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SHOW max_connections")).scalar_one())
    finally:
        engine.dispose()


def worker_pool_size(max_connections: int, workers: int) -> int:
    """The pool size of each of ``workers`` processes so that all of them together stay
    within the server's connections (the embedded cluster allows 100): never above the
    single process's 10, never below 2."""
    share = (max_connections - RESERVED_CONNECTIONS) // (workers * CONNECTIONS_PER_POOL_UNIT)
    return max(2, min(10, share))


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the workers share. Made here, not by uvicorn: uvicorn's has no
    IPPROTO_TCP, so asyncio never sets TCP_NODELAY on its connections and each
    keep-alive answer after the first waits for the client's delayed ACK, about
    40 ms (uvicorn issue #3149)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortBusyError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock
