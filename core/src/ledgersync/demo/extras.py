"""Optional dependencies of sandboxes: a plain install of a connector leaves out what only its
sandbox (and so `ledgersync demo`) needs, and the commands that need it say which extra to
install, in one line, instead of failing with an ImportError."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from .._errors import LedgerSyncError


def missing_modules(modules: Iterable[str]) -> list[str]:
    """The modules of ``modules`` that cannot be imported."""
    missing = []
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def require_extra(requirement: str, modules: Iterable[str], *, needed_by: str) -> None:
    """Raise a one-line error naming ``requirement`` (e.g. ``ledgersync-qbd[sandbox]``) when a
    module it installs is missing; ``needed_by`` names the command, e.g. "`ledgersync sandbox
    qbd`"."""
    missing = missing_modules(modules)
    if missing:
        raise LedgerSyncError(
            f"{needed_by} needs {', '.join(missing)}, which is not installed: "
            f"install {requirement}",
            remedy=f"pip install '{requirement}'")
