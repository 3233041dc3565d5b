"""The REST API transport (``api = "rest"``, ``/ia/api/v1``): the same entries, exactly once.

Journal entries are created with ``POST /objects/general-ledger/journal-entry`` (tests/data/20)
carrying the entry's deterministic reference in ``referenceNumber``; members with ``POST
/objects/accounts-receivable/customer``. The REST API documents an idempotency conflict (409)
but not its header, so nothing relies on one: after any doubt the entry is looked up by
reference with ``POST /services/core/query`` before it is sent again. Multi-entity companies
get ``X-IA-API-Param-Entity``. A 401 refreshes the token (single-flight, see
:mod:`~ledgersync_sage.oauth`) and repeats the call once; nothing ran on a 401.

Unconfirmed: the REST name of REFERENCENO (``referenceNumber`` here), the
query's field paths, and the token lifetime. Check them against a real company. The line
DOCUMENT the XML entries carry (the invoice a payment's A/R part settles) is not sent: its
REST name is not confirmed either.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

import httpx

from ledgersync import BooksTransaction, ExportRequest, ExportResult, Member, Operation
from ledgersync.http import send_within

from .books import PostedBatch, PostedLine, transactions
from .errors import IntacctError, IntacctFailure, UnmappedError
from .exporter import ReferenceLinks
from .oauth import TokenKeeper
from .posting import JOURNAL_KINDS, Entry, build_entry, reference_no
from .settings import STANDARD_DIMENSIONS, SageSettings

JOURNAL_ENTRY = "/objects/general-ledger/journal-entry"
CUSTOMER = "/objects/accounts-receivable/customer"
QUERY = "/services/core/query"
_FIELD_DIMENSION = {field: name for name, field in STANDARD_DIMENSIONS.items()}


def journal_entry_body(entry: Entry, *, journal: str, state: str) -> dict[str, Any]:
    lines = []
    for line in entry.lines:
        dimensions: dict[str, Any] = {}
        custom: dict[str, str] = {}
        for field, value in line.dimensions:
            name = _FIELD_DIMENSION.get(field)
            if name is not None:
                dimensions[name] = {"id": value}
            else:
                custom[field] = value
        body: dict[str, Any] = {
            "txnType": "debit" if line.debit else "credit", "txnAmount": f"{line.amount:.2f}",
            "glAccount": {"id": line.account}, "description": line.description}
        if dimensions:
            body["dimensions"] = dimensions
        if custom:
            body["customFields"] = custom
        lines.append(body)
    out: dict[str, Any] = {"glJournal": {"id": journal}, "postingDate": entry.date.isoformat(),
                           "description": entry.title, "referenceNumber": entry.reference_no,
                           "lines": lines}
    if state == "draft":
        out["state"] = "draft"  # posted is the default; only draft may be asked for
    return out


def failure_from(response: httpx.Response) -> IntacctFailure:
    """An ``ia::error`` answer as the failure the classifier reads (details as errors)."""
    status = response.status_code
    try:
        error = response.json()["ia::result"]["ia::error"]
    except (ValueError, KeyError, TypeError, RecursionError):
        error = None
    if not isinstance(error, dict):
        level = "http" if status >= 500 else "result"
        return IntacctFailure(f"Intacct REST answered HTTP {status} without an ia::error",
                              level=level, http_status=status)
    details = error.get("details")
    errors = [IntacctError(errorno=str(d.get("errorId") or d.get("code") or ""),
                           description2=str(d.get("message") or ""))
              for d in (details if isinstance(details, list) else []) if isinstance(d, dict)]
    support = error.get("supportId")
    errors.append(IntacctError(errorno=str(error.get("errorId") or error.get("code") or ""),
                               description2=str(error.get("message") or ""),
                               support_id=str(support) if support is not None else None))
    level = {401: "authentication", 403: "authentication", 429: "gateway"}.get(
        status, "http" if status >= 500 else "result")
    retry = response.headers.get("Retry-After")
    return IntacctFailure.of(level, errors, http_status=status,
                             retry_after=float(retry) if retry and retry.isdecimal()
                             and retry.isascii() else None,
                             sent=status != 429)


def _unreadable(response: httpx.Response, why: str) -> IntacctFailure:
    """A success status whose body is not the JSON object Intacct sends (a proxy's page, a cut
    body): the call may have run, so the item is looked up before anything is sent again."""
    return IntacctFailure(f"Intacct REST answered HTTP {response.status_code} with {why}",
                          level="http", http_status=response.status_code)


def _object(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        data = json.loads(response.content, parse_float=Decimal)
    except (ValueError, RecursionError):  # JSONDecodeError, UnicodeDecodeError, deep nesting
        raise _unreadable(response, "a body that is not JSON") from None
    if not isinstance(data, dict):
        raise _unreadable(response, f"a JSON {type(data).__name__}, not an object")
    return data


def _part(data: dict[str, Any], name: str, kind: type) -> Any:
    """``data[name]`` if it is a ``kind`` (absent or null: an empty one); else a failure."""
    value = data.get(name)
    if value is None:
        return kind()
    if not isinstance(value, kind):
        raise IntacctFailure(f"Intacct REST answered with {name} as a JSON "
                             f"{type(value).__name__}, expected a JSON "
                             f"{'object' if kind is dict else 'array'}", level="result")
    return value


def _whole(value: Any, name: str) -> int:
    """A count or position Intacct sends as a number (a digit string is taken too)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise IntacctFailure(f"Intacct REST answered with {name} = {value!r:.40}, not a "
                             "whole number", level="result")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) < 19):
        raise IntacctFailure(f"Intacct REST answered with {name} = {text!r:.40}, not a "
                             "whole number", level="result")
    return int(text)


class RestClient:
    def __init__(self, settings: SageSettings, tokens: TokenKeeper, http: httpx.Client) -> None:
        self.settings = settings
        self.tokens = tokens
        self.http = http
        self.base = settings.api_base_url.rstrip("/")
        self.requests = 0

    def call(self, method: str, path: str, body: dict[str, Any] | None = None
             ) -> dict[str, Any]:
        for attempt in (1, 2):
            token = self.tokens.access_token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if self.settings.entity_id:
                headers["X-IA-API-Param-Entity"] = self.settings.entity_id
            self.requests += 1
            try:
                response = send_within(
                    self.http, method, f"{self.base}{path}", json=body, headers=headers,
                    deadline_seconds=self.settings.request_deadline_seconds)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                raise IntacctFailure(f"cannot reach Intacct at {self.base}: {exc}",
                                     level="transport", code="network", sent=False) from None
            except httpx.TimeoutException as exc:
                raise IntacctFailure(f"no complete answer from Intacct in time: {exc}",
                                     level="transport", code="timeout") from None
            except httpx.HTTPError as exc:
                raise IntacctFailure(f"the connection to Intacct failed: {exc}",
                                     level="transport", code="network") from None
            if response.status_code == 401 and attempt == 1:
                self.tokens.refresh(failed=token)  # nothing ran: repeat with the new token
                continue
            if response.status_code >= 300:
                raise failure_from(response)
            return _object(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def count(self, obj: str) -> int:
        """How many records of ``obj`` the company has (the query's ``totalCount``)."""
        data = self.call("POST", QUERY, {"object": obj, "fields": ["key"], "filters": [],
                                         "start": 1, "size": 1})
        return _whole(_part(data, "ia::meta", dict).get("totalCount") or 0, "totalCount")

    def query(self, obj: str, fields: Sequence[str], filters: list[dict[str, Any]],
              *, size: int = 2000) -> Iterator[dict[str, Any]]:
        start = 1
        while True:
            body = {"object": obj, "fields": list(fields), "filters": filters,
                    "start": start, "size": size}
            data = self.call("POST", QUERY, body)
            rows = _part(data, "ia::result", list)
            if not all(isinstance(row, dict) for row in rows):
                raise IntacctFailure("Intacct REST answered a query with rows that are not "
                                     "JSON objects", level="result")
            yield from rows
            meta = _part(data, "ia::meta", dict)
            if not rows or meta.get("next") in (None, 0, ""):
                return
            following = _whole(meta["next"], "ia::meta.next")
            if following <= start:  # a page that points back would page forever
                raise IntacctFailure(f"Intacct REST answered page {start} of a query with "
                                     f"next = {following}", level="result")
            start = following


class RestExporter(ReferenceLinks):
    """The REST writes; reference data is linked exactly as over XML (no call)."""

    def __init__(self, client: RestClient, settings: SageSettings) -> None:
        super().__init__(settings)
        self.client = client

    def export(self, request: ExportRequest) -> ExportResult:
        linked = self.linked(request)
        if linked is not None:
            return linked
        record = request.record
        if isinstance(record, Member):
            if request.operation is not Operation.CREATE:
                raise UnmappedError(
                    f"{request.describe()}: changes to members are not sent to Intacct",
                    remedy="Edit the customer in Intacct if it matters, then clear this item",
                    code="unsupported-change")
            customer = self.customer_id(record.mms_id)
            self.client.call("POST", CUSTOMER, {"id": customer, "name": record.display_name})
            return ExportResult(external_id=customer)
        assert request.kind in JOURNAL_KINDS
        entry = build_entry(request, self.settings)
        body = journal_entry_body(entry, journal=self.settings.journal,
                                  state=self.settings.state)
        if request.operation is Operation.UPDATE:
            assert request.external_id is not None
            self.client.call("PATCH", f"{JOURNAL_ENTRY}/{request.external_id}", body)
            return ExportResult(external_id=request.external_id)
        data = self.client.call("POST", JOURNAL_ENTRY, body)
        key = _part(data, "ia::result", dict).get("key")
        if not key:
            raise IntacctFailure("Intacct accepted the journal entry but returned no key",
                                 level="result")
        return ExportResult(external_id=str(key))

    def export_batch(self, requests: Sequence[ExportRequest]
                     ) -> list[ExportResult | Exception]:
        out: list[ExportResult | Exception] = []
        for request in requests:
            try:
                out.append(self.export(request))
            except Exception as exc:  # noqa: BLE001 - reported on the item
                out.append(exc)
        return out

    def lookup(self, request: ExportRequest) -> ExportResult | None:
        linked = self.linked(request)
        if linked is not None:
            return linked
        if isinstance(request.record, Member):
            customer = self.customer_id(request.record.mms_id)
            rows = list(self.client.query("accounts-receivable/customer", ["key", "id"],
                                          [{"$eq": {"id": customer}}]))
            return ExportResult(external_id=customer) if rows else None
        if request.operation is Operation.UPDATE:
            return None
        reference = reference_no(self.settings, request.kind, request.record.mms_id,
                                 request.operation)
        rows = list(self.client.query(
            "general-ledger/journal-entry", ["key", "referenceNumber", "glJournal.id"],
            [{"$eq": {"referenceNumber": reference}},
             {"$eq": {"glJournal.id": self.settings.journal}}], size=10))
        if not rows:
            return None
        key = rows[0].get("key")
        if key in (None, ""):
            raise IntacctFailure(f"{request.describe()}: Intacct found the journal entry "
                                 f"{reference} but returned no key", level="result")
        return ExportResult(external_id=str(key))


class RestReports:
    """Today's balances and receivable transactions from the journal-entry lines (the REST
    API has no date filter ledgersync relies on yet: reports as of a day go over XML)."""

    def __init__(self, client: RestClient, settings: SageSettings) -> None:
        self.client = client
        self.settings = settings

    def _lines(self, extra: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        return self.client.query(
            "general-ledger/journal-entry-line",
            ["glAccount.id", "txnType", "baseAmount", "dimensions.customer.id",
             "journalEntry.key"],
            [{"$eq": {"state": "posted"}}, *extra])

    @staticmethod
    def _signed(row: dict[str, Any]) -> Decimal:
        value = row.get("baseAmount") or "0"
        try:
            amount = (Decimal(value) if isinstance(value, str | int | Decimal)
                      and not isinstance(value, bool) else Decimal("NaN"))
        except ArithmeticError:  # decimal.InvalidOperation
            amount = Decimal("NaN")
        if not amount.is_finite():
            raise IntacctFailure(f"Intacct REST answered a journal entry line with baseAmount "
                                 f"{value!r:.40}, not an amount", level="result")
        return amount if row.get("txnType") == "debit" else -amount

    def account_balances(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for row in self._lines([]):
            account = str(row.get("glAccount.id"))
            out[account] = out.get(account, Decimal("0.00")) + self._signed(row)
        return out

    def customer_balances(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for row in self._lines([{"$eq": {"glAccount.id": self.settings.ar_account}}]):
            customer = row.get("dimensions.customer.id")
            if customer:
                out[str(customer)] = out.get(str(customer), Decimal("0.00")) + self._signed(row)
        return out

    def books_transactions(self) -> list[BooksTransaction]:
        """The posted entries that move a customer's receivable (see :mod:`.books`)."""
        accounts = [self.settings.ar_account, *filter(None, [self.settings.tax_payable_account])]
        lines = [PostedLine(batch=str(row.get("journalEntry.key")), account=account,
                            signed=self._signed(row),
                            customer=str(row["dimensions.customer.id"])
                            if row.get("dimensions.customer.id") else None)
                 for account in accounts
                 for row in self._lines([{"$eq": {"glAccount.id": account}}])]
        wanted = {line.batch for line in lines if line.customer}
        if not wanted:
            return []
        batches = [PostedBatch(key=str(row["key"]), date=dt.date.fromisoformat(
                       str(row["postingDate"])), number=str(row["key"]),
                       reference=row.get("referenceNumber") or None)
                   for row in self.client.query(
                       "general-ledger/journal-entry", ["key", "postingDate", "referenceNumber"],
                       [{"$eq": {"state": "posted"}}])
                   if str(row.get("key")) in wanted]
        # REST sends no DOCUMENT on a line (its field name is unconfirmed), so applications
        # are unknown here rather than absent.
        return transactions(self.settings, batches, lines, applications_tracked=False)


__all__ = ["RestClient", "RestExporter", "RestReports", "journal_entry_body"]
