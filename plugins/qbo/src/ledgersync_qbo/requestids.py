"""QBO ``requestid`` values derived from the engine's idempotency keys.

QBO replays the first response to a ``requestid`` instead of writing again, so
every write carries one that is a pure function of what it writes: a retry of the same item
version replays, and a different write never collides. Limits: 50 characters for a request,
36 for a batch (whose bIds add up to 10 more).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

MAX_REQUEST_ID = 50
MAX_BATCH_REQUEST_ID = 36
MAX_BID = 10


def _digest(*parts: str, length: int) -> str:
    raw = "\x1f".join(parts).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:length]


def for_create(key: str) -> str:
    """A create sends the item's key itself (``ls-`` + 40 hex, 43 characters)."""
    if len(key) <= MAX_REQUEST_ID:
        return key
    return "ls-" + _digest(key, length=MAX_REQUEST_ID - 3)


def for_version(key: str, sync_token: str | None, *, attempt: int, resend: int = 0) -> str:
    """An update or void: new for every attempt and every re-send within one.

    QBO applies one write per SyncToken, so the token, not the request id, keeps an update or
    void from applying twice. A request id that stayed the same across attempts would replay
    a definitive refusal (a 5010 whose re-read returns the same token) forever; so it is
    reused only where the outcome is unknown: the same attempt sending the same request.
    """
    return "lu-" + _digest(key, sync_token or "", str(attempt), str(resend), length=40)


def for_step(key: str, step: str) -> str:
    """A second write an export makes (a credit-memo application): its own stable id."""
    return "lx-" + _digest(key, step, length=40)


def for_batch(keys: Iterable[str]) -> str:
    """A batch is named by its members, whatever their order: the same items replay."""
    return "lb-" + _digest(*sorted(keys), length=MAX_BATCH_REQUEST_ID - 3)


def bid(index: int) -> str:
    """Short bIds (``b0``..``b29``) keep requestid + bId within 50 characters."""
    value = f"b{index}"
    assert len(value) <= MAX_BID
    return value
