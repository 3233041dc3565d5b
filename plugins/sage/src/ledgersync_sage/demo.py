"""Sage Intacct in `ledgersync demo`: the real connector against the local Intacct sandbox.

The connector talks HTTP to :mod:`ledgersync_sage.sandbox` (uvicorn, in a thread, on a free
loopback port) over the XML gateway, sessions and all. The demo company is the sandbox's
marina club, whose accounts are the MMS's (items post to their own income accounts), so the
bookkeeper's moves are the ones Intacct has: the slips' income account made inactive (an
Intacct item is its account), and a customer deleted (Intacct allows that while no
transaction names it). Entries post to the journal of the club's year; the reconciliation
compares receivables per customer and the trial balance per account.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ledgersync import ItemFilter, Ledger, LedgerSyncError
from ledgersync.demo import DemoSandbox

if TYPE_CHECKING:
    from .sandbox import Sandbox

SENDER_ENV = "LEDGERSYNC_DEMO_SAGE_SENDER_PASSWORD"
USER_ENV = "LEDGERSYNC_DEMO_SAGE_USER_PASSWORD"
#: The MMS accounts of the demo year and their Intacct numbers (the same).
ACCOUNTS = ("1000", "1200", "1499", "2200", "4000", "4100", "4200")
#: The slips' income account, the one the bookkeeper makes inactive.
SLIP_ACCOUNT = "4100"


class SageDemoSandbox(DemoSandbox):
    connector: ClassVar[str] = "sage"
    title: ClassVar[str] = "Sage Intacct (sandbox)"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.sandbox: Sandbox | None = None
        self.base_url: str | None = None
        self._stack = contextlib.ExitStack()
        self._saved_env: dict[str, str | None] = {}

    def _set_env(self, name: str, value: str) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def start(self) -> None:
        from .sandbox import Sandbox
        from .sandbox.server import run_in_thread

        self.sandbox = Sandbox()
        self.base_url = self._stack.enter_context(run_in_thread(self.sandbox))
        config = self.sandbox.config.gateway
        self._set_env(SENDER_ENV, next(iter(config.senders.values())))
        self._set_env(USER_ENV, next(iter(config.users.values())))

    def _require(self) -> Sandbox:
        if self.sandbox is None:
            raise LedgerSyncError("the Sage Intacct sandbox is not started")
        return self.sandbox

    def company_table(self) -> dict[str, Any]:
        config = self._require().config.gateway
        (company_id, user_id), _ = next(iter(config.users.items()))
        return {"connector": "sage", "schedule": "1h",
                "sage": {"sender_id": next(iter(config.senders)),
                         "sender_password": f"env:{SENDER_ENV}", "company_id": company_id,
                         "user_id": user_id, "user_password": f"env:{USER_ENV}",
                         "endpoint_url": f"{self.base_url}/ia/xml/xmlgw.phtml",
                         "ar_account": "1200", "tax_payable_account": "2200",
                         "undeposited_funds_account": "1499"}}

    def notes(self) -> list[str]:
        return [f"the local Sage Intacct sandbox at {self.base_url} (the XML gateway with "
                "sessions, in memory: gone when the demo ends); the connector is the one a "
                "real company uses, at Intacct's real limit of 2 requests at once",
                f"sender and user passwords from env:{SENDER_ENV} and env:{USER_ENV} (set "
                "for this run only)"]

    def prepare(self, ledger: Ledger, company: str) -> None:
        for account in ACCOUNTS:
            ledger.map(company, "gl_account", account, account, actor="demo")

    def close(self) -> None:
        self._stack.close()
        self.sandbox = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    # -- the bookkeeper in Intacct ----------------------------------------------------------

    def deactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        self._require().company().accounts[SLIP_ACCOUNT].active = False
        return (f"{self.title}: the bookkeeper made account {SLIP_ACCOUNT} (the income "
                f"account of MMS item {item_id} and the other slips) inactive (General Ledger "
                "> Accounts > Status: Inactive)")

    def reactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        self._require().company().accounts[SLIP_ACCOUNT].active = True
        return (f"{self.title}: account {SLIP_ACCOUNT} made active again; the alternative "
                f"the remedy names is `ledgersync map item {company} {item_id} ACCOUNTNO`")

    def delete_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        customer = self._customer_of(ledger, company, member_id)
        self._require().company().delete_customer(customer)
        return (f"{self.title}: the bookkeeper deleted customer {customer} (Accounts "
                "Receivable > Customers > Delete; allowed while no transaction names it)")

    def fix_deleted_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        ledger.unlink(ItemFilter(company=company, kind="member", mms_id=member_id),
                      actor="demo")
        ledger.requeue(ItemFilter(company=company, member=member_id), actor="demo")
        return (f"{self.title}: `ledgersync unlink --company {company} --kind member "
                f"--mms-id {member_id}` (ledgersync creates the customer again), then "
                f"`ledgersync requeue --company {company} --member {member_id}`")

    def _customer_of(self, ledger: Ledger, company: str, member_id: str) -> str:
        for item in ledger.items(ItemFilter(company=company, kind="member", mms_id=member_id),
                                 limit=None):
            if item.external_id:
                return item.external_id
        raise LedgerSyncError(f"member {member_id} has no customer in Intacct yet")
