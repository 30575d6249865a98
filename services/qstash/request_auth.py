"""Request authentication: QStash's signature on the raw body and/or the bearer key, in constant time."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from qstash import Receiver
from qstash.errors import SignatureError


@dataclass(frozen=True)
class WebhookAuth:
    """Which proofs a request must carry and the keys to check them."""

    mode: str  # signature | bearer | either | both
    receiver: Receiver
    expected_url: str  # the public URL QStash signed as `sub`; behind a proxy, the outside URL
    api_key: str
    clock_tolerance: int = 5

    def signature_ok(self, signature: str | None, raw_body: bytes) -> bool:
        """True when QStash's JWT verifies with the current or next key, for this URL and body."""
        if not signature:
            return False
        try:
            body = raw_body.decode("utf-8")
            self.receiver.verify(
                signature=signature, body=body, url=self.expected_url, clock_tolerance=self.clock_tolerance
            )
            return True
        except (SignatureError, UnicodeDecodeError, KeyError, ValueError):
            return False

    def bearer_ok(self, authorization: str | None) -> bool:
        """True when the Authorization header is exactly `Bearer SCHEDULER_API_KEY` (compared in constant time)."""
        if not authorization or not self.api_key:
            return False
        expected = f"Bearer {self.api_key}"
        return hmac.compare_digest(authorization.encode("utf-8", "surrogatepass"), expected.encode())

    def allows(self, signature: str | None, authorization: str | None, raw_body: bytes) -> bool:
        """Apply the configured mode."""
        signed = self.signature_ok(signature, raw_body)
        keyed = self.bearer_ok(authorization)
        return {"signature": signed, "bearer": keyed, "both": signed and keyed, "either": signed or keyed}[self.mode]
