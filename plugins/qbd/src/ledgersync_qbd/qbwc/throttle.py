"""What the Web Connector login throttle counts and logs: the user name (capped) and the
client address. The counting itself is the core's ``ledgersync.LoginThrottle``, the same one
the Accounting Sync page uses."""

from __future__ import annotations

MAX_NAME_CHARS = 64  # user names longer than this are counted (and logged) by their prefix


def login_keys(username: str, address: str | None) -> tuple[str, ...]:
    """The throttle's keys for one login: its user name and, when known, its address."""
    keys = ["user:" + username[:MAX_NAME_CHARS]]
    if address:
        keys.append("addr:" + address)
    return tuple(keys)


def loggable(username: str) -> str:
    """A user name as it may appear in a log line: capped, so a 1 MB name cannot flood it."""
    if len(username) <= MAX_NAME_CHARS:
        return repr(username)
    return f"{username[:MAX_NAME_CHARS]!r}... ({len(username)} characters)"
