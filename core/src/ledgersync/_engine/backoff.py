"""Capped exponential backoff with jitter for transient failures."""

from __future__ import annotations

import random


def backoff_seconds(
    attempt: int,
    *,
    base: float,
    cap: float,
    rng: random.Random | None = None,
) -> float:
    """Delay before attempt ``attempt + 1``: ``min(cap, base * 2**(attempt-1))`` within ±10 %.

    The jitter spreads retries of many items (and many companies) so they do not arrive at the
    remote system in one burst.
    """
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    delay = min(cap, base * 2 ** (attempt - 1))
    return float(delay * (rng or random).uniform(0.9, 1.1))
