"""Log lines that say which request and which job they are about, in every process.

The request id, job id, process id and owner of what a thread is doing are bound to it
(``bind``: context variables, so threads and requests never see each other's), and a
filter copies them onto every record. ``configure`` sets the process's one handler: a
readable line (``text``, the ids in brackets when there are any) or one JSON object per
line (``json``, for a log collector). The web app, the worker and the reconciler log the
same job id for the same job, and so do the job's lines in its Prefect run.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Literal

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

FIELDS = ("request_id", "job_id", "process_id", "owner")
_context: dict[str, ContextVar[str | None]] = {
    name: ContextVar(f"landgrid_{name}", default=None) for name in FIELDS
}
TEXT = "%(asctime)s %(levelname)s %(name)s%(ids)s %(message)s"


def bound() -> dict[str, str]:
    """The ids bound to the current thread (or request)."""
    return {name: value for name, var in _context.items() if (value := var.get()) is not None}


@contextmanager
def bind(**ids: str | None) -> Iterator[None]:
    """Bind ids (``job_id=...``) to what runs inside the block; restored after it."""
    tokens = [(_context[name], _context[name].set(value)) for name, value in ids.items()]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def bind_job(job_id: str, process_id: str, owner: str):
    return bind(job_id=job_id, process_id=process_id, owner=owner)


class ContextFilter(logging.Filter):
    """Puts the bound ids on each record (an id given with ``extra=`` wins)."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = bound()
        for name in FIELDS:
            if getattr(record, name, None) is None:
                setattr(record, name, ids.get(name))
        shown = " ".join(f"{n}={getattr(record, n)}" for n in FIELDS if getattr(record, n))
        record.ids = f" [{shown}]" if shown else ""
        return True


def formatter(log_format: Literal["text", "json"], service: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
            reserved_attrs=[*RESERVED_ATTRS, "ids"],
            timestamp=False,
        )
    return logging.Formatter(TEXT)


OURS = ("landgrid", "flows", "processes")


def configure(log_format: Literal["text", "json"], service: str, level: int = logging.INFO) -> None:
    """The process's logging: one stderr handler on the root logger (replacing Prefect's
    console handler, whose records propagate here), our format, the ids filter; our own
    loggers at ``level``, the libraries' at WARNING (httpx logs every request at INFO)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format, service))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if type(old).__name__ in ("StreamHandler", "PrefectConsoleHandler"):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in OURS:
        logging.getLogger(name).setLevel(level)
