"""Who may call a QStash-facing route: QStash's signature for that route's URL (and/or the bearer key), once."""

from __future__ import annotations

import dataclasses
import logging

from flask import Response, jsonify, request

from services.delivery import Answer
from services.qstash.port import WEBHOOK_PATH
from services.qstash.request_auth import Proof

log = logging.getLogger(__name__)


def proof(services, path: str = WEBHOOK_PATH) -> Proof | None:
    """The request's proof under the configured mode (read per request, so tests may switch it)."""
    raw = request.get_data(cache=True)
    headers = request.headers
    auth = services.webhook_auth
    # QStash signs the URL it delivers to: each route's own public URL.
    auth = dataclasses.replace(auth, expected_url=auth.expected_url.removesuffix(WEBHOOK_PATH) + path)
    return auth.verify(headers.get("Upstash-Signature"), headers.get("Authorization"), raw)


def first_use(services, shown: Proof) -> bool:
    """False for a signature seen before: a replay. Bearer-only requests carry no jti (see request_auth)."""
    claims = shown.signature
    return claims is None or services.store.signatures.remember(claims.jti, claims.valid_until)


def admitted(services, path: str) -> Proof | Response:
    """The proof of a request QStash signed (or keyed) and never sent before; else the answer to give."""
    shown = proof(services, path)
    if shown is None:
        return unauthorised()
    if not first_use(services, shown):
        # 200, not an error: QStash must not retry it, and the original request does (or did) the work.
        log.warning("replayed signature %s ignored", shown.signature.jti)
        return reply(Answer(200, {"skipped": "duplicate delivery"}))
    return shown


def unauthorised() -> Response:
    """401 saying no more."""
    return reply(Answer(401, {"error": "unauthorized"}))


def reply(answer: Answer) -> Response:
    """Translate a service answer to HTTP."""
    response = jsonify(answer.body)
    response.status_code = answer.status
    response.headers.update(answer.headers)
    return response
