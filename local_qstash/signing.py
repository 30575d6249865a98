"""Upstash-Signature: the HS256 JWT QStash puts on every delivery."""

import base64
import hashlib
import secrets

import jwt

TTL_SECONDS = 300


def body_hash(body: bytes) -> str:
    """base64url(sha256(body)) without padding, as qstash.Receiver recomputes it."""
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


def sign(key: str, url: str, body: bytes, now_s: float) -> str:
    """Sign one delivery of `body` to `url` with the current signing key."""
    issued = int(now_s)
    claims = {
        "iss": "Upstash",
        "sub": url,
        "exp": issued + TTL_SECONDS,
        "iat": issued,
        "nbf": issued,
        "jti": "jwt_" + secrets.token_hex(12),
        "body": body_hash(body),
    }
    return jwt.encode(claims, key, algorithm="HS256")
