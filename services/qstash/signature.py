"""QStash's `Upstash-Signature`, checked as `qstash.Receiver` checks it, with a clock tolerance that applies.

qstash 3.4.0's Receiver passes its `clock_tolerance` to PyJWT inside `options`, where PyJWT ignores it, so a
signature from a clock one second ahead is refused. This makes the Receiver's checks (HS256, iss "Upstash",
iss/sub/exp/nbf required, sub = our URL, body = base64url(sha256(raw body)), current key then next) with
PyJWT's own `leeway`, and returns the claims the Receiver keeps to itself: jti, iat and exp.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from qstash.errors import SignatureError

REQUIRED = ["iss", "sub", "exp", "nbf", "iat", "jti", "body"]  # the Receiver's four, plus what we rely on
MAX_JTI = 128  # the width of signature_ids.jti


@dataclass(frozen=True)
class SignatureClaims:
    """What a verified signature says about its request."""

    jti: str
    issued_at: datetime
    valid_until: datetime  # exp + the tolerance: the last instant it verifies, so its jti is remembered that long


def verified_claims(token: str, body: bytes, url: str, keys: Sequence[str], leeway: float) -> SignatureClaims:
    """The claims of a token signed with one of the keys (in order) for this URL and body; else SignatureError."""
    for key in keys:
        try:
            return _verify_with_key(token, body, url, key, leeway)
        except SignatureError:
            continue  # maybe signed with the next key (QStash is rotating them)
    raise SignatureError("signature does not verify with any signing key")


def _verify_with_key(token: str, body: bytes, url: str, key: str, leeway: float) -> SignatureClaims:
    """Every check with one key."""
    try:
        claims = jwt.decode(
            token, key, algorithms=["HS256"], issuer="Upstash", leeway=leeway, options={"require": REQUIRED}
        )
    except jwt.PyJWTError as exc:
        raise SignatureError(f"invalid signature: {exc}") from exc
    if claims["sub"] != url:
        raise SignatureError("signature is for another URL")
    digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()).decode().rstrip("=")
    if not isinstance(claims["body"], str) or claims["body"].rstrip("=") != digest:
        raise SignatureError("signature is for another body")
    jti = claims["jti"]
    if not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI or not jti.isprintable():
        raise SignatureError("signature has no usable jti")
    return SignatureClaims(jti, _instant(claims["iat"]), _instant(claims["exp"]) + timedelta(seconds=leeway))


def _instant(seconds: float) -> datetime:
    """A JWT NumericDate as an aware UTC datetime (one no calendar holds is not a signature we can use)."""
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise SignatureError("signature has an impossible date") from exc
