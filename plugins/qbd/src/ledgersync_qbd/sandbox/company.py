"""The public face of the sandbox: :class:`CompanyFile`.

A ``CompanyFile`` answers qbXML request documents the way an open QuickBooks Desktop company
file does (through the Web Connector's request processor) and offers inspection helpers and
fault injection for tests. It never touches the network and does not import ``ledgersync``.

Typical use::

    company = CompanyFile()
    response_xml = company.process(request_xml)          # raises RequestProcessorError on HRESULT
    result = company.handle(request_xml)                  # ProcessResult, never raises
    company.customer_balance("Smith, Jane (M-10042)")     # Decimal
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from . import changes, deletions, host, journal, lists, payments, reports, sales
from .context import Context, Handler, Settings
from .faults import FaultPlan
from .iterators import IteratorRegistry
from .processor import MessageSetProcessor, ProcessResult
from .seed import seed_company
from .store import ListRecord, Store, TxnRecord, utc_now

DEFAULT_QBXML_VERSIONS = ("1.0", "1.1", "2.0", "2.1", "3.0", "4.0", "4.1", "5.0", "6.0", "7.0",
                          "8.0", "9.0", "10.0", "11.0", "12.0", "13.0")
EDITIONS = ("US", "CA", "UK")

HANDLERS: dict[str, Handler] = {
    **lists.HANDLERS,
    **journal.HANDLERS,
    **host.HANDLERS,
    **changes.HANDLERS,
    **deletions.HANDLERS,
    **reports.HANDLERS,
    "InvoiceAddRq": sales.invoice_add,
    "InvoiceModRq": sales.invoice_mod,
    "CreditMemoAddRq": sales.credit_memo_add,
    "ReceivePaymentAddRq": payments.receive_payment_add,
    "ARRefundCreditCardAddRq": payments.ar_refund_add,
}
SUPPORTED_REQUESTS = frozenset(HANDLERS)


class RequestProcessorError(Exception):
    """The request processor failed (the Web Connector reports ``hresult``/``message``)."""

    def __init__(self, hresult: str, message: str, detail: str = "") -> None:
        self.hresult = hresult
        self.message = message
        self.detail = detail
        super().__init__(f"{hresult}: {message}" + (f" ({detail})" if detail else ""))


class CompanyFile:
    """A simulated QuickBooks Desktop company file answering qbXML."""

    def __init__(
        self,
        edition: str = "US",
        qbxml_versions: Iterable[str] = DEFAULT_QBXML_VERSIONS,
        company_name: str = "ledgersync Sandbox Company",
        seed: bool = True,
        *,
        product_name: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        class_tracking: bool = False,
        strict_prolog: bool = True,
    ) -> None:
        if edition not in EDITIONS:
            raise ValueError(f"edition must be one of {EDITIONS}, not {edition!r}")
        versions = tuple(qbxml_versions)
        if not versions:
            raise ValueError("at least one qbXML version is required")
        self.store = Store(clock)
        settings = Settings(
            edition=edition, qbxml_versions=versions, company_name=company_name,
            product_name=product_name or host.EDITION_PRODUCTS[edition][0],
            class_tracking=class_tracking,
        )
        self.ctx = Context(store=self.store, iterators=IteratorRegistry(), settings=settings)
        self.faults = FaultPlan()
        self._processor = MessageSetProcessor(self.ctx, HANDLERS, self.faults,
                                              strict_prolog=strict_prolog)
        self.history: list[ProcessResult] = []
        if seed:
            seed_company(self.store)

    # -- processing -----------------------------------------------------------------------

    @property
    def supported_versions(self) -> tuple[str, ...]:
        return self.ctx.settings.qbxml_versions

    @property
    def edition(self) -> str:
        return self.ctx.settings.edition

    def handle(self, request_xml: str | bytes) -> ProcessResult:
        """Run one qbXML message set; never raises for bad input.

        ``result.hresult`` is set (and ``response_xml`` empty) when the request processor
        failed; ``result.lost`` is set when a response loss was injected.
        """
        result = self._processor.process(request_xml)
        self.history.append(result)
        return result

    def process(self, request_xml: str | bytes) -> str:
        """Run one qbXML message set and return the qbXML response document.

        Raises :class:`RequestProcessorError` when QuickBooks would not produce a response
        (parse errors, injected HRESULTs). A response flagged lost is still returned; use
        :meth:`handle` or :attr:`last_result` to see the flag.
        """
        result = self.handle(request_xml)
        if result.hresult:
            raise RequestProcessorError(result.hresult, result.message, result.parse_detail)
        return result.response_xml

    @property
    def last_result(self) -> ProcessResult | None:
        return self.history[-1] if self.history else None

    # -- fault injection ------------------------------------------------------------------

    def inject_status(self, code: int, *, request_type: str | None = None, times: int = 1,
                      message: str | None = None) -> None:
        """Answer ``code`` for the next ``times`` requests (of ``request_type``, e.g.
        ``"InvoiceAddRq"``, or any type). See :mod:`.faults` for how codes apply."""
        self.faults.inject_status(code, request_type=request_type, times=times, message=message)

    def lose_next_response(self, count: int = 1) -> None:
        """Run the next ``count`` message sets but flag their responses as lost."""
        self.faults.lose_next_response(count)

    def raise_hresult(self, hresult: str, message: str) -> None:
        """Fail the next message set in the request processor without running it."""
        self.faults.raise_hresult(hresult, message)

    def lock(self, object_id: str) -> None:
        """Mark a ListID/TxnID as open in another window: Mod/Void/Del answer 3175."""
        self.ctx.locked.add(object_id)

    def unlock(self, object_id: str) -> None:
        self.ctx.locked.discard(object_id)

    def set_closing_date(self, day: date | None, *, password: bool = True) -> None:
        """Company > Set Closing Date (None removes it). With ``password`` (QuickBooks' closing
        date password) writes dated on or before ``day`` answer 3171; see :mod:`.closing`."""
        self.ctx.settings.closing_date = day
        self.ctx.settings.closing_date_password = password

    def set_read_only(self, read_only: bool = True) -> None:
        """Writes answer 3260 (insufficient permission) while read-only."""
        self.ctx.settings.read_only = read_only

    def close_session(self) -> None:
        """Forget open iterators (they live in the QuickBooks session)."""
        self.ctx.iterators.clear()

    # -- keeping a file between runs ------------------------------------------------------

    def snapshot(self) -> bytes:
        """The file's data (lists, transactions, saved message sets) as bytes, for
        :meth:`restore`. A pickle: restore only snapshots you made yourself."""
        return pickle.dumps({
            "settings": self.ctx.settings, "store": self.store, "writes": self.ctx.writes,
            "locked": self.ctx.locked, "saved": self._processor.saved})

    @classmethod
    def restore(cls, data: bytes) -> CompanyFile:
        state = pickle.loads(data)  # the caller's own snapshot (see above)
        settings = state["settings"]
        company = cls(edition=settings.edition, qbxml_versions=settings.qbxml_versions,
                      company_name=settings.company_name, seed=False)
        company.ctx.settings = settings
        company.store = company.ctx.store = state["store"]
        company.ctx.writes = state["writes"]
        company.ctx.locked = state["locked"]
        company._processor.saved = state["saved"]
        return company

    # -- inspection -----------------------------------------------------------------------

    def customer(self, full_name: str) -> ListRecord | None:
        return self.store.find_list(("Customer",), full_name=full_name)

    def customer_balance(self, full_name: str) -> Decimal:
        record = self.customer(full_name)
        if record is None:
            raise KeyError(full_name)
        return self.store.total_balance(record)

    def list_object(self, list_type: str, full_name: str) -> ListRecord | None:
        return self.store.find_list((list_type,), full_name=full_name)

    def transactions(self, txn_type: str, ref_number: str | None = None) -> list[TxnRecord]:
        found = self.store.txns_of(txn_type)
        if ref_number is not None:
            found = [t for t in found if t.ref_number == ref_number]
        return sorted(found, key=lambda t: t.txn_number)

    def transaction(self, txn_id: str) -> TxnRecord | None:
        return self.store.txns.get(txn_id)

    def write_count(self, request_type: str, key: str) -> int:
        """How many successful writes of ``request_type`` (``"InvoiceAdd"``, ``"CustomerAdd"``,
        ``"TxnVoid"`` ...) hit ``key`` (RefNumber, FullName, or TxnID when there is none)."""
        return self.ctx.writes[(request_type, key)]

    @property
    def writes(self) -> dict[tuple[str, str], int]:
        return dict(self.ctx.writes)

    @property
    def saved_message_sets(self) -> tuple[str, ...]:
        return tuple(self._processor.saved)

    @property
    def open_iterators(self) -> int:
        return len(self.ctx.iterators)
