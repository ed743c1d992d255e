"""Scheduled digests: when (`schedule.py`), what (`content.py`), where they are kept and the
once-per-slot claims (`store.py`), and the scheduler's job that runs them (`runner.py`).

Nothing here knows about Slack: the job is given a `Poster` (`handlers/digests/job.py`).
"""

from __future__ import annotations

from bot.digests.content import DigestContent, ServiceActivity, Window, digest_content
from bot.digests.runner import Delivery, DeliveryOutcome, DigestJob, Poster
from bot.digests.schedule import (
    DIGEST_FREQUENCIES,
    DigestFrequency,
    Recurrence,
    recurrence_for,
    zone_or_utc,
)
from bot.digests.store import Digest, DigestStore, NewDigest, Scope, SlotState

__all__ = [
    "DIGEST_FREQUENCIES",
    "Delivery",
    "DeliveryOutcome",
    "Digest",
    "DigestContent",
    "DigestFrequency",
    "DigestJob",
    "DigestStore",
    "NewDigest",
    "Poster",
    "Recurrence",
    "Scope",
    "ServiceActivity",
    "SlotState",
    "Window",
    "digest_content",
    "recurrence_for",
    "zone_or_utc",
]
