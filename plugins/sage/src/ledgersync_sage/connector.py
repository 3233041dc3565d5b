"""The Sage Intacct connector: what the engine calls, wired to the modules that do it.

This is the only module that knows the core's connector surface; the rest of the package
(envelope, gateway, posting, exporter, classify) works on plain values.

Kinds: invoices, credit memos, payments, refunds and journal entries become GLBATCH journal
entries (see :mod:`~ledgersync_sage.posting`); members become Intacct customers; items, tax
rates and terms are linked to accounts without a write; GL accounts are *mapped* (`ledgersync
map account COMPANY MMS_ACCOUNT ACCOUNTNO`), so an unmapped account blocks only the entries
that use it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from ledgersync import (
    AccountActivity,
    BooksTransaction,
    ConnectorError,
    ConnectorLimits,
    ExportRequest,
    ExportResult,
    PushConnector,
    Resolution,
)

from .settings import SageSettings

if TYPE_CHECKING:
    import httpx

    from .exporter import XmlExporter
    from .gateway import XmlGateway
    from .oauth import TokenKeeper
    from .reports import Reports
    from .rest import RestClient, RestExporter, RestReports


class SageConnector(PushConnector[SageSettings]):
    name: ClassVar[str] = "sage"
    display_name: ClassVar[str] = "Sage Intacct"
    supported_kinds: ClassVar[frozenset[str]] = frozenset(
        {"member", "item", "tax_rate", "terms", "invoice", "credit_memo", "payment", "refund",
         "journal_entry"})
    settings_type: ClassVar[type[SageSettings]] = SageSettings
    default_schedule_minutes: ClassVar[int] = 60
    #: Intacct allows about two concurrent requests per company.
    default_limits: ClassVar[ConnectorLimits] = ConnectorLimits(
        max_in_flight=2, requests_per_minute=None)
    batch_size: ClassVar[int] = 20
    # Intacct has no items: a mapped MMS item is the GL account its lines post to.
    items_are_accounts: ClassVar[bool] = True

    #: Tests and the benchmark hand an in-process transport to every new instance.
    transport: ClassVar[httpx.BaseTransport | None] = None

    @classmethod
    def batch_size_for(cls, settings: SageSettings) -> int:
        """``functions_per_request`` over XML; REST sends one entry a request."""
        return settings.functions_per_request if settings.api == "xml" else 1

    @functools.cached_property
    def gateway(self) -> XmlGateway:
        from .gateway import XmlGateway

        return XmlGateway(self.settings, transport=self.transport, clock=self.context.utcnow)

    @functools.cached_property
    def tokens(self) -> TokenKeeper:
        import httpx

        from .oauth import TokenKeeper

        http = httpx.Client(transport=self.transport, timeout=self.settings.timeout_seconds)
        return TokenKeeper(self.settings, self.context, http, clock=self.context.utcnow)

    @functools.cached_property
    def rest(self) -> RestClient:
        import httpx

        from .rest import RestClient

        http = httpx.Client(transport=self.transport, timeout=self.settings.timeout_seconds)
        return RestClient(self.settings, self.tokens, http)

    @functools.cached_property
    def exporter(self) -> XmlExporter | RestExporter:
        """The transport's exporter (``api = "xml"`` or ``"rest"``)."""
        if self.settings.api == "rest":
            from .rest import RestExporter

            return RestExporter(self.rest, self.settings)
        from .exporter import XmlExporter

        return XmlExporter(self.gateway, self.settings)

    @functools.cached_property
    def reports(self) -> Reports | RestReports:
        if self.settings.api == "rest":
            from .rest import RestReports

            return RestReports(self.rest, self.settings)
        from .reports import Reports

        return Reports(self.gateway, self.settings)

    def export(self, request: ExportRequest) -> ExportResult:
        return self.exporter.export(request)

    def export_batch(self, requests: Sequence[ExportRequest]
                     ) -> Sequence[ExportResult | Exception]:
        return self.exporter.export_batch(requests)

    def lookup(self, request: ExportRequest) -> ExportResult | None:
        return self.exporter.lookup(request)

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        from .classify import classify

        def mms_account(number: str) -> tuple[str, str] | None:
            return next((key for key, remote in sorted(request.references.items())
                         if key[0] in ("gl_account", "item", "tax_rate")
                         and remote == number), None)

        return classify(error, request, company=self.company.name, map_hint=mms_account)

    def refresh_auth(self) -> None:
        if self.settings.api == "rest":
            stored = self.tokens.stored()
            self.tokens.refresh(failed=stored.access_token if stored else None)
        else:
            self.gateway.forget_session()

    def check(self) -> str:
        if self.settings.api == "rest":
            from .connect import check_rest

            return check_rest(self.rest, self.settings)
        from .connect import check

        return check(self.gateway, self.settings)

    def customer_balances(self, as_of: dt.date | None = None) -> Mapping[str, Decimal]:
        return self._reports(as_of).customer_balances()

    def account_balances(self, as_of: dt.date | None = None) -> Mapping[str, Decimal]:
        """Debits minus credits per Intacct account number, from the posted entries."""
        return self._reports(as_of).account_balances()

    def books_transactions(self, as_of: dt.date | None = None) -> Sequence[BooksTransaction]:
        """The posted journal entries on the A/R account per customer (see
        :mod:`~ledgersync_sage.books`), dated up to ``as_of``."""
        return self._reports(as_of).books_transactions()

    def account_activity(self, start: dt.date | None, end: dt.date
                         ) -> Sequence[AccountActivity]:
        """Intacct's trial balance for the period, over the XML API."""
        if self.settings.api == "rest":
            raise self._xml_only("account activity (the trial balance) is",
                                 "or compare Intacct's trial balance by hand")
        from .reports import Reports

        reports = self.reports
        assert isinstance(reports, Reports)
        return reports.account_activity(start, end)

    def _xml_only(self, what: str, alternative: str = "or reconcile without --as-of"
                  ) -> ConnectorError:
        return ConnectorError(
            f"{what} read over Intacct's XML API only; company {self.company.name!r} uses "
            "api = \"rest\"",
            remedy=f"Set api = \"xml\" (with the sender and user credentials) in "
                   f"[companies.{self.company.name}.sage], {alternative}",
            sent=False)

    def _reports(self, as_of: dt.date | None) -> Reports | RestReports:
        if as_of is not None and self.settings.api == "rest":
            raise self._xml_only("balances as of a day are")
        reports = self.reports
        if as_of is not None:
            from .reports import Reports

            assert isinstance(reports, Reports)
            return reports.as_of(as_of)
        return reports

    def close(self) -> None:
        if "gateway" in self.__dict__:
            self.gateway.close()
