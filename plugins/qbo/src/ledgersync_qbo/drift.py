"""Drift: records changed or deleted in QuickBooks after ledgersync exported them.

`ledgersync qbo drift COMPANY` (run it after `ledgersync run`, e.g. from the same cron line)
reads QBO's Change Data Capture feed since the last check (the watermark is kept in the
connector state), compares every changed object that is linked to an MMS record with the MMS
version, and writes each difference into the sync log, attached to the item and to the
company's latest run:

    Invoice 1042 (MMS INV-1) changed in QuickBooks on 2026-03-04: total 120.00 → 100.00;
    `ledgersync resync --company harbor --kind invoice --mms-id INV-1` pushes the MMS version

Only differences that matter to the books are reported (deleted, voided, total, customer,
number, date; a customer's name or active flag), so a payment applied in QuickBooks (which
changes the invoice's SyncToken and balance) is not drift. CDC keeps 30 days and at most 1000
objects an answer: an older watermark is clamped (and said so), and an entity
whose answer is full is also read with a query on ``MetaData.LastUpdatedTime``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import attrs

from ledgersync import ItemFilter, Ledger, Member, Record, Status

from .connector import QboConnector
from .mapping import TAX_REMEDY, display_name, entity_of, expected_total, tax_difference

Obj = dict[str, Any]
WATERMARK_KEY = "qbo.cdc-watermark"
CDC_DAYS = 30
CDC_MAX_OBJECTS = 1000
_KINDS = ("member", "item", "invoice", "credit_memo", "payment", "journal_entry", "refund")


TAX_DIFFERENCE = "tax computed differently"


@attrs.frozen
class Finding:
    kind: str
    mms_id: str
    item_id: int
    entity: str
    external_id: str
    changed_on: str
    deleted: bool
    differences: tuple[str, ...]

    def message(self, company: str) -> str:
        head = f"{self.entity} {self.external_id} (MMS {self.mms_id})"
        selector = f"--company {company} --kind {self.kind} --mms-id {self.mms_id}"
        if self.deleted:
            return (f"{head} deleted in QuickBooks on {self.changed_on}; "
                    f"`ledgersync unlink {selector}` creates it again")
        if self.differences and all(d.startswith(TAX_DIFFERENCE) for d in self.differences):
            # Not an edit: QuickBooks computed the tax from the code it was given, and a
            # resync would compute it the same way again.
            return (f"{head}: {'; '.join(self.differences)}; "
                    f"{TAX_REMEDY.replace('COMPANY', company)}")
        return (f"{head} changed in QuickBooks on {self.changed_on}: "
                f"{'; '.join(self.differences)}; `ledgersync resync {selector}` pushes the MMS "
                "version again")


@attrs.frozen
class DriftReport:
    company: str
    since: str
    until: str
    findings: tuple[Finding, ...]
    clamped: bool  # the last check was longer ago than CDC keeps changes


def _changes(connector: QboConnector, entities: list[str], since: str, limit: int
             ) -> tuple[list[Obj], str]:
    """Changed objects (their entity under ``_entity``) since ``since``, and the server time
    of the answer. CDC answers at most ``limit`` objects and has no upper bound to page by, so
    an entity whose answer is full is also read with a query on its last-updated time."""
    answer = connector.client.cdc(entities, since)
    rows = _rows(answer)
    until = str(answer.get("time") or since)
    if len(rows) < limit:
        return rows, until
    rows = []
    for entity in entities:
        found = _rows(connector.client.cdc([entity], since))
        if len(found) >= limit:
            seen = {str(r.get("Id")) for r in found}
            found += [{**row, "_entity": entity} for row in connector.client.query_all(
                entity, f"MetaData.LastUpdatedTime >= '{since}'",
                include_inactive=entity in ("Customer", "Item"))
                if str(row.get("Id")) not in seen]
        rows.extend(found)
    return rows, until


def _rows(answer: Obj) -> list[Obj]:
    rows: list[Obj] = []
    for response in answer.get("CDCResponse") or []:
        for group in response.get("QueryResponse") or []:
            for entity, objects in group.items():
                if isinstance(objects, list):
                    rows.extend({**obj, "_entity": entity} for obj in objects
                                if isinstance(obj, dict))
    return rows


def _linked(ledger: Ledger, company: str, connector: QboConnector
            ) -> dict[tuple[str, str], tuple[str, int, str]]:
    """(entity, QBO id) -> (kind, create item id, MMS id) for every synced record."""
    index: dict[tuple[str, str], tuple[str, int, str]] = {}
    for item in ledger.items(ItemFilter(company=company, status=[Status.SYNCED]), limit=None):
        if item.external_id is None or item.kind not in _KINDS:
            continue
        key = (entity_of(item.kind, connector.settings), item.external_id)
        if item.operation == "create" or key not in index:
            index[key] = (item.kind, item.id, item.mms_id)
    return index


def _differences(record: Record, obj: Obj, ledger: Ledger, company: str) -> list[str]:
    out: list[str] = []
    if isinstance(record, Member):
        name = display_name(record)
        if obj.get("DisplayName") != name:
            out.append(f"name {name!r} → {obj.get('DisplayName')!r}")
        if obj.get("Active") is False and record.active:
            out.append("made inactive")
        return out
    note = obj.get("PrivateNote")
    if isinstance(note, str) and note.startswith("Voided") and not getattr(
            record, "voided", False):
        out.append("voided")
    expected = expected_total(record)
    total = obj.get("TotalAmt")
    tax = tax_difference(record, obj)
    if tax is not None and expected is not None and not getattr(record, "voided", False):
        out.append(tax)
        # What the tax explains is no edit; anything beyond it is.
        expected += Decimal(str(obj["TxnTaxDetail"]["TotalTax"])) - sum(
            (Decimal(line.tax_amount) for line in getattr(record, "lines", ())), Decimal(0))
    if expected is not None and total is not None and Decimal(str(total)) != expected \
            and not getattr(record, "voided", False):
        out.append(f"total {expected} → {Decimal(str(total)):.2f}")
    number = getattr(record, "number", None)
    if number and obj.get("DocNumber") not in (None, number) and record.kind != "payment":
        out.append(f"number {number} → {obj.get('DocNumber')}")
    date = record.document_date()
    if date is not None and obj.get("TxnDate") not in (None, date.isoformat()):
        out.append(f"date {date} → {obj.get('TxnDate')}")
    member = record.customer_mms_id()
    customer = (obj.get("CustomerRef") or {}).get("value")
    if member and customer:
        linked = next((i.external_id for i in ledger.items(ItemFilter(
            company=company, kind="member", mms_id=member, status=[Status.SYNCED]), limit=1)),
            None)
        if linked is not None and linked != customer:
            out.append(f"customer {linked} → {customer}")
    return out


def check_drift(ledger: Ledger, company: str, *, since: dt.datetime | None = None,
                write_notes: bool = True, limit: int = CDC_MAX_OBJECTS) -> DriftReport:
    connector = ledger.connector(company)
    if not isinstance(connector, QboConnector):
        raise TypeError(f"company {company!r} does not use the QuickBooks Online connector")
    state = connector.context.state
    now = connector.context.utcnow()
    oldest = now - dt.timedelta(days=CDC_DAYS) + dt.timedelta(minutes=5)
    stored = state.get(WATERMARK_KEY)
    start = since or (dt.datetime.fromisoformat(stored) if stored else oldest)
    clamped = start < oldest
    start = max(start, oldest)
    entities = sorted({entity_of(kind, connector.settings) for kind in _KINDS})
    # The watermark is QBO's own time of the last answer, sent back as QBO wrote it.
    text = stored if (since is None and stored and not clamped) else start.isoformat(
        timespec="seconds")
    rows, until = _changes(connector, entities, text, limit)
    findings = list(_findings(ledger, company, connector, rows))
    if write_notes:
        runs = ledger.runs(company=company, limit=1)
        run_id = runs[0].id if runs else None
        for finding in findings:
            ledger.note(company, finding.message(company), item_id=finding.item_id,
                        kind=finding.kind, code="drift", run_id=run_id, actor="qbo-drift")
        state.put(WATERMARK_KEY, until)
    return DriftReport(company=company, since=text,
                       until=until, findings=tuple(findings), clamped=clamped)


def _findings(ledger: Ledger, company: str, connector: QboConnector, rows: Iterable[Obj]
              ) -> Iterable[Finding]:
    linked = _linked(ledger, company, connector)
    seen: set[tuple[str, str]] = set()
    for obj in rows:
        key = (str(obj["_entity"]), str(obj.get("Id")))
        if key in seen or key not in linked:
            continue
        seen.add(key)
        kind, item_id, mms_id = linked[key]
        changed = str((obj.get("MetaData") or {}).get("LastUpdatedTime", ""))[:10]
        record = ledger.recorded(company, kind, mms_id)
        if record is None:
            continue
        if obj.get("status") == "Deleted":
            if not getattr(record, "voided", False):  # our void deletes what QBO cannot void
                yield Finding(kind, mms_id, item_id, key[0], key[1], changed, True, ())
            continue
        differences = _differences(record, obj, ledger, company)
        if differences:
            yield Finding(kind, mms_id, item_id, key[0], key[1], changed, False,
                          tuple(differences))
