"""QuickBooks Online in `ledgersync demo`: the real connector against the local QBO sandbox.

What runs is what runs in production, minus Intuit: the connector talks HTTP to
:mod:`ledgersync_qbo.sandbox` (uvicorn, in a thread, on a free loopback port), OAuth included
(the discovery document, the token endpoint, refresh-token rotation). The demo company is the
sandbox's default one plus what a marina club's books need (a slip income account, a 6.25 %
state sales tax code, the club's products and services). The bookkeeper's moves are the
changes QuickBooks Online itself makes: an item made inactive (``Active = false``), and a
customer "deleted", which QuickBooks Online does by making it inactive (it has no delete).

``client_secret`` is given as ``env:`` and the tokens are stored encrypted, which needs
``LEDGERSYNC_SECRET_KEY``; see :meth:`QboDemoSandbox.notes` for both.
"""

from __future__ import annotations

import contextlib
import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ledgersync import ItemFilter, Ledger, LedgerSyncError
from ledgersync.demo import DemoSandbox

from .extras import SANDBOX_EXTRA, SANDBOX_MODULES

if TYPE_CHECKING:
    from .sandbox import Sandbox

#: Where the app's client secret comes from during the demo.
SECRET_ENV = "LEDGERSYNC_DEMO_QBO_CLIENT_SECRET"
KEY_ENV = "LEDGERSYNC_SECRET_KEY"
#: Relaxed limits, on both sides (QuickBooks: 500 requests and 40 batches a minute, 10 at
#: once). With the real ones a year of ~2,500 records takes minutes of deliberate waiting.
REQUESTS_PER_MINUTE = 100_000
BATCHES_PER_MINUTE = 10_000

#: The club's chart of accounts in the sandbox company (default seed ids; 82 is added).
ACCOUNTS = {"1000": "Checking", "1200": "Accounts Receivable (A/R)",
            "1499": "Undeposited Funds", "2200": "Sales Tax Payable",
            "4000": "Membership Dues Income", "4100": "Slip Rental Income",
            "4200": "Event Income"}
TAX_CODE_NAME = "State"
TERMS_NAME = "Net 30"
#: The club's products and services (the names the MMS uses, so the item records link to
#: them), with their income account names.
ITEMS = {"DUES": ("Annual dues", "450.00", "Membership Dues Income", False),
         "SLIP-20": ("Slip rental 20ft", "140.00", "Slip Rental Income", True),
         "SLIP-30": ("Slip rental 30ft", "180.00", "Slip Rental Income", True),
         "SLIP-40": ("Slip rental 40ft", "240.00", "Slip Rental Income", True),
         "EVENT": ("Event registration", "35.00", "Event Income", False)}


def demo_seed() -> dict[str, tuple[dict[str, Any], ...]]:
    """The sandbox's default company plus what the club's books use."""
    from .testing import sample_seed

    seed = {k: tuple(v) for k, v in sample_seed().items()}  # + the 6.25 % tax code "State"
    accounts = {a["Name"]: a for a in seed["Account"]}
    if "Slip Rental Income" not in accounts:
        slip = dict(accounts["Merchandise Sales"], Id="82", Name="Slip Rental Income",
                    FullyQualifiedName="Slip Rental Income",
                    AccountSubType="ServiceFeeIncome")
        seed["Account"] += (slip,)
        accounts[slip["Name"]] = slip
    names = {i["Name"] for i in seed["Item"]}
    next_id = 30
    for name, price, income, taxable in ITEMS.values():
        if name in names:
            continue
        account = accounts[income]
        seed["Item"] += ({"Id": str(next_id), "Name": name, "FullyQualifiedName": name,
                          "Active": True, "Type": "Service", "UnitPrice": Decimal(price),
                          "Taxable": taxable, "TrackQtyOnHand": False,
                          "IncomeAccountRef": {"value": account["Id"],
                                               "name": account["Name"]}},)
        next_id += 1
    return seed


class QboDemoSandbox(DemoSandbox):
    connector: ClassVar[str] = "qbo"
    title: ClassVar[str] = "QuickBooks Online (sandbox)"
    extra: ClassVar[str | None] = SANDBOX_EXTRA
    extra_modules: ClassVar[tuple[str, ...]] = SANDBOX_MODULES

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.sandbox: Sandbox | None = None
        self.base_url: str | None = None
        self._stack = contextlib.ExitStack()
        self._saved_env: dict[str, str | None] = {}
        self._key_generated = False

    # -- lifecycle ------------------------------------------------------------------------

    def _set_env(self, name: str, value: str) -> None:
        self._saved_env.setdefault(name, os.environ.get(name))
        os.environ[name] = value

    def start(self) -> None:
        from cryptography.fernet import Fernet

        from .sandbox import Sandbox, SandboxConfig, run_in_thread

        self.sandbox = Sandbox(SandboxConfig(
            seed=demo_seed(), requests_per_minute=REQUESTS_PER_MINUTE,
            batch_requests_per_minute=BATCHES_PER_MINUTE))
        self.base_url = self._stack.enter_context(run_in_thread(self.sandbox))
        self._set_env(SECRET_ENV, self.sandbox.config.client_secret)
        if not os.environ.get(KEY_ENV):
            self._set_env(KEY_ENV, Fernet.generate_key().decode("ascii"))
            self._key_generated = True

    def _require(self) -> Sandbox:
        if self.sandbox is None:
            raise LedgerSyncError("the QuickBooks Online sandbox is not started")
        return self.sandbox

    def company_table(self) -> dict[str, Any]:
        sandbox = self._require()
        return {"connector": "qbo", "schedule": "1h",
                "limits": {"requests_per_minute": REQUESTS_PER_MINUTE},
                "qbo": {"realm_id": sandbox.default_realm_id,
                        "client_id": sandbox.config.client_id,
                        "client_secret": f"env:{SECRET_ENV}",
                        "environment": f"{self.base_url}/.well-known/openid_configuration",
                        "api_base_url": self.base_url,
                        "batches_per_minute": BATCHES_PER_MINUTE}}

    def notes(self) -> list[str]:
        notes = [
            f"the local QuickBooks Online sandbox at {self.base_url} (Accounting API v3 and "
            "OAuth 2.0 over HTTP, in memory: gone when the demo ends); the connector is the "
            "one a real company uses",
            f"client_secret from env:{SECRET_ENV} (set for this run only); tokens were "
            "issued by the sandbox and stored as `ledgersync connect` stores them",
            f"limits relaxed for the demo: {REQUESTS_PER_MINUTE:,} requests and "
            f"{BATCHES_PER_MINUTE:,} batch requests a minute (QuickBooks allows 500 and 40, "
            "which would make this year of books take minutes of waiting); the end-to-end "
            "tests and the benchmark run with QuickBooks' real limits",
        ]
        if self._key_generated:
            notes.append(f"{KEY_ENV} was not set: a random key encrypts the stored tokens "
                         "for this run only (the demo folder's tokens cannot be read later; "
                         "the sandbox is gone by then anyway)")
        return notes

    def prepare(self, ledger: Ledger, company: str) -> None:
        from .connector import QboConnector
        from .oauth import Tokens

        sandbox = self._require()
        connector = ledger.connector(company)
        assert isinstance(connector, QboConnector)
        connector.tokens.store(Tokens.from_response(
            sandbox.issue_tokens(), connector.context.utcnow(), sandbox.default_realm_id))
        for kind, mms_id, remote in self._mappings():
            ledger.map(company, kind, mms_id, remote, actor="demo")

    def _mappings(self) -> list[tuple[str, str, str]]:
        sandbox = self._require()

        def by_name(entity: str, name: str) -> str:
            for obj in sandbox.objects(entity):
                if obj.get("Name") == name:
                    return str(obj["Id"])
            raise LedgerSyncError(f"the sandbox company has no {entity} {name!r}")

        found = [("gl_account", mms_id, by_name("Account", name))
                 for mms_id, name in ACCOUNTS.items()]
        found.append(("tax_rate", "TAX-STATE", by_name("TaxCode", TAX_CODE_NAME)))
        found.append(("terms", "NET30", by_name("Term", TERMS_NAME)))
        found += [("item", mms_id, by_name("Item", spec[0])) for mms_id, spec in ITEMS.items()]
        return found

    def close(self) -> None:
        self._stack.close()
        self.sandbox = None
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env.clear()

    # -- the bookkeeper in QuickBooks Online ----------------------------------------------

    def _set_active(self, entity: str, id_: str, active: bool) -> dict[str, Any]:
        """A sparse update of ``Active``, as QuickBooks Online's screens make it."""
        company = self._require().company()
        current = company.read(entity, id_)
        return company.write(entity, {"Id": id_, "SyncToken": current["SyncToken"],
                                      "sparse": True, "Active": active})

    def _item_id(self, item_id: str) -> str:
        return next(remote for kind, mms_id, remote in self._mappings()
                    if kind == "item" and mms_id == item_id)

    def deactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        item = self._set_active("Item", self._item_id(item_id), False)
        return (f"{self.title}: the bookkeeper made item {item['Name']!r} (MMS {item_id}) "
                "inactive (Sales > Products and services > Make inactive)")

    def reactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        item = self._set_active("Item", self._item_id(item_id), True)
        return (f"{self.title}: item {item['Name']!r} made active again (Products and "
                "services > filter Inactive > Make active), as the remedy says")

    def _customer_of(self, ledger: Ledger, company: str, member_id: str) -> str:
        for item in ledger.items(ItemFilter(company=company, kind="member", mms_id=member_id),
                                 limit=None):
            if item.external_id:
                return item.external_id
        raise LedgerSyncError(f"member {member_id} has no customer in QuickBooks yet")

    def delete_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        customer = self._set_active("Customer", self._customer_of(ledger, company, member_id),
                                    False)
        return (f"{self.title}: the bookkeeper deleted customer {customer['DisplayName']!r} "
                f"(Id {customer['Id']}); QuickBooks Online keeps it as an inactive customer "
                "(allowed while it has no open balance)")

    def fix_deleted_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        customer = self._set_active("Customer", self._customer_of(ledger, company, member_id),
                                    True)
        ledger.requeue(ItemFilter(company=company, member=member_id), actor="demo")
        return (f"{self.title}: customer {customer['DisplayName']!r} made active again "
                "(Customers > filter Inactive > Make active), then `ledgersync requeue "
                f"--company {company} --member {member_id}`")
