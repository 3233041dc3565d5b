"""The QuickBooks Online connector: what the engine calls, wired to the modules that do it.

This module stays light (no httpx or intuit-oauth at import) so that `ledgersync plugins` and
`ledgersync --help` stay fast; the API client is built on first use.

Kinds: members become Customers (matched first, see :mod:`~ledgersync_qbo.finder`); items are
created as Service items, or linked to a QBO item of the same name; invoices, credit memos,
payments, journal entries and refunds are exported; GL accounts, tax rates and terms are
*mapped* to QBO's (`ledgersync qbo accounts COMPANY`, then `ledgersync map account ...`).
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
    ConnectorError,
    ConnectorLimits,
    CustomerMatch,
    ExportRequest,
    ExportResult,
    Member,
    PushConnector,
    Resolution,
)

from .settings import QboSettings

if TYPE_CHECKING:
    import httpx

    from .batching import BatchSender
    from .client import QboClient
    from .exporter import Exporter
    from .finder import Finder
    from .oauth import TokenKeeper

Obj = dict[str, Any]

#: Reference lists `ledgersync qbo ...` shows, by command word.
REFERENCE_ENTITIES = {"accounts": "Account", "items": "Item", "taxcodes": "TaxCode",
                      "taxrates": "TaxRate", "terms": "Term", "paymentmethods": "PaymentMethod",
                      "customers": "Customer", "classes": "Class", "departments": "Department"}


class QboConnector(PushConnector[QboSettings]):
    name: ClassVar[str] = "qbo"
    display_name: ClassVar[str] = "QuickBooks Online"
    supported_kinds: ClassVar[frozenset[str]] = frozenset(
        {"member", "item", "invoice", "credit_memo", "payment", "refund", "journal_entry"})
    settings_type: ClassVar[type[QboSettings]] = QboSettings
    default_schedule_minutes: ClassVar[int] = 60
    #: QBO: 500 requests a minute and 10 at once per company.
    default_limits: ClassVar[ConnectorLimits] = ConnectorLimits(
        max_in_flight=10, requests_per_minute=500)
    #: Items per batch request at most (QBO's limit); a company may choose fewer.
    batch_size: ClassVar[int] = 30

    #: Tests and the benchmark hand an in-process transport to every new instance.
    transport: ClassVar[httpx.BaseTransport | None] = None

    @classmethod
    def batch_size_for(cls, settings: QboSettings) -> int:
        return settings.batch_items

    # -- wiring (built on first use) -------------------------------------------------------------

    @functools.cached_property
    def tokens(self) -> TokenKeeper:
        from .oauth import TokenKeeper

        return TokenKeeper(self.settings, self.context, self.company.name)

    @functools.cached_property
    def client(self) -> QboClient:
        from .client import QboClient
        from .pacing import Pacer

        per_minute = (self.company.limits.requests_per_minute
                      or self.default_limits.requests_per_minute or 500)
        pacer = Pacer(self.context, requests_per_minute=per_minute,
                      batches_per_minute=self.settings.batches_per_minute)
        return QboClient(base_url=self.settings.api_base, realm_id=self.settings.realm_id,
                         tokens=self.tokens, timeout=self.settings.timeout_seconds,
                         minor_version=self.settings.minor_version, transport=self.transport,
                         pacer=pacer)

    @functools.cached_property
    def finder(self) -> Finder:
        from .finder import Finder

        return Finder(self.client, self.settings, self.company.name)

    @functools.cached_property
    def batches(self) -> BatchSender:
        from .batching import BatchSender

        assert self.client.pacer is not None
        return BatchSender(self.client, self.context, self.client.pacer,
                           batch_items=self.settings.batch_items)

    @functools.cached_property
    def exporter(self) -> Exporter:
        from .exporter import Exporter

        return Exporter(self.client, self.settings, self.context, self.finder, self.batches)

    # -- the engine's calls -----------------------------------------------------------------------

    def export(self, request: ExportRequest) -> ExportResult:
        return self.exporter.export(request)

    def export_batch(self, requests: Sequence[ExportRequest]
                     ) -> Sequence[ExportResult | Exception]:
        return self.exporter.export_batch(requests)

    def lookup(self, request: ExportRequest) -> ExportResult | None:
        return self.exporter.lookup(request)

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        from .classify import classify

        return classify(error, request, company=self.company.name,
                        find_duplicate=self._find_duplicate)

    def _find_duplicate(self, request: ExportRequest, error: Any
                        ) -> tuple[ExportResult | None, str]:
        holder, label = self.finder.duplicate(request, error)
        if holder is None:
            return None, label
        token = holder.get("SyncToken")
        return ExportResult(external_id=str(holder["Id"]),
                            version_token=str(token) if token is not None else None), label

    def map_customer(self, member: Member) -> CustomerMatch | None:
        return self.finder.match_member(member)

    def refresh_auth(self) -> None:
        """Refresh unless the token that failed was already replaced (the engine calls this
        once per failed item of a batch: one refresh is enough for all of them)."""
        failed = self.client.failed_token
        if failed is None:
            failed = self.tokens.load().access_token
        self.tokens.refresh(failed_access_token=failed)

    def check(self) -> str:
        info = self.client.read("CompanyInfo", self.settings.realm_id)
        where = self.settings.environment_name or self.settings.api_base
        return (f"{self.display_name}: {info.get('CompanyName', '?')} "
                f"(realm {self.settings.realm_id}, {where})")

    def customer_balances(self, as_of: dt.date | None = None) -> Mapping[str, Decimal]:
        """Open A/R per customer id: QBO's own ``Balance`` for today; for a past date, the sum
        of the receivable transactions dated on or before it (see :mod:`.books`)."""
        if as_of is None or as_of >= self.context.utcnow().date():
            return {str(row["Id"]): Decimal(str(row.get("Balance", "0")))
                    for row in self.client.query_all("Customer", include_inactive=True)}
        from .books import balances

        return balances(list(self.books_transactions(as_of)))

    def books_transactions(self, as_of: dt.date | None = None) -> Sequence[BooksTransaction]:
        """Invoices, payments, credit memos, refund receipts and journal entries dated on or
        before ``as_of`` (None: all of them, as the customers' ``Balance`` counts them, dated
        later than today included), as :mod:`.books` reads them from the query API."""
        from .books import books_transactions

        return books_transactions(self.client, as_of)

    def account_activity(self, start: dt.date | None, end: dt.date
                         ) -> Sequence[AccountActivity]:
        """Debits and credits per account from QBO's GeneralLedger report (see
        :mod:`.books`)."""
        from .books import account_activity

        if start is not None and start > end:
            raise ConnectorError(
                f"the period starts on {start} after it ends on {end}", sent=False,
                remedy="Give a start date on or before the end date")
        return account_activity(self.client, start, end)

    def close(self) -> None:
        if "client" in self.__dict__:
            self.client.close()

    # -- reference data and search (for `ledgersync qbo ...` and `ledgersync map`) ----------------

    def reference(self, entity: str) -> list[Obj]:
        """Every row of a QBO list (inactive ones too, flagged by their ``Active``)."""
        return list(self.client.query_all(entity, include_inactive=entity not in (
            "TaxRate", "TaxCode", "Class", "Department")))

    def search_customers(self, text: str) -> list[Obj]:
        """Customers whose DisplayName contains ``text`` (inactive ones too)."""
        from .querytext import quote

        pattern = "%" + "".join(c if c.isascii() and c != "%" else "%" for c in text) + "%"
        rows = self.client.query(
            "SELECT * FROM Customer WHERE Active IN (true, false) AND "
            f"DisplayName LIKE {quote(pattern)} MAXRESULTS 1000")
        return [r for r in rows if text.casefold() in str(r.get("DisplayName", "")).casefold()]
