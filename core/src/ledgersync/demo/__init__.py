"""`ledgersync demo`: the whole product on a fresh machine, against every installed sandbox.

A connector takes part by implementing the ``ledgersync_demo_sandbox`` hook and returning a
:class:`DemoSandbox`: its stand-in accounting system, started for the demo, with the few verbs
the demo's story needs (an item made inactive, a customer deleted, and their fixes).
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from .._engine.queries import ItemRef
from .._ledger_api import Ledger
from .extras import missing_modules, require_extra


class DemoSandbox(abc.ABC):
    """One connector's sandbox as `ledgersync demo` drives it.

    Lifecycle: ``start()``; ``company_table()`` goes into the demo's config; the ledger is
    opened; ``prepare()`` maps reference data; records are recorded; ``sync()`` runs (more than
    once, around the story's problems); ``close()``.
    """

    #: The connector name (``connector = "..."`` in the config).
    connector: ClassVar[str]
    #: How the demo names the system, e.g. "QuickBooks Online (sandbox)".
    title: ClassVar[str]
    #: The pip requirement that installs what the sandbox needs beyond the connector, e.g.
    #: ``"ledgersync-qbd[sandbox]"``, and the modules it brings; the demo checks them first.
    extra: ClassVar[str | None] = None
    extra_modules: ClassVar[tuple[str, ...]] = ()

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir

    def missing_extra(self) -> str | None:
        """The requirement to install (:attr:`extra`) when one of its modules is missing."""
        return self.extra if self.extra and missing_modules(self.extra_modules) else None

    def start(self) -> None:  # noqa: B027 - optional: a file-based sandbox needs no start
        """Start the sandbox (a loopback server, a file, ...)."""

    @abc.abstractmethod
    def company_table(self) -> dict[str, Any]:
        """The ``[companies.NAME]`` table of the demo company, including the connector's own
        settings table and any relaxed limits (say so in ``notes``)."""

    def notes(self) -> list[str]:
        """Lines the demo prints about this sandbox (e.g. why its limits are relaxed)."""
        return []

    def prepare(self, ledger: Ledger, company: str) -> None:  # noqa: B027 - optional step
        """Map the MMS reference data the remote does not get from ledgersync."""

    def sync(self, ledger: Ledger, company: str,
             on_item: Callable[[ItemRef, str], None]) -> int:
        """Sync the company until idle; returns how many items were processed."""
        return ledger.sync(company, on_item=on_item).processed

    @abc.abstractmethod
    def deactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        """Make the remote item of MMS item ``item_id`` inactive, as a bookkeeper might;
        returns what was done, in words."""

    @abc.abstractmethod
    def reactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        """Undo :meth:`deactivate_item` the way the item's remedy says; returns it in words."""

    @abc.abstractmethod
    def delete_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        """Delete the remote customer of ``member_id`` the way the system allows; in words."""

    @abc.abstractmethod
    def fix_deleted_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        """Apply the remedy the connector gave for the deleted customer; in words."""

    def close(self) -> None:  # noqa: B027 - optional: nothing to stop for some sandboxes
        """Stop the sandbox."""


__all__ = ["DemoSandbox", "missing_modules", "require_extra"]
