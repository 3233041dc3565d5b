"""Exports over the XML gateway, exactly once.

Every write carries ``uniqueid=true`` and the item version's idempotency key as the function
``controlid``, so a resent request is refused by Intacct instead of posting twice. Journal
entries also carry a deterministic REFERENCENO: before anything uncertain is sent again, the
engine calls :meth:`XmlExporter.lookup`, which queries GLBATCH by it. Several items go in one
request as separate functions (none depends on another, so no ``transaction="true"``), and
each function's result is matched to its item by controlid.

Reference data needs no write: items link to their Intacct income account, tax rates to their
tax payable account, terms to nothing (journal entries have no terms), members to an Intacct
customer (created when ``create_customers``).
"""

from __future__ import annotations

from collections.abc import Sequence

from ledgersync import ExportRequest, ExportResult, Item, Member, Operation, TaxRate

from .classify import is_replay
from .envelope import Function, FunctionResult
from .errors import IntacctFailure, UnmappedError
from .functions import create_customer, create_glbatch, update_glbatch
from .gateway import XmlGateway
from .posting import JOURNAL_KINDS, build_entry, reference_no
from .settings import SageSettings


class ReferenceLinks:
    """What needs no call, the same for both transports (see the module docstring)."""

    def __init__(self, settings: SageSettings) -> None:
        self.settings = settings

    def customer_id(self, member_id: str) -> str:
        return f"{self.settings.customer_id_prefix}{member_id}"

    def linked(self, request: ExportRequest) -> ExportResult | None:
        """The link of reference data (no request made), or None when a write is needed."""
        record = request.record
        company = request.company
        if isinstance(record, Item):
            if record.income_account_id is None:
                raise UnmappedError(
                    f"item {record.mms_id!r} has no income account",
                    remedy=f"Map it to an Intacct income account: ledgersync map item "
                    f"{company} {record.mms_id} ACCOUNTNO", code="unmapped-item")
            return ExportResult(external_id=request.ref("gl_account", record.income_account_id),
                                requests_made=0)
        if isinstance(record, TaxRate):
            if not self.settings.tax_payable_account:
                raise UnmappedError(
                    f"tax rate {record.mms_id!r} has no tax payable account",
                    remedy=f"Map it: ledgersync map tax {company} {record.mms_id} ACCOUNTNO, "
                    f"or set tax_payable_account in [companies.{company}.sage]",
                    code="unmapped-tax")
            return ExportResult(external_id=self.settings.tax_payable_account, requests_made=0)
        if request.kind == "terms":
            return ExportResult(external_id=record.mms_id, requests_made=0)
        if isinstance(record, Member) and not self.settings.create_customers:
            return ExportResult(external_id=self.customer_id(record.mms_id), requests_made=0)
        return None


class XmlExporter(ReferenceLinks):
    def __init__(self, gateway: XmlGateway, settings: SageSettings) -> None:
        super().__init__(settings)
        self.gateway = gateway

    # -- writes -----------------------------------------------------------------------------------

    def function(self, request: ExportRequest) -> Function:
        """The one function that carries ``request`` (controlid = its idempotency key)."""
        key = request.idempotency_key
        if isinstance(request.record, Member):
            if request.operation is not Operation.CREATE:
                raise UnmappedError(
                    f"{request.describe()}: changes to members are not sent to Intacct "
                    "(customers are created once; edit them in Intacct)",
                    remedy="Edit the customer in Intacct if it matters, then clear this item",
                    code="unsupported-change")
            return create_customer(key, self.customer_id(request.record.mms_id),
                                   request.record)
        if request.kind not in JOURNAL_KINDS:  # pragma: no cover - guarded by supported_kinds
            raise UnmappedError(f"{request.describe()} is not exported to Intacct",
                                remedy="Clear the item", code="unsupported-kind")
        entry = build_entry(request, self.settings)
        if request.operation is Operation.UPDATE:
            assert request.external_id is not None  # updates depend on the record itself
            return update_glbatch(key, request.external_id, entry,
                                  journal=self.settings.journal, state=self.settings.state)
        return create_glbatch(key, entry, journal=self.settings.journal,
                              state=self.settings.state)

    def export(self, request: ExportRequest) -> ExportResult:
        linked = self.linked(request)
        if linked is not None:
            return linked
        response = self.gateway.call([self.function(request)], unique_id=True)
        if not response.results:
            raise IntacctFailure("Intacct returned no result for the function", level="result")
        return self._outcome(request, response.results[0], position=0)

    def _outcome(self, request: ExportRequest, result: FunctionResult, *, position: int
                 ) -> ExportResult:
        """A function's result as the item's; a controlid Intacct refuses as already run is
        resolved at once by looking the record up (never by sending it again)."""
        if result.ok:
            done = self._result(request, result)
            # The request counted once for the whole chunk: its first item carries it.
            return ExportResult(external_id=done.external_id,
                                requests_made=1 if position == 0 else 0)
        failure = result.failure()
        if is_replay(failure) and request.operation is Operation.CREATE:
            found = self.lookup(request)
            if found is not None:
                return ExportResult(external_id=found.external_id,
                                    requests_made=(1 if position == 0 else 0) + 1,
                                    warnings=("Intacct had already run this write; linked "
                                              "to what it made",))
        raise failure

    def export_batch(self, requests: Sequence[ExportRequest]
                     ) -> list[ExportResult | Exception]:
        """Several items, one function each, in as few requests as the settings allow."""
        out: list[ExportResult | Exception | None] = [None] * len(requests)
        pending: list[tuple[int, Function]] = []
        for index, request in enumerate(requests):
            try:
                linked = self.linked(request)
                if linked is not None:
                    out[index] = linked
                else:
                    pending.append((index, self.function(request)))
            except Exception as exc:  # noqa: BLE001 - reported on the item, as documented
                out[index] = exc
        size = self.settings.functions_per_request
        for start in range(0, len(pending), size):
            chunk = pending[start:start + size]
            try:
                response = self.gateway.call([f for _, f in chunk], unique_id=True)
            except Exception as exc:  # noqa: BLE001 - fails this chunk only; others stand
                for index, _ in chunk:
                    out[index] = exc
                continue
            results = response.by_controlid()
            for position, (index, function) in enumerate(chunk):
                result = results.get(function.controlid)
                request = requests[index]
                if result is None:
                    out[index] = IntacctFailure(
                        f"Intacct returned no result for function {function.controlid}",
                        level="result")
                else:
                    try:
                        out[index] = self._outcome(request, result, position=position)
                    except Exception as exc:  # noqa: BLE001 - reported on the item
                        out[index] = exc
        return [r if r is not None else IntacctFailure("not sent", level="local", sent=False)
                for r in out]

    def _result(self, request: ExportRequest, result: FunctionResult) -> ExportResult:
        if isinstance(request.record, Member):
            return ExportResult(external_id=self.customer_id(request.record.mms_id))
        if request.operation is Operation.UPDATE and request.external_id:
            return ExportResult(external_id=request.external_id)
        rows = result.records()
        record_no = rows[0].get("RECORDNO") if rows else result.key
        if not record_no:
            raise IntacctFailure("Intacct accepted the journal entry but returned no RECORDNO",
                                 level="result")
        return ExportResult(external_id=record_no)

    # -- after a doubt ----------------------------------------------------------------------------

    def lookup(self, request: ExportRequest) -> ExportResult | None:
        """Find what an interrupted attempt wrote: GLBATCH by REFERENCENO and journal,
        CUSTOMER by CUSTOMERID. Updates cannot be told apart by reading: None lets the engine
        resend them under the same controlid, which Intacct refuses if it already ran."""
        linked = self.linked(request)
        if linked is not None:
            return linked
        if isinstance(request.record, Member):
            customer = self.customer_id(request.record.mms_id)
            rows = list(self.gateway.query_all(
                "CUSTOMER", ["RECORDNO", "CUSTOMERID"], ("equalto", "CUSTOMERID", customer)))
            return ExportResult(external_id=customer) if rows else None
        if request.operation is Operation.UPDATE:
            return None
        rows = self.find_batches(reference_no(self.settings, request.kind,
                                              request.record.mms_id, request.operation))
        return ExportResult(external_id=rows[0]["RECORDNO"]) if rows else None

    def find_batches(self, reference: str) -> list[dict[str, str]]:
        return list(self.gateway.query_all(
            "GLBATCH", ["RECORDNO", "BATCHNO", "BATCH_DATE", "STATE", "REFERENCENO",
                        "JOURNAL.SYMBOL"],
            ("and", [("equalto", "REFERENCENO", reference),
                     ("equalto", "JOURNAL.SYMBOL", self.settings.journal)]), pagesize=10))
