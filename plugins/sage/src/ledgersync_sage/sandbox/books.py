"""One Intacct company of the sandbox: its chart of accounts, dimensions, customers, journal
entries, closed periods and the rules Intacct applies when a journal entry is created.

Errors are raised as :class:`Refusal` with the texts Intacct uses: the umbrella
``BL01001973`` followed by the generic "Could not create GLBatch record!" line, the specific
reason in ``description2``.
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

BL = "BL01001973"
#: GLENTRY dimension fields and the dimension object each names.
DIMENSION_FIELDS = {"LOCATION": "LOCATION", "DEPARTMENT": "DEPARTMENT", "CLASSID": "CLASS",
                    "PROJECTID": "PROJECT", "CUSTOMERID": "CUSTOMER"}
_DIMENSION_WORDS = {"LOCATION": "Location", "DEPARTMENT": "Department", "CLASS": "Class",
                    "PROJECT": "Project", "CUSTOMER": "Customer"}
GLENTRY_FIELDS = frozenset({
    "ACCOUNTNO", "TR_TYPE", "TRX_AMOUNT", "DESCRIPTION", "DOCUMENT", *DIMENSION_FIELDS,
    "TASKID", "COSTTYPEID", "VENDORID", "EMPLOYEEID", "ITEMID", "CONTRACTID", "WAREHOUSEID",
    "ALLOCATION", "CURRENCY", "EXCH_RATE_DATE", "EXCH_RATE_TYPE_ID", "EXCHANGE_RATE"})
GLBATCH_FIELDS = frozenset({
    "RECORDNO", "JOURNAL", "BATCH_DATE", "BATCH_TITLE", "REVERSEDATE", "HISTORY_COMMENT",
    "SUPDOCID", "TAXSOLUTIONID", "TRANSACTIONSOURCE", "REFERENCENO", "BASELOCATION_NO",
    "STATE", "ENTRIES"})
STATES = {"Posted": "P", "Draft": "I"}
#: The fields a query may select or filter on, per object.
QUERY_FIELDS = {
    "GLBATCH": ("RECORDNO", "BATCHNO", "BATCH_DATE", "BATCH_TITLE", "STATE", "REFERENCENO",
                "JOURNAL", "JOURNAL.SYMBOL"),
    "GLENTRY": ("RECORDNO", "BATCHNO", "LINE_NO", "ENTRY_DATE", "STATE", "ACCOUNTNO",
                "TR_TYPE", "AMOUNT", "TRX_AMOUNT", "DESCRIPTION", "DOCUMENT", *DIMENSION_FIELDS),
    "GLACCOUNT": ("RECORDNO", "ACCOUNTNO", "TITLE", "STATUS"),
    **{obj: ("RECORDNO", "CLASSID" if obj == "CLASS" else f"{obj}ID", "NAME", "STATUS")
       for obj in ("LOCATION", "DEPARTMENT", "CLASS", "PROJECT", "CUSTOMER")},
}
CENT = Decimal("0.01")


class Refusal(Exception):
    """A function Intacct would refuse: one or more (errorno, description2, correction)."""

    def __init__(self, *errors: tuple[str, str, str]) -> None:
        super().__init__(errors[0][1])
        self.errors = errors


def refuse(text: str, *, obj: str = "GLBatch", correction: str = "") -> Refusal:
    return Refusal((BL, text, correction), (BL, f"Could not create {obj} record!", ""))


@attrs.define
class Account:
    number: str
    title: str
    active: bool = True
    #: Dimension objects (LOCATION, DEPARTMENT, ...) a line on this account must carry.
    requires: set[str] = attrs.field(factory=set)


@attrs.define
class Batch:
    record_no: int
    journal: str
    date: dt.date
    title: str
    reference_no: str | None
    state: str  # P or I
    lines: list[dict[str, str]]
    created_by_controlid: str


@attrs.define
class Books:
    """The company's data; the gateway serialises access with its lock."""

    company_id: str
    accounts: dict[str, Account] = attrs.field(factory=dict)
    journals: set[str] = attrs.field(factory=lambda: {"GJ"})
    #: Dimension object -> ids (LOCATION, DEPARTMENT, CLASS, PROJECT, CUSTOMER).
    dimensions: dict[str, dict[str, dict[str, str]]] = attrs.field(
        factory=lambda: {name: {} for name in _DIMENSION_WORDS})
    multi_entity: bool = False
    #: Location id -> entity id (in a multi-entity company, entities are top locations).
    entity_of: dict[str, str] = attrs.field(factory=dict)
    #: Periods up to and including this day are closed.
    closed_through: dt.date | None = None
    batches: dict[int, Batch] = attrs.field(factory=dict)
    next_record_no: int = 6679

    # -- reference data -----------------------------------------------------------------------

    def add_account(self, number: str, title: str, *, requires: set[str] | None = None) -> None:
        self.accounts[number] = Account(number, title, requires=set(requires or ()))

    def add_dimension(self, obj: str, dim_id: str, name: str | None = None, *,
                      entity: str | None = None) -> None:
        self.dimensions[obj][dim_id] = {"ID": dim_id, "NAME": name or dim_id}
        if obj == "LOCATION" and entity is not None:
            self.entity_of[dim_id] = entity

    # -- customers ------------------------------------------------------------------------------

    def create_customer(self, node: ET.Element) -> dict[str, str]:
        values = {child.tag: (child.text or "").strip() for child in node}
        customer_id = values.get("CUSTOMERID", "")
        name = values.get("NAME", "")
        if not name:
            raise refuse("Required field Name is missing", obj="Customer")
        if not customer_id:
            customer_id = f"C-{len(self.dimensions['CUSTOMER']) + 1:05d}"
        if customer_id in self.dimensions["CUSTOMER"]:
            raise Refusal(("BL34000061", f"Another Customer with the given value(s) "
                           f"{customer_id} already exists", "Use a unique value instead."))
        self.add_dimension("CUSTOMER", customer_id, name)
        record_no = str(len(self.dimensions["CUSTOMER"]))
        self.dimensions["CUSTOMER"][customer_id]["RECORDNO"] = record_no
        return {"RECORDNO": record_no, "CUSTOMERID": customer_id}

    def delete_customer(self, customer_id: str) -> None:
        """Delete a customer, as Intacct allows only while no transaction names it."""
        if customer_id not in self.dimensions["CUSTOMER"]:
            raise refuse(f"Customer '{customer_id}' does not exist", obj="Customer")
        if any(line.get("CUSTOMERID") == customer_id
               for batch in self.batches.values() for line in batch.lines):
            raise refuse(f"Customer '{customer_id}' has transactions and cannot be deleted",
                         obj="Customer")
        del self.dimensions["CUSTOMER"][customer_id]

    # -- journal entries -------------------------------------------------------------------------

    def post(self, node: ET.Element, *, controlid: str, entity: str | None,
             record_no: int | None = None) -> Batch:
        """Check a GLBATCH element as Intacct does and post it (or replace ``record_no``)."""
        header = {child.tag: child for child in node}
        unknown = sorted(set(header) - GLBATCH_FIELDS)
        if unknown:
            raise refuse(f"Invalid field(s) for GLBATCH: {', '.join(unknown)}")
        text = {tag: (child.text or "").strip() for tag, child in header.items()}
        journal = text.get("JOURNAL", "")
        if not journal:
            raise refuse("Required field Journal is missing")
        if journal not in self.journals:
            raise refuse(f"Journal '{journal}' is not valid",
                         correction="Use the symbol of an existing journal")
        date = _date(text.get("BATCH_DATE", ""))
        if not text.get("BATCH_TITLE"):
            raise refuse("Required field Description (BATCH_TITLE) is missing")
        state = STATES.get(text.get("STATE") or "Posted")
        if state is None:
            raise refuse(f"Invalid STATE '{text['STATE']}': use Posted or Draft")
        if self.closed_through is not None and date <= self.closed_through:
            raise Refusal((BL, f"Periods are closed. Your transaction date "
                           f"({date:%m/%d/%Y}) is within a period that's been closed. "
                           "Reopen the period or use a date in an open period.", ""),
                          (BL, "Could not create GLBatch record!", ""))
        entries = header.get("ENTRIES")
        lines = [self._line(e, entity) for e in (entries if entries is not None else [])
                 if e.tag == "GLENTRY"]
        if len(lines) < 2:
            raise refuse("A journal entry needs at least two lines (GLENTRY)")
        self._balanced(lines)
        if record_no is None:
            record_no = self.next_record_no
            self.next_record_no += 1
        batch = Batch(record_no=record_no, journal=journal, date=date,
                      title=text["BATCH_TITLE"], reference_no=text.get("REFERENCENO") or None,
                      state=state, lines=lines, created_by_controlid=controlid)
        self.batches[record_no] = batch
        return batch

    def _line(self, node: ET.Element, entity: str | None) -> dict[str, str]:
        values = {child.tag: (child.text or "").strip() for child in node}
        unknown = sorted(tag for tag in values if tag not in GLENTRY_FIELDS
                         and not tag.startswith("GLDIM"))
        if unknown:
            raise refuse(f"Invalid field(s) for GLENTRY: {', '.join(unknown)}")
        number = values.get("ACCOUNTNO", "")
        account = self.accounts.get(number)
        if not number:
            raise refuse("Required field Account (ACCOUNTNO) is missing")
        if account is None or not account.active:
            raise refuse(f"Account {number} is not valid",
                         correction="Use an active account number")
        if values.get("TR_TYPE") not in ("1", "-1"):
            raise refuse(f"Invalid TR_TYPE '{values.get('TR_TYPE', '')}': use 1 (debit) or "
                         "-1 (credit)")
        amount = _amount(values.get("TRX_AMOUNT", ""))
        if self.multi_entity and not values.get("LOCATION"):
            if entity is None:
                raise refuse("Use of empty Location is invalid. A valid Multi-Entity Location "
                             "must be specified.")
            values["LOCATION"] = entity
        for field, obj in DIMENSION_FIELDS.items():
            value = values.get(field)
            if obj == "CUSTOMER" and value in self.dimensions[obj] and (
                    self.dimensions[obj][value].get("STATUS") == "inactive"):
                raise refuse(f"Customer '{value}' specified is not valid.",
                             correction="The customer is inactive: make it active or use "
                             "another customer")
            if value and value not in self.dimensions[obj]:
                word = _DIMENSION_WORDS[obj]
                if obj == "PROJECT":
                    raise refuse(f"Invalid Project '{value}' specified.")
                if obj == "CUSTOMER":
                    raise refuse(f"Customer '{value}' specified is not valid.")
                raise refuse(f"{word} '{value}' is not valid")
        for obj in sorted(account.requires):
            field = next(f for f, o in DIMENSION_FIELDS.items() if o == obj)
            if not values.get(field):
                raise refuse(f"This transaction is missing the {_DIMENSION_WORDS[obj]} "
                             f"dimension for the Account {number}")
        values["TRX_AMOUNT"] = f"{amount:.2f}"
        return values

    def _balanced(self, lines: list[dict[str, str]]) -> None:
        totals: dict[str, Decimal] = {}
        for line in lines:
            key = self.entity_of.get(line.get("LOCATION", ""), "") if self.multi_entity else ""
            sign = 1 if line["TR_TYPE"] == "1" else -1
            totals[key] = totals.get(key, Decimal(0)) + sign * Decimal(line["TRX_AMOUNT"])
        for key, total in totals.items():
            if total != 0:
                where = f" for entity {key}" if key else ""
                raise refuse(f"Transactions do not balance{where}: debits and credits differ "
                             f"by {abs(total):.2f}")

    # -- reading ---------------------------------------------------------------------------------

    def rows(self, obj: str) -> list[dict[str, Any]]:
        """The sandbox's objects as query rows."""
        if obj == "GLBATCH":
            return [{"RECORDNO": str(b.record_no), "BATCHNO": str(b.record_no),
                     "BATCH_DATE": f"{b.date:%m/%d/%Y}", "BATCH_TITLE": b.title,
                     "STATE": {"P": "Posted", "I": "Draft"}[b.state],
                     "REFERENCENO": b.reference_no or "", "JOURNAL": b.journal,
                     "JOURNAL.SYMBOL": b.journal} for b in self.batches.values()]
        if obj == "GLENTRY":
            rows = []
            for batch in self.batches.values():
                for n, line in enumerate(batch.lines, start=1):
                    rows.append({
                        "RECORDNO": str(batch.record_no * 1000 + n),
                        "BATCHNO": str(batch.record_no), "LINE_NO": str(n),
                        "ENTRY_DATE": f"{batch.date:%m/%d/%Y}",
                        "STATE": {"P": "Posted", "I": "Draft"}[batch.state],
                        "ACCOUNTNO": line["ACCOUNTNO"], "TR_TYPE": line["TR_TYPE"],
                        "AMOUNT": line["TRX_AMOUNT"], "TRX_AMOUNT": line["TRX_AMOUNT"],
                        "DESCRIPTION": line.get("DESCRIPTION", ""),
                        "DOCUMENT": line.get("DOCUMENT", ""),
                        **{f: line.get(f, "") for f in DIMENSION_FIELDS}})
            return rows
        if obj == "GLACCOUNT":
            return [{"RECORDNO": str(n), "ACCOUNTNO": a.number, "TITLE": a.title,
                     "STATUS": "active" if a.active else "inactive"}
                    for n, a in enumerate(self.accounts.values(), start=1)]
        if obj in self.dimensions:
            key = f"{obj}ID" if obj != "CLASS" else "CLASSID"
            return [{"RECORDNO": d.get("RECORDNO", str(n)), key: d["ID"], "NAME": d["NAME"],
                     "STATUS": d.get("STATUS", "active")}
                    for n, d in enumerate(self.dimensions[obj].values(), start=1)]
        raise refuse(f"Object {obj} is not available in this sandbox", obj=obj)

    def balances(self) -> dict[str, Decimal]:
        """Posted debits minus credits per account (what a trial balance shows)."""
        out: dict[str, Decimal] = {}
        for batch in self.batches.values():
            if batch.state != "P":
                continue
            for line in batch.lines:
                sign = 1 if line["TR_TYPE"] == "1" else -1
                out[line["ACCOUNTNO"]] = out.get(line["ACCOUNTNO"], Decimal(0)) + (
                    sign * Decimal(line["TRX_AMOUNT"]))
        return out


def _date(value: str) -> dt.date:
    if not re.fullmatch(r"\d{2}/\d{2}/\d{4}", value):
        raise refuse(f"Invalid BATCH_DATE '{value}': expected mm/dd/yyyy")
    try:
        return dt.datetime.strptime(value, "%m/%d/%Y").date()  # noqa: DTZ007 - a date only
    except ValueError:
        raise refuse(f"Invalid BATCH_DATE '{value}': no such day") from None


def _amount(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise refuse(f"Invalid TRX_AMOUNT '{value}'") from None
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(CENT):
        raise refuse(f"Invalid TRX_AMOUNT '{value}': a positive amount with at most two "
                     "decimals (the side is TR_TYPE)")
    return amount
