"""Password hashes for the people and programs that sign in to ledgersync: operators of the
Accounting Sync page and, in the QuickBooks Desktop plugin, the Web Connector.

scrypt is memory-hard and in hashlib (no extra dependency). A hash describes itself
(``scrypt$n$r$p$salt$digest``, base64), so a stronger cost factor applies to new hashes while
old ones still verify.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

#: 2**15 x 8 x 128 bytes = 32 MiB per hash, about 0.1 s on a server core.
DEFAULT_COST = 2**15
_R, _P = 8, 1
_MAXMEM = 64 * 1024 * 1024


def hash_password(password: str, *, cost: int = DEFAULT_COST) -> str:
    """A self-describing scrypt hash of ``password`` with a fresh random salt. ``cost`` is
    scrypt's n (a power of two): lower it only where a check must be cheap (tests)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=cost, r=_R, p=_P,
                            maxmem=_MAXMEM, dklen=32)
    return "$".join(["scrypt", str(cost), str(_R), str(_P), base64.b64encode(salt).decode(),
                     base64.b64encode(digest).decode()])


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the hash ``stored`` (compared in constant time). A stored
    value that is not a hash made by :func:`hash_password` never matches."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                                n=int(n), r=int(r), p=int(p), maxmem=_MAXMEM,
                                dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)
