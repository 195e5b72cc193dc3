"""Every log line written while a request is handled carries its request id, the caller
and, on a job's URLs, the job id (``landgrid.observability.logs``)."""

from __future__ import annotations

from contextlib import ExitStack

from flask import Flask, g, request

from landgrid.observability.logs import bind
from landgrid.web.auth import caller


def install_log_context(app: Flask) -> None:
    """Registered after the auth hook, so that the caller is known."""

    @app.before_request
    def _bind_ids() -> None:
        g.log_context = ExitStack()
        job_id = (request.view_args or {}).get("job_id")
        ids = bind(request_id=g.get("request_id"), owner=caller().identity, job_id=job_id)
        g.log_context.enter_context(ids)

    @app.teardown_request
    def _unbind_ids(_: BaseException | None) -> None:
        if (context := g.pop("log_context", None)) is not None:
            context.close()
