"""The writes: creates (alone or batched), sparse updates and voids, and the lookups that make
a retry safe.

- A create sends the item's idempotency key as ``requestid``; an item that once rode in a
  stored batch is only ever resent in that batch (:mod:`ledgersync_qbo.batching`).
- An update or void that meets a stale SyncToken (5010) re-reads the object and tries once
  more with the current token, as QBO advises; the request id follows the
  token, so the re-sent write is not answered with the replayed fault.
- A lookup never writes a new record: creates are found by DocNumber or name plus our note,
  updates and voids count as done only when QBO already shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ledgersync import (
    ConnectorContext,
    CreditMemo,
    ExportRequest,
    ExportResult,
    Operation,
)

from . import mapping, requestids
from .batching import BatchSender, Entry, Sent
from .client import QboClient
from .errors import QboError
from .finder import Finder
from .mapping import Body, MappingError
from .settings import QboSettings

Obj = dict[str, Any]
#: Kinds whose create is one write and may ride in a batch.
BATCHABLE = frozenset({"invoice", "payment", "journal_entry", "refund", "item", "credit_memo"})
SALES_FORMS = frozenset({"Invoice", "CreditMemo", "RefundReceipt"})
TOTAL_CHECKED = SALES_FORMS | {"Payment"}
VOIDABLE = frozenset({"Invoice", "Payment"})  # the others are deleted
AR_ACCOUNT_KEY = "qbo.ar-account"


class Exporter:
    def __init__(self, client: QboClient, settings: QboSettings, context: ConnectorContext,
                 finder: Finder, batches: BatchSender) -> None:
        self.client = client
        self.settings = settings
        self.context = context
        self.finder = finder
        self.batches = batches

    # -- bodies ------------------------------------------------------------------------------------

    def ar_account(self) -> str:
        """The Accounts Receivable account for refund journal entries (found once, kept)."""
        if self.settings.ar_account_id:
            return self.settings.ar_account_id
        cached = self.context.state.get(AR_ACCOUNT_KEY)
        if isinstance(cached, str):
            return cached
        rows = self.client.query("SELECT * FROM Account WHERE AccountType = "
                                 "'Accounts Receivable' MAXRESULTS 10")
        if len(rows) != 1:
            names = ", ".join(f"{r.get('Name')!r} (Id {r.get('Id')})" for r in rows) or "none"
            raise MappingError(
                f"cannot tell which Accounts Receivable account refunds post to (found {names})",
                remedy="Set ar_account_id in the company's qbo settings "
                       "(`ledgersync qbo accounts COMPANY` lists the ids), then requeue")
        account = str(rows[0]["Id"])
        self.context.state.put(AR_ACCOUNT_KEY, account, ttl=24 * 3600.0)
        return account

    def body(self, request: ExportRequest) -> Body:
        needs_ar = request.kind == "refund" and self.settings.refund_style == "journal_entry"
        return mapping.body_for(request, self.settings, self.ar_account() if needs_ar else None)

    def _result(self, request: ExportRequest, obj: Obj, body: Body | None,
                requests: int, extra_warnings: Sequence[str] = ()) -> ExportResult:
        warnings = list(body.warnings if body else []) + list(extra_warnings)
        entity = body.entity if body else mapping.entity_of(request.kind, self.settings)
        expected = mapping.expected_total(request.record)
        total = obj.get("TotalAmt")
        tax = (mapping.tax_difference(request.record, obj) if entity in SALES_FORMS
               and request.operation is not Operation.VOID else None)
        # Only sales forms have a total QuickBooks computes (with its own sales tax); a
        # journal entry's TotalAmt is not the MMS record's total, so it is not compared.
        if tax is not None:
            warnings.append(f"{tax}: {mapping.TAX_REMEDY.replace('COMPANY', request.company)}")
        elif (entity in TOTAL_CHECKED and expected is not None and total is not None
                and request.operation is not Operation.VOID
                and Decimal(str(total)) != expected):
            reason = ("QuickBooks computes sales tax itself, so check the tax mapping "
                      "(`ledgersync map tax`) against the rate in QuickBooks"
                      if entity in SALES_FORMS else "compare the record in QuickBooks with the "
                      "MMS and resync or correct it there")
            warnings.append(f"QuickBooks' total {Decimal(str(total)):.2f} differs from the MMS "
                            f"total {expected}: {reason}")
        return ExportResult(external_id=str(obj.get("Id") or request.external_id),
                            version_token=_token(obj), warnings=tuple(warnings),
                            requests_made=requests)

    # -- export ------------------------------------------------------------------------------------

    def export(self, request: ExportRequest) -> ExportResult:
        start = self.client.requests
        if request.operation is Operation.CREATE:
            ridden = self.batches.lookup(request.idempotency_key)
            if ridden is not None:
                # It rode in a stored batch: its outcome is that batch's, never a new write.
                if ridden.error is not None:
                    raise ridden.error
                assert ridden.entity is not None
                return self._result(request, ridden.entity, None, ridden.requests)
            body = self.body(request)
            obj = self.client.create(body.entity, body.data,
                                     requestid=requestids.for_create(request.idempotency_key))
            extra = self._after_create(request, obj)
            return self._result(request, obj, body, self.client.requests - start, extra)
        if request.operation is Operation.UPDATE:
            body = self.body(request)
            obj = self._with_current_token(
                request, body.entity,
                lambda token, resend: self.client.update(
                    body.entity, {**body.data, "Id": request.external_id, "SyncToken": token},
                    requestid=self._version_id(request, token, resend)),
                applied=lambda current: _matches(body.data, current))
            return self._result(request, obj, body, self.client.requests - start)
        entity = mapping.entity_of(request.kind, self.settings)
        send: Callable[[str, int], Obj]
        if entity in VOIDABLE:
            def send(token: str, resend: int) -> Obj:
                return self.client.void(entity, str(request.external_id), token,
                                        requestid=self._version_id(request, token, resend))
        else:
            def send(token: str, resend: int) -> Obj:
                return self.client.delete(entity, str(request.external_id), token,
                                          requestid=self._version_id(request, token, resend))
        obj = self._with_current_token(request, entity, send, applied=_voided)
        return self._result(request, obj, None, self.client.requests - start)

    @staticmethod
    def _version_id(request: ExportRequest, token: str, resend: int) -> str:
        return requestids.for_version(request.idempotency_key, token,
                                      attempt=request.attempt, resend=resend)

    def _with_current_token(self, request: ExportRequest, entity: str,
                            send: Callable[[str, int], Obj],
                            applied: Callable[[Obj], bool]) -> Obj:
        """Send with the known SyncToken; after a stale-object fault (5010), re-read and, unless
        QuickBooks already shows the change (an earlier attempt landed), send once more as a
        new request with the current token."""
        token = request.version_token
        if token is None:
            token = str(self.client.read(entity, str(request.external_id))["SyncToken"])
        try:
            return send(token, 0)
        except QboError as exc:
            if not exc.stale_version:
                raise
        current = self.client.read(entity, str(request.external_id))
        if applied(current):
            return current
        return send(str(current["SyncToken"]), 1)

    def _after_create(self, request: ExportRequest, obj: Obj) -> list[str]:
        record = request.record
        if (isinstance(record, CreditMemo) and record.applied_to_invoice_id
                and self.settings.apply_credit_memos):
            return self._apply_credit(request, obj)
        return []

    def _apply_credit(self, request: ExportRequest, memo: Obj) -> list[str]:
        """Apply the new credit memo to its invoice, once (its own request id); a refusal
        leaves the credit on the customer's account, which keeps the balance right."""
        record = request.record
        assert isinstance(record, CreditMemo)
        assert record.applied_to_invoice_id
        invoice_id = request.ref("invoice", record.applied_to_invoice_id)
        total = Decimal(str(memo.get("TotalAmt", 0)))
        remaining = Decimal(str(memo.get("Balance", memo.get("RemainingCredit", total))))
        if remaining < total:
            return []  # already applied (found again after a doubt)
        invoice = self.client.read("Invoice", invoice_id)
        amount = min(total, Decimal(str(invoice.get("Balance", 0))))
        if amount <= 0:
            return [f"invoice {record.applied_to_invoice_id!r} is already paid; the credit "
                    "stays on the customer's account in QuickBooks"]
        body = mapping.credit_application(request, str(memo["Id"]), invoice_id, amount)
        try:
            self.client.create("Payment", body,
                               requestid=requestids.for_step(request.idempotency_key, "apply"))
        except QboError as exc:
            if exc.status not in (200, 400) or not exc.faults:
                raise  # transient (auth, throttle, server, network): the export is retried
            return [f"the credit could not be applied to invoice "
                    f"{record.applied_to_invoice_id!r} ({exc.detail}); it stays on the "
                    "customer's account in QuickBooks"]
        return []

    # -- batches -----------------------------------------------------------------------------------

    def export_batch(self, requests: Sequence[ExportRequest]
                     ) -> list[ExportResult | Exception]:
        results: dict[int, ExportResult | Exception] = {}
        entries: list[Entry] = []
        bodies: dict[str, tuple[int, ExportRequest, Body]] = {}
        for index, request in enumerate(requests):
            if not _batchable(request, self.settings):
                results[index] = self._guarded(self.export, request)
                continue
            try:
                body = self.body(request)
            except Exception as exc:  # noqa: BLE001 - a mapping problem fails its item only
                results[index] = exc
                continue
            entries.append(Entry(request.idempotency_key, body.entity, body.data))
            bodies[request.idempotency_key] = (index, request, body)
        if entries:
            sent = self.batches.send(entries, self._single_create)
            for key, (index, request, body) in bodies.items():
                results[index] = self._batch_result(request, body, sent[key])
        return [results[i] for i in range(len(requests))]

    def _single_create(self, entry: Entry) -> Obj:
        return self.client.create(entry.entity, entry.body,
                                  requestid=requestids.for_create(entry.key))

    def _batch_result(self, request: ExportRequest, body: Body, sent: Sent
                      ) -> ExportResult | Exception:
        if sent.error is not None:
            return sent.error
        assert sent.entity is not None
        return self._result(request, sent.entity, body, sent.requests)

    def _guarded(self, call: Callable[[ExportRequest], ExportResult], request: ExportRequest
                 ) -> ExportResult | Exception:
        try:
            return call(request)
        except Exception as exc:  # noqa: BLE001 - reported per request, as the engine expects
            return exc

    # -- lookup ------------------------------------------------------------------------------------

    def lookup(self, request: ExportRequest) -> ExportResult | None:
        start = self.client.requests
        if request.operation is Operation.CREATE:
            ridden = self.batches.lookup(request.idempotency_key)
            if ridden is not None and ridden.entity is not None:
                return self._result(request, ridden.entity, None, ridden.requests)
            if ridden is not None and ridden.error is not None and not _not_written(
                    ridden.error):
                raise ridden.error
            found = self.finder.find_created(request)
            if found is None:
                return None
            extra = self._after_create(request, found)
            return self._result(request, found, None, self.client.requests - start, extra)
        entity = mapping.entity_of(request.kind, self.settings)
        try:
            current = self.client.read(entity, str(request.external_id))
        except QboError as exc:
            if request.operation is Operation.VOID and "610" in exc.codes:
                return ExportResult(external_id=str(request.external_id),
                                    requests_made=self.client.requests - start)
            raise
        if request.operation is Operation.VOID:
            done = _voided(current)
        else:
            done = _matches(self.body(request).data, current)
        if not done:
            return None
        return self._result(request, current, None, self.client.requests - start)


def _token(obj: Obj) -> str | None:
    token = obj.get("SyncToken")
    return str(token) if token is not None else None


def _batchable(request: ExportRequest, settings: QboSettings) -> bool:
    if request.operation is not Operation.CREATE or request.kind not in BATCHABLE:
        return False
    record = request.record
    # A credit memo applied to an invoice needs a second write after it is created.
    return not (isinstance(record, CreditMemo) and record.applied_to_invoice_id
                and settings.apply_credit_memos)


def _not_written(error: Exception) -> bool:
    """A fault answer means QBO refused the write; anything else leaves it in doubt."""
    return isinstance(error, QboError) and bool(error.faults) and error.status not in (
        None, 500, 502, 503, 504)


def _voided(obj: Obj) -> bool:
    note = obj.get("PrivateNote")
    return (obj.get("status") == "Deleted"
            or (isinstance(note, str) and note.startswith("Voided")
                and Decimal(str(obj.get("TotalAmt", "0"))) == 0))


def _matches(sent: Any, remote: Any) -> bool:
    """Does QBO's object already show what we would send (an update that landed)?"""
    if isinstance(sent, dict):
        if not isinstance(remote, dict):
            return False
        if set(sent) <= {"value", "name"}:  # a reference compares by id
            return str(sent.get("value")) == str(remote.get("value"))
        return all(_matches(v, remote.get(k)) for k, v in sent.items())
    if isinstance(sent, list):
        if not isinstance(remote, list):
            return False
        lines = [r for r in remote if not (isinstance(r, dict)
                                           and r.get("DetailType") == "SubTotalLineDetail")]
        return len(lines) == len(sent) and all(_matches(s, r) for s, r in zip(sent, lines,
                                                                               strict=True))
    if isinstance(sent, Decimal | int) and not isinstance(sent, bool):
        try:
            return Decimal(str(remote)) == Decimal(sent)
        except ArithmeticError:
            return False
    return bool(sent == remote)
