"""Request authentication: QStash's signature on the raw body and/or the bearer key, in constant time.

A verified signature is single-use: the webhook remembers its `jti` until it expires (store.signatures), so
a captured request replayed within its five minutes sends nothing, and the unsigned `Upstash-Message-Id` and
`Upstash-Retried` headers are only believed next to a signature never seen before. A request proved by the
bearer key alone (embedded mode: `WEBHOOK_AUTH=bearer|either`; refused with hosted QStash) has no jti: the
key is a secret shared only with QStash, so whoever holds it is trusted as QStash is.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from qstash.errors import SignatureError

from services.qstash.signature import SignatureClaims, verified_claims


@dataclass(frozen=True)
class Proof:
    """What an accepted request proved: QStash's signature (its claims), or None when only the bearer key."""

    signature: SignatureClaims | None


@dataclass(frozen=True)
class WebhookAuth:
    """Which proofs a request must carry and the keys to check them."""

    mode: str  # signature | bearer | either | both
    signing_keys: tuple[str, str]  # QStash's current and next signing keys, tried in that order
    expected_url: str  # the public URL QStash signed as `sub`; behind a proxy, the outside URL
    api_key: str
    clock_tolerance: int = 5  # seconds either way on iat, nbf and exp: QStash's clock and ours differ a little

    def signature_claims(self, signature: str | None, raw_body: bytes) -> SignatureClaims | None:
        """The claims of QStash's JWT when it verifies with the current or next key, for this URL and body."""
        if not signature:
            return None
        try:
            return verified_claims(signature, raw_body, self.expected_url, self.signing_keys, self.clock_tolerance)
        except SignatureError:
            return None

    def bearer_ok(self, authorization: str | None) -> bool:
        """True when the Authorization header is exactly `Bearer SCHEDULER_API_KEY` (compared in constant time)."""
        if not authorization or not self.api_key:
            return False
        expected = f"Bearer {self.api_key}"
        return hmac.compare_digest(authorization.encode("utf-8", "surrogatepass"), expected.encode())

    def verify(self, signature: str | None, authorization: str | None, raw_body: bytes) -> Proof | None:
        """The request's proof under the configured mode, or None (401)."""
        claims = self.signature_claims(signature, raw_body)
        signed, keyed = claims is not None, self.bearer_ok(authorization)
        passed = {"signature": signed, "bearer": keyed, "both": signed and keyed, "either": signed or keyed}
        return Proof(claims) if passed[self.mode] else None

    def refusal(self, signature: str | None, authorization: str | None, raw_body: bytes) -> str:
        """Why `verify` refused a request, as a metric label (never the values themselves)."""
        if not signature and not authorization:
            return "missing"
        if signature and self.signature_claims(signature, raw_body) is None:
            return "bad_signature"
        if authorization and not self.bearer_ok(authorization):
            return "bad_bearer"
        return "incomplete"  # a valid proof, but not the one(s) this mode asks for
