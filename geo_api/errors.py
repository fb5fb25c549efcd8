"""Domain exceptions. The API maps them to HTTP statuses in one table
(geo_api.api.errors); the CLI prints their message and exits non-zero."""

from __future__ import annotations


class GridgovError(Exception):
    """Base of every error gridgov reports to a user; the message is safe to show."""


class ClusterError(GridgovError):
    """The embedded PostGIS cluster could not be set up, started or stopped."""


class NotFoundError(GridgovError):
    """A record the caller named does not exist."""


class InvalidInputError(GridgovError):
    """Input that names a wrong value: the message says which field and why."""


class OutsideCityError(NotFoundError):
    """A coordinate that lies outside every street of the city."""


class StoreNotReadyError(GridgovError):
    """The store is empty or not migrated: the message says which command fixes it."""


class DatabaseUnavailableError(GridgovError):
    """The database does not answer (stopped, restarting, unreachable): try again shortly."""


class BatchClusterError(GridgovError):
    """The Dask cluster batch work runs on cannot be reached (GEO_API_DASK_SCHEDULER),
    or a task failed on every worker it was tried on (HTTP 503)."""


class BusyError(GridgovError):
    """The work asked for is already running (another assignment run): try again later."""


class ConflictError(GridgovError):
    """A change that clashes with the store as it is (HTTP 409): a head already serving
    there, a household already ended, a room taken, more points exchanged than a member
    has, a step on a cancelled activity."""


class UnauthorizedError(GridgovError):
    """No key, or a key that is unknown or revoked (HTTP 401)."""


class ForbiddenError(GridgovError):
    """A key whose role or area does not reach what was asked (HTTP 403)."""


class RateLimitedError(GridgovError):
    """Too many requests for one key, or too many wrong keys from one address (HTTP 429);
    ``retry_after`` is the seconds to wait (the Retry-After header)."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class OverloadedError(GridgovError):
    """The server is at its limit for this kind of request (HTTP 503 with Retry-After)."""

    def __init__(self, message: str, retry_after_s: int = 5) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class RendererMissingError(GridgovError):
    """A page cannot be printed to PDF here: headless Chromium is missing or failed
    (HTTP 503); the HTML page still prints from any browser."""


class PayloadTooLargeError(GridgovError):
    """A request body over the size gridgov accepts (HTTP 413)."""
