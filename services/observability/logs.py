"""Structured logs: set up once at process start as JSON lines or text; ids ride along in contextvars.

Every module keeps logging through the standard library (`logging.getLogger(__name__)`); the one handler set
up here renders those lines, and every third-party library's, through structlog: the ids bound with `context`
or `bind` (message, QStash message, schedule, run, chunk, slot, request) are added to each line, and the
redaction processor runs last before rendering, so no secret reaches the output even by mistake.
"""

from __future__ import annotations

import contextvars
import logging
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

import structlog
from structlog.contextvars import bind_contextvars, clear_contextvars, get_contextvars, merge_contextvars

from services.observability.redaction import Redactor

HANDLER_NAME = "structured-logs"
FORMATS = ("text", "json")
# SQLAlchemy logs statement parameters at INFO and result rows at DEBUG (message text, hashes): it never goes
# below INFO here, and its parameters are hidden by the engine (hide_parameters) besides.
_SQL_LOGGERS = ("sqlalchemy.engine", "sqlalchemy.pool")
_ACTIVE: dict[str, Redactor] = {}


def configure(
    log_format: str = "text",
    level: str | int = "INFO",
    *,
    secrets: Iterable[str] = (),
    stream: IO[str] | None = None,
    sql: bool = False,
) -> logging.Handler:
    """Route every logger through one structlog handler on stderr (or `stream`); safe to call again."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    redactor = Redactor(secrets)
    _ACTIVE["redactor"] = redactor
    shared = [
        merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.ExtraAdder(),
        _without_formatted_copy,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redactor,  # last before rendering: it sees the message, every field and any traceback
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream) if stream is not None else _CurrentStderr()
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in _SQL_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if sql else logging.WARNING)
    # httpx logs every request at INFO: a line per QStash delivery and per publish, beside our own line for each,
    # and at a burst's rate its formatting cost the local QStash 8 % of its CPU. Shown at DEBUG only.
    debug = root.getEffectiveLevel() <= logging.DEBUG
    logging.getLogger("httpx").setLevel(logging.NOTSET if debug else logging.WARNING)
    structlog.configure(
        processors=[
            *shared[:1],
            structlog.stdlib.add_log_level,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return handler


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is written (a supervisor or test runner may replace it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        """StreamHandler sets its stream once; this one always looks it up."""


def _without_formatted_copy(_logger, _method: str, event_dict: dict) -> dict:
    """Drop `message`, the copy of the event text the standard formatter leaves on a record."""
    event_dict.pop("message", None)
    return event_dict


def remove(handler: logging.Handler) -> None:
    """Take a handler made by `configure` off the root logger again (tests)."""
    logging.getLogger().removeHandler(handler)


def redact_also(secrets: Iterable[str]) -> None:
    """Add secret values learnt after start-up to the active redaction (no-op before `configure`)."""
    if "redactor" in _ACTIVE:
        _ACTIVE["redactor"].add(secrets)


def new_request_id() -> str:
    """A fresh id for one request, returned to the caller as X-Request-Id."""
    return uuid.uuid4().hex


def bind(**ids: Any) -> None:
    """Add ids to every following line of this context (None values are left out)."""
    bind_contextvars(**{k: v for k, v in ids.items() if v is not None})


@contextmanager
def context(**ids: Any) -> Iterator[None]:
    """Ids for the lines logged inside the block; what was bound before it is restored after."""
    before = get_contextvars()
    bind(**ids)
    try:
        yield
    finally:
        clear_contextvars()
        bind_contextvars(**before)


def clear() -> None:
    """Forget every bound id (the end of a request on a reused thread)."""
    clear_contextvars()


def carried(function: Callable) -> Callable:
    """`function` run in a copy of the caller's context, so lines from pool threads keep the ids."""
    copied = contextvars.copy_context()
    # A context can be entered by one thread at a time: each call gets its own copy.
    return lambda *args, **kwargs: copied.copy().run(function, *args, **kwargs)
