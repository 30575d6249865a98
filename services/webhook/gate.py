"""Who may call a QStash-facing route: QStash's signature for that route's URL (and/or the bearer key), once."""

from __future__ import annotations

import dataclasses
import logging

from flask import Response, jsonify, request

from services.delivery import Answer
from services.qstash.port import WEBHOOK_PATH
from services.qstash.request_auth import Proof, WebhookAuth

log = logging.getLogger(__name__)


def auth_for(services, path: str = WEBHOOK_PATH) -> WebhookAuth:
    """The verification in force for a route (read per request, so tests may switch it)."""
    auth = services.webhook_auth
    # QStash signs the URL it delivers to: each route's own public URL.
    return dataclasses.replace(auth, expected_url=auth.expected_url.removesuffix(WEBHOOK_PATH) + path)


def proofs() -> tuple[str | None, str | None, bytes]:
    """What a request offers as proof: QStash's signature header, the Authorization header, the raw body."""
    headers = request.headers
    return headers.get("Upstash-Signature"), headers.get("Authorization"), request.get_data(cache=True)


def first_use(services, shown: Proof) -> bool:
    """False for a signature seen before: a replay. Bearer-only requests carry no jti (see request_auth)."""
    claims = shown.signature
    return claims is None or services.store.signatures.remember(claims.jti, claims.valid_until)


def admitted(services, path: str) -> Proof | Response:
    """The proof of a request QStash signed (or keyed) and never sent before; else the answer to give."""
    auth = auth_for(services, path)
    shown = auth.verify(*proofs())
    if shown is None:
        return refused(services.metrics, auth.refusal(*proofs()))
    if not first_use(services, shown):
        # 200, not an error: QStash must not retry it, and the original request does (or did) the work.
        services.metrics.auth_failures.labels("replay").inc()
        log.warning("replayed signature ignored", extra={"jti": shown.signature.jti})
        return reply(Answer(200, {"skipped": "duplicate delivery"}))
    return shown


def refused(metrics, reason: str) -> Response:
    """401, counted by reason and logged (the reason only: never a header's value)."""
    metrics.auth_failures.labels(reason).inc()
    log.warning("request refused: %s", reason, extra={"reason": reason})
    return unauthorised()


def unauthorised() -> Response:
    """401 saying no more."""
    return reply(Answer(401, {"error": "unauthorized"}))


def reply(answer: Answer) -> Response:
    """Translate a service answer to HTTP."""
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers.update(answer.headers)
    return response
