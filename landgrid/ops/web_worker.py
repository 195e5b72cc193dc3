"""gunicorn's threaded worker, answering what gunicorn refuses before the app sees it (a
request line over ``limit_request_line``: 414; headers too many or too long: 431; a
malformed request: 400) with the OGC exception document every other error is, not its
HTML page. ``gunicorn --worker-class landgrid.ops.web_worker.Worker``."""

from __future__ import annotations

import json
import socket

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from landgrid.errors import ApiError
from landgrid.web.errors import HTTP_TYPES
from landgrid.web.http import exception_body


def write_exception(sock: socket.socket, status: int, reason: str, message: str) -> None:
    """What gunicorn's ``util.write_error`` sends, as JSON (the same status and text)."""
    error = ApiError(message or reason, HTTP_TYPES.get(status))
    error.status = status
    body = json.dumps(exception_body(error)).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


class Worker(ThreadWorker):
    def init_process(self) -> None:
        # gunicorn's one way to answer its own refusals; this process is ours alone
        util.write_error = write_exception
        super().init_process()
