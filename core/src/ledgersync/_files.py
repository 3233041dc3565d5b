"""Files that hold members' data or secrets: created readable by their owner only.

The ledger holds member names, e-mails and amounts, and a config may hold a secret in clear;
under the usual umask 022 both would be world-readable (0644). They are created 0600, and a
config file that holds a secret in clear and is readable by others earns a warning.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

PRIVATE_MODE = 0o600

# Key names that hold a secret wherever they appear in a config (a connector's settings).
_SECRET_WORDS = ("password", "secret", "token", "private_key", "api_key")


def create_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist (never loosens an existing
    file's mode)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, which ends up with mode 0600 whether it existed or not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), PRIVATE_MODE)
        file.write(text)


def clear_secret_keys(table: Mapping[str, Any], path: str = "") -> Iterator[str]:
    """Key paths in ``table`` that hold a secret in clear (not an ``env:NAME`` reference)."""
    for key, value in table.items():
        where = f"{path}.{key}" if path else str(key)
        if isinstance(value, Mapping):
            yield from clear_secret_keys(value, where)
        elif (isinstance(value, str) and value and not value.startswith("env:")
              and any(word in str(key).lower() for word in _SECRET_WORDS)):
            yield where


def readable_by_others(path: Path) -> bool:
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))


def clear_secret_warning(path: Path, table: Mapping[str, Any]) -> str | None:
    """A one-line warning when the config at ``path`` holds a secret in clear and others can
    read it; None otherwise."""
    keys = list(clear_secret_keys(table))
    if not keys or not readable_by_others(path):
        return None
    return (f"warning: {path} holds a secret in clear ({', '.join(keys)}) and other users "
            f"can read it: `chmod 600 {path}`, or move the secret to an environment variable "
            "and write env:NAME")
