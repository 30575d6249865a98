"""One log line per dashboard action (schedule created, paused, retried, imported…), with who and which ids."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable

from services.errors import UserError
from services.observability import logs

log = logging.getLogger("services.actions")


def logged(action: str) -> Callable:
    """Decorate a service method: its call runs with the actor and message id bound, and logs how it ended.

    A refusal (UserError) is logged at INFO with its field only: the message the user saw may quote their input.
    """

    def decorate(method: Callable) -> Callable:
        signature = inspect.signature(method)

        @functools.wraps(method)
        def wrapper(*args, **kwargs):
            named = signature.bind_partial(*args, **kwargs).arguments
            who = named.get("actor") or named.get("account")
            ids = {"action": action, "actor_id": getattr(who, "account_id", None) or getattr(who, "id", None)}
            with logs.context(**ids, message_id=named.get("message_id")):
                try:
                    result = method(*args, **kwargs)
                except UserError as exc:
                    log.info("%s: refused", action, extra={"field": exc.field, "error_type": type(exc).__name__})
                    raise
                except Exception as exc:
                    log.warning("%s: failed (%s)", action, type(exc).__name__)
                    raise
                log.info("%s: done", action, extra=_outcome(result))
                return result

        return wrapper

    return decorate


def _outcome(result) -> dict:
    """What a result adds to the line: a message's id and status, or a count."""
    if isinstance(result, int) and not isinstance(result, bool):
        return {"count": result}
    if hasattr(result, "id") and hasattr(result, "status"):
        return {"message_id": result.id, "status": result.status}
    return {}
