"""The two-stage QuickBooks Desktop path in `ledgersync demo`: the real connector against the
sandbox on loopback (uvicorn), OAuth 1.0a signing included.

Each sync runs both stages until nothing waits: stage one writes to the intermediary, the
simulated desktop's Sync Manager runs, stage two collects its results. The bookkeeper's moves
are the desktop's: an item made inactive in QuickBooks (the desktop then refuses the invoices
that use it: a stage-two rejection), and the company file restored from a backup taken before
the new member's customer arrived (the customer is gone: an orphan, sent again on requeue).

``consumer_secret`` is given as ``env:`` and the access token is stored encrypted, which needs
``LEDGERSYNC_SECRET_KEY``; see :meth:`LegacyDemoSandbox.notes`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ledgersync import ItemFilter, Ledger, LedgerSyncError, Status
from ledgersync.demo import DemoSandbox

if TYPE_CHECKING:
    from .sandbox import LoopbackServer, Sandbox

SECRET_ENV = "LEDGERSYNC_DEMO_QBD_LEGACY_CONSUMER_SECRET"
KEY_ENV = "LEDGERSYNC_SECRET_KEY"
#: The club's products and services as the company file lists them (MMS id -> name).
ITEMS = {"DUES": "Annual dues", "SLIP-20": "Slip rental 20ft", "SLIP-30": "Slip rental 30ft",
         "SLIP-40": "Slip rental 40ft", "EVENT": "Event registration"}
#: Rounds of stage one, the desktop's sync and stage two per demo sync (dependents released by
#: a confirmation go out in the next round).
ROUNDS = 12


class LegacyDemoSandbox(DemoSandbox):
    connector: ClassVar[str] = "quickbooks_legacy"
    title: ClassVar[str] = "QuickBooks Desktop, two-stage (sandbox)"
    extra: ClassVar[str | None] = "ledgersync-quickbooks-legacy[sandbox]"
    extra_modules: ClassVar[tuple[str, ...]] = ("uvicorn",)

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.sandbox: Sandbox | None = None
        self.server: LoopbackServer | None = None
        self._saved_env: dict[str, str | None] = {}
        self._key_generated = False

    def _set_env(self, name: str, value: str) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def start(self) -> None:
        from cryptography.fernet import Fernet

        from .sandbox import LoopbackServer
        from .testing import seeded_sandbox

        self.sandbox = seeded_sandbox()
        for n, name in enumerate(ITEMS.values(), start=1):
            self.sandbox.desktop.add_list("Item", f"I-{n:02d}", name)
        self.server = LoopbackServer(self.sandbox).start()
        self._set_env(SECRET_ENV, self.sandbox.consumer_secret)
        if not os.environ.get(KEY_ENV):
            self._set_env(KEY_ENV, Fernet.generate_key().decode("ascii"))
            self._key_generated = True

    def _require(self) -> tuple[Sandbox, LoopbackServer]:
        if self.sandbox is None or self.server is None:
            raise LedgerSyncError("the two-stage QuickBooks Desktop sandbox is not started")
        return self.sandbox, self.server

    def company_table(self) -> dict[str, Any]:
        sandbox, server = self._require()
        return {"connector": "quickbooks_legacy",
                "quickbooks_legacy": {
                    "realm_id": sandbox.realm_id, "consumer_key": sandbox.consumer_key,
                    "consumer_secret": f"env:{SECRET_ENV}", "base_url": server.base_url,
                    "reconnect_url": server.reconnect_url, "ar_account_id": "A-1200"}}

    def notes(self) -> list[str]:
        _, server = self._require()
        notes = [
            f"the two-stage sandbox at {server.base_url}: the cloud intermediary (IDS v2 style, "
            "OAuth 1.0a) and a simulated desktop whose Sync Manager runs between the stages; "
            "in memory, gone when the demo ends",
            f"consumer_secret from env:{SECRET_ENV} (set for this run only); the access token "
            "was issued by the sandbox and stored as `ledgersync quickbooks_legacy connect` "
            "stores it",
        ]
        if self._key_generated:
            notes.append(f"{KEY_ENV} was not set: a random key encrypts the stored token for "
                         "this run only")
        return notes

    def prepare(self, ledger: Ledger, company: str) -> None:
        from .testing import connect_sandbox, map_reference_data

        sandbox, _ = self._require()
        connect_sandbox(ledger, company, sandbox)
        map_reference_data(ledger, company)
        for n, mms_id in enumerate(ITEMS, start=1):
            ledger.map(company, "item", mms_id, f"I-{n:02d}", actor="demo")

    def sync(self, ledger: Ledger, company: str,
             on_item: Callable[[Any, str], None]) -> int:
        """Both stages until nothing is staged or due: push, the desktop syncs, collect.
        What the desktop reported since the last sync is collected first, so nothing is
        pushed against a record the desktop lost."""
        sandbox, _ = self._require()
        processed = 0
        ledger.confirm_staged(company)
        for _ in range(ROUNDS):
            processed += ledger.sync(company, on_item=on_item).processed
            staged = ledger.status_counts(company).get((company, Status.STAGED.value), 0)
            if not staged:
                break
            sandbox.run_desktop()
            ledger.confirm_staged(company)
        return processed

    # -- the bookkeeper at the desktop ------------------------------------------------------

    def deactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        sandbox, _ = self._require()
        record = sandbox.desktop.set_active(f"I-{list(ITEMS).index(item_id) + 1:02d}", False)
        return (f"{self.title}: the bookkeeper made item {record.name!r} (MMS {item_id}) "
                "inactive in QuickBooks Desktop (Lists > Item List > Make Item Inactive); the "
                "desktop will refuse what uses it at stage two")

    def reactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        sandbox, _ = self._require()
        record = sandbox.desktop.set_active(f"I-{list(ITEMS).index(item_id) + 1:02d}", True)
        count = ledger.requeue(ItemFilter(company=company, status=[Status.REJECTED]),
                               actor="demo")
        return (f"{self.title}: item {record.name!r} made active again in QuickBooks Desktop "
                f"(Item List > Include inactive > Make Active), then `ledgersync requeue "
                f"--company {company} --status rejected`: {count} item(s)")

    def delete_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        sandbox, _ = self._require()
        found = [i for i in ledger.items(ItemFilter(company=company, kind="member",
                                                    mms_id=member_id), limit=None)
                 if i.external_id]
        if not found:
            raise LedgerSyncError(f"member {member_id} has no customer in QuickBooks yet")
        record = sandbox.desktop.records[found[0].external_id or ""]
        assert record.written is not None
        lost = sandbox.desktop.restore_to(record.written - dt.timedelta(microseconds=1))
        return (f"{self.title}: the company file was restored from a backup taken just before "
                f"customer {record.name!r} arrived; {len(lost)} record(s) written since are "
                "gone, and the intermediary reports them orphaned (message 210)")

    def fix_deleted_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        count = ledger.requeue(ItemFilter(company=company, status=[Status.ORPHANED]),
                               actor="demo")
        return (f"{self.title}: `ledgersync requeue --company {company} --status orphaned`: "
                f"{count} item(s) sent again under new request ids; the desktop takes them at "
                "its next sync")

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()
        self.server = None
        self.sandbox = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()
