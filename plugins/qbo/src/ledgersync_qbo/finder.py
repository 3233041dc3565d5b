"""Finding records in QBO: what an interrupted export wrote, who holds a duplicate number or
name, and which customer a new member already is.

Searches narrow by queryable fields (DocNumber, DisplayName, customer and date) and then
recognise our own records by the ``mms:<kind>:<id>`` note; inactive names are searched too,
since QBO keeps names unique across them.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from ledgersync import ConnectorError, CustomerMatch, ExportRequest, Member, Record

from . import mapping
from .client import QboClient
from .errors import QboError
from .querytext import Condition, equals, same_text, select
from .settings import QboSettings

Obj = dict[str, Any]
_TXN_ID = re.compile(r"TxnType=(\w+) with TxnId=(\d+)")
_PEOPLE = ("Customer", "Vendor", "Employee")


class Finder:
    def __init__(self, client: QboClient, settings: QboSettings, company: str) -> None:
        self.client = client
        self.settings = settings
        self.company = company

    def _rows(self, entity: str, condition: Condition, *extra: str,
              include_inactive: bool = False, field: str | None = None,
              value: str | None = None) -> list[Obj]:
        rows = self.client.query(select(entity, condition, *extra,
                                        include_inactive=include_inactive) + " MAXRESULTS 1000")
        if condition.inexact and field is not None and value is not None:
            rows = [r for r in rows if same_text(_field(r, field), value)]
        return rows

    # -- our own records -------------------------------------------------------------------------

    def find_created(self, request: ExportRequest) -> Obj | None:
        """The QBO object an earlier attempt created for this record, or None if there is none.

        Lists are found by their unique name; transactions by DocNumber (or customer and date)
        and then our note, since a number alone may be someone else's document.
        """
        record = request.record
        entity = mapping.entity_of(record.kind, self.settings)
        if isinstance(record, Member):
            name = mapping.display_name(record)
            rows = self._rows("Customer", equals("DisplayName", name), include_inactive=True,
                              field="DisplayName", value=name)
            return rows[0] if rows else None
        if record.kind == "item":
            name = str(getattr(record, "name", ""))
            rows = self._rows("Item", equals("Name", name), include_inactive=True,
                              field="Name", value=name)
            return rows[0] if rows else None
        # A Payment's number is its PaymentRefNum, which is not a search key.
        number = getattr(record, "number", None) if entity != "Payment" else None
        if number:
            candidates = self._rows(entity, equals("DocNumber", number),
                                    field="DocNumber", value=number)
        else:
            conditions = [f"TxnDate = '{record.document_date()}'"]
            member = record.customer_mms_id()
            if entity == "Payment" and member is not None:
                conditions.append(f"CustomerRef = '{request.ref('member', member)}'")
            candidates = self.client.query(
                f"{select(entity, *conditions)} MAXRESULTS 1000")
        return next((c for c in candidates if mapping.has_marker(c, record.kind, record.mms_id)),
                    None)

    # -- duplicates --------------------------------------------------------------------------------

    def duplicate(self, request: ExportRequest, error: QboError) -> tuple[Obj | None, str]:
        """For 6140/6240: the holder if it is our record (or provably the same), and who it is."""
        if "6140" in error.codes:
            return self._duplicate_number(request, error)
        return self._duplicate_name(request)

    def _duplicate_number(self, request: ExportRequest, error: QboError
                          ) -> tuple[Obj | None, str]:
        match = _TXN_ID.search(error.detail)
        record = request.record
        entity = mapping.entity_of(record.kind, self.settings)
        if match is None:
            found = self.find_created(request)
            return found, (f"{entity} {found['Id']}" if found else "another document")
        txn_type, txn_id = match.groups()
        try:
            holder = self.client.read(txn_type, txn_id)
        except QboError:
            return None, f"{txn_type} {txn_id}"
        label = f"{txn_type} {txn_id}"
        if mapping.has_marker(holder, record.kind, record.mms_id):
            return holder, label
        if txn_type == entity and _same_document(request, record, holder):
            return holder, f"{label} (same customer, date and total)"
        total = holder.get("TotalAmt")
        customer = (holder.get("CustomerRef") or {}).get("name") or \
            (holder.get("CustomerRef") or {}).get("value")
        return None, f"{label} (customer {customer}, total {total})"

    def _duplicate_name(self, request: ExportRequest) -> tuple[Obj | None, str]:
        record = request.record
        if record.kind == "item":
            found = self.find_created(request)
            if found is not None:
                return found, f"item {found.get('Name')!r} (Id {found['Id']})"
            return None, "another product or service"
        if not isinstance(record, Member):
            return None, "another record"
        name = mapping.display_name(record)
        for entity in _PEOPLE:
            rows = self._rows(entity, equals("DisplayName", name), include_inactive=True,
                              field="DisplayName", value=name)
            for row in rows:
                state = "" if row.get("Active", True) else ", inactive"
                label = f"{entity.lower()} {row.get('DisplayName')!r} (Id {row['Id']}{state})"
                if entity == "Customer" and self._same_member(record, row):
                    return row, label
                return None, label
        return None, "another customer, vendor or employee"

    def _same_member(self, member: Member, row: Obj) -> bool:
        email = (row.get("PrimaryEmailAddr") or {}).get("Address")
        if member.email and email and same_text(email, member.email):
            return True
        field = self.settings.account_number_field
        return bool(member.account_number and field and row.get(field) == member.account_number)

    # -- members ----------------------------------------------------------------------------------

    def match_member(self, member: Member) -> CustomerMatch | None:
        """The configured rules in order; the first rule with candidates decides, and two or
        more candidates are never guessed between."""
        for rule in self.settings.match_by:
            condition = self._rule_condition(rule, member)
            if condition is None:
                continue
            field, value, cond = condition
            rows = self._rows("Customer", cond, include_inactive=True, field=field, value=value)
            if len(rows) == 1:
                row = rows[0]
                how = rule.replace("_", " ")
                if row.get("Active") is False:
                    how += " (inactive in QuickBooks: reactivate it there)"
                return CustomerMatch(external_id=str(row["Id"]),
                                     display_name=str(row.get("DisplayName")), matched_by=how)
            if len(rows) > 1:
                names = ", ".join(f"{r.get('DisplayName')!r} (Id {r['Id']})" for r in rows[:5])
                raise ConnectorError(
                    f"member {member.mms_id!r} matches {len(rows)} QuickBooks customers by "
                    f"{rule.replace('_', ' ')}: {names}",
                    code="ambiguous", sent=False,
                    remedy="Merge the duplicates in QuickBooks, or give the member a value "
                           f"only one customer has, or drop {rule!r} from match_by in the "
                           "company's qbo settings; then requeue the member")
        return None

    def _rule_condition(self, rule: str, member: Member) -> tuple[str, str, Condition] | None:
        if rule == "email" and member.email:
            return "PrimaryEmailAddr", member.email, equals("PrimaryEmailAddr", member.email)
        if rule == "display_name":
            name = mapping.display_name(member)
            return "DisplayName", name, equals("DisplayName", name)
        field = self.settings.account_number_field
        if rule == "account_number" and field and member.account_number:
            return field, member.account_number, equals(field, member.account_number)
        return None


def _field(row: Obj, name: str) -> Any:
    value = row.get(name)
    if isinstance(value, dict):
        return value.get("Address", value.get("value"))
    return value


def _same_document(request: ExportRequest, record: Record, holder: Obj) -> bool:
    """A document numbered like ours for the same customer, date and total is ours (a record
    entered by hand before the sync, or written by an export whose note was edited)."""
    member = record.customer_mms_id()
    expected = mapping.expected_total(record)
    if member is None or expected is None:
        return False
    customer = (holder.get("CustomerRef") or {}).get("value")
    return (customer == request.references.get(("member", member))
            and holder.get("TxnDate") == str(record.document_date())
            and Decimal(str(holder.get("TotalAmt", "nan"))) == expected)
