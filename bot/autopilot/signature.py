"""Rootly's webhook signatures: `X-Rootly-Signature: t=<unix seconds>,v1=<hex>`.

The hex is HMAC-SHA256, under the endpoint's secret, of the timestamp followed by the raw body.
A signature is accepted only when one of its `v1` values matches in constant time and its
timestamp is within `TOLERANCE` of now (either way), so a captured delivery cannot be replayed
later.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Rootly-Signature"
TOLERANCE_SECONDS = 300


def signature_problem(
    secret: str, header: str | None, body: bytes, now: float | None = None
) -> str | None:
    """Why the signature does not prove the body came from Rootly now; None when it does."""
    if not header:
        return "no signature"
    stamp, signatures = _parse(header)
    if stamp is None or not signatures:
        return "a malformed signature"
    now = time.time() if now is None else now
    if abs(now - int(stamp)) > TOLERANCE_SECONDS:
        return "a timestamp more than 5 minutes away"
    expected = _digest(secret, stamp.encode(), body)
    # Every candidate is compared, so the time taken does not tell which one came close.
    matches = [hmac.compare_digest(expected, candidate.encode()) for candidate in signatures]
    return None if any(matches) else "a wrong signature"


def _digest(secret: str, stamp: bytes, body: bytes) -> bytes:
    return hmac.new(secret.encode(), stamp + body, hashlib.sha256).hexdigest().encode()


def _parse(header: str) -> tuple[str | None, list[str]]:
    stamp: str | None = None
    signatures = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit():
            stamp = value
        elif name == "v1" and value:
            signatures.append(value)
    return stamp, signatures
