"""The two-stage QuickBooks Desktop connector: the engine's calls, wired to the modules that
do them. This module stays light (httpx and oauthlib load on first use).

Stage one (:meth:`export`) writes to the intermediary and returns a StagedResult (its NG id);
stage two (:meth:`confirm`, polled by the engine) learns from the status and activity queries
whether the desktop took each record. Dependents may reference a staged customer or item by
its NG id; a payment waits for its invoice's desktop id (QuickBooks applies payments to
transactions it has).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from ledgersync import (
    AccountActivity,
    BooksTransaction,
    CompanyConfig,
    Confirmation,
    ConnectorContext,
    ConnectorError,
    ConnectorLimits,
    ExportRequest,
    ExportResult,
    PushConnector,
    Resolution,
    StagedItem,
    StagedResult,
)

from .settings import LegacySettings

if TYPE_CHECKING:
    import httpx

    from .client import LegacyClient
    from .confirmer import Confirmer
    from .exporter import Exporter
    from .oauth import CredentialStore


class QuickBooksLegacyConnector(PushConnector[LegacySettings]):
    name: ClassVar[str] = "quickbooks_legacy"
    display_name: ClassVar[str] = "QuickBooks Desktop (two-stage, cloud intermediary)"
    supported_kinds: ClassVar[frozenset[str]] = frozenset(
        {"member", "item", "invoice", "credit_memo", "payment", "refund", "journal_entry"})
    settings_type: ClassVar[type[LegacySettings]] = LegacySettings
    #: The path ran on demand (DESIGN: "the legacy path on demand"); a schedule may be set.
    default_schedule_minutes: ClassVar[int] = 0
    default_limits: ClassVar[ConnectorLimits] = ConnectorLimits(
        max_in_flight=2, requests_per_minute=None)
    two_stage: ClassVar[bool] = True
    staged_references: ClassVar[frozenset[str]] = frozenset({"member", "item"})

    #: Tests and the demo hand an in-process transport to every new instance.
    transport: ClassVar[httpx.BaseTransport | None] = None

    def __init__(self, company: CompanyConfig, settings: LegacySettings,
                 context: ConnectorContext) -> None:
        super().__init__(company, settings, context)

    @functools.cached_property
    def credentials(self) -> CredentialStore:
        from .oauth import CredentialStore

        return CredentialStore(self.context, self.company.name)

    @functools.cached_property
    def client(self) -> LegacyClient:
        from .client import LegacyClient

        return LegacyClient(self.settings, self.credentials, transport=self.transport)

    @functools.cached_property
    def exporter(self) -> Exporter:
        from .exporter import Exporter

        return Exporter(self.client, self.settings)

    @functools.cached_property
    def confirmer(self) -> Confirmer:
        from .confirmer import Confirmer

        return Confirmer(self.client, self.settings)

    # -- the engine's calls ---------------------------------------------------------------------

    def export(self, request: ExportRequest) -> ExportResult | StagedResult:
        return self.exporter.export(request)

    def lookup(self, request: ExportRequest) -> ExportResult | StagedResult | None:
        return self.exporter.lookup(request)

    def confirm(self, items: Sequence[StagedItem]) -> Sequence[Confirmation]:
        return self.confirmer.confirm(items, self.context.utcnow())

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        from .errors import classify

        return classify(error, request, company=self.company.name)

    def check(self) -> str:
        """The company the intermediary answers for (a signed call), and the token's life."""
        from .actions import company_name

        status = self.credentials.load().describe(self.context.utcnow())
        return (f"{self.display_name}: {company_name(self.client)} (realm "
                f"{self.settings.realm_id} at {self.settings.base}); {status}")

    def customer_balances(self, as_of: dt.date | None = None) -> Mapping[str, Decimal]:
        """Open balance per QuickBooks customer id, from a customer query with the financial
        indicator (the cloud copy's balances are the desktop's as of its last sync); for a
        past day, the sum of the confirmed transactions dated up to it."""
        if as_of is not None and as_of < self.context.utcnow().date():
            balances: dict[str, Decimal] = {}
            for txn in self.books_transactions(as_of):
                if not txn.voided:
                    balances[txn.customer_id] = balances.get(
                        txn.customer_id, Decimal("0.00")) + txn.receivable
            return balances
        from .actions import open_balances

        return open_balances(self.client)

    def books_transactions(self, as_of: dt.date | None = None) -> Sequence[BooksTransaction]:
        """The transactions the desktop confirmed, dated up to ``as_of`` (see
        :mod:`~ledgersync_quickbooks_legacy.books`)."""
        from .books import books_transactions

        return books_transactions(self.client, self.settings, as_of)

    def account_activity(self, start: dt.date | None, end: dt.date) -> Sequence[AccountActivity]:
        """Refused, saying why: the intermediary offers no trial balance or account balances."""
        raise ConnectorError(
            "the intermediary offers no trial balance or account balances, so the two-stage "
            "path cannot compare GL accounts", sent=False,
            remedy="Compare QuickBooks Desktop's Trial Balance report for the period by hand; "
                   "`ledgersync reconcile COMPANY` still ties out each customer")

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

    # -- operator actions (`ledgersync quickbooks_legacy ...`) -----------------------------------

    def cloud_action(self, action: str, kind: str, ng_id: str, key: str) -> str:
        """Release a draft, delete or revert one cloud object; returns its new NG id."""
        from .actions import cloud_action

        return cloud_action(self.client, self.settings, action, kind, ng_id, key)

    def status_rows(self, pairs: Sequence[tuple[str, str]], *, errored_only: bool = False
                    ) -> list[Any]:
        return self.confirmer.status(pairs, errored_only=errored_only)

    def activity(self) -> list[Any]:
        return self.confirmer.activity()
