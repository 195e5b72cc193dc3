"""Project exceptions: one base, one leaf per meaning.

Start-up problems (``StackError``) are shown as one line by the CLI, never as a traceback.
``ApiError`` leaves carry what an OGC exception document needs (HTTP status, type URI,
a safe message); ``landgrid.web.errors`` turns them into responses in one place.
"""

from __future__ import annotations

PROCESSES = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0"


class LandgridError(Exception):
    """Base of every error Landgrid raises on purpose."""


class StackError(LandgridError):
    """The embedded stack cannot start: bad configuration, port taken, missing package."""


class ApiError(LandgridError):
    """An answer to a request: its HTTP status, OGC exception type, safe message and any
    headers the answer needs (``Retry-After``, ``WWW-Authenticate``)."""

    status = 500
    type = "NoApplicableCode"

    def __init__(
        self, message: str, type_: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers
        if type_:
            self.type = type_


class InvalidParameterValue(ApiError):
    status = 400
    type = "InvalidParameterValue"


class MissingParameterValue(ApiError):
    status = 400
    type = "MissingParameterValue"


class NotFound(ApiError):
    status = 404
    type = "NotFound"


class NoSuchProcess(NotFound):
    type = f"{PROCESSES}/no-such-process"


class NoSuchJob(NotFound):
    type = f"{PROCESSES}/no-such-job"


class ResultNotReady(NotFound):
    type = f"{PROCESSES}/result-not-ready"


class Unavailable(ApiError):
    status = 503
    type = "ServiceUnavailable"


class Unauthorized(ApiError):
    """No valid credentials where the policy needs them (401 + ``WWW-Authenticate``)."""

    status = 401
    type = "Unauthorized"


class Forbidden(ApiError):
    """Valid credentials without the right (403)."""

    status = 403
    type = "Forbidden"


class PayloadTooLarge(ApiError):
    """A request body over its size limit (413), refused before anything parses it."""

    status = 413
    type = "PayloadTooLarge"


class TooManyJobs(ApiError):
    """Fair share: the caller (or the server) has as many queued and running jobs as
    allowed (429 + ``Retry-After``)."""

    status = 429
    type = "TooManyRequests"
