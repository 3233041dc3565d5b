"""The XML functions ledgersync sends: create/update GLBATCH, create CUSTOMER, query,
get_trialbalance, getAPISession. Field names and formats follow tests/data/03, 13 and 16."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from decimal import Decimal

from ledgersync import Member

from .envelope import Function, element, fields
from .posting import Entry

#: A filter: ("equalto", FIELD, value), ("lessthanorequalto", FIELD, value), or
#: ("and" | "or", [filter, ...]).
Filter = tuple[object, ...]


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def glentry(account: str, debit: bool, amount: Decimal, description: str,
            dimensions: Sequence[tuple[str, str]], document: str | None = None) -> ET.Element:
    return fields("GLENTRY", [
        ("ACCOUNTNO", account), ("TR_TYPE", "1" if debit else "-1"),
        ("TRX_AMOUNT", _amount(amount)), ("DOCUMENT", document), *dimensions,
        ("DESCRIPTION", description[:1000]),
    ])


def glbatch(entry: Entry, *, journal: str, state: str, record_no: str | None = None
            ) -> ET.Element:
    header = fields("GLBATCH", [
        ("RECORDNO", record_no), ("JOURNAL", journal),
        ("BATCH_DATE", entry.date.strftime("%m/%d/%Y")), ("BATCH_TITLE", entry.title),
        ("REFERENCENO", entry.reference_no), ("STATE", state.capitalize()),
    ])
    header.append(element("ENTRIES", None, *(
        glentry(line.account, line.debit, line.amount, line.description, line.dimensions,
                line.document)
        for line in entry.lines)))
    return header


def create_glbatch(controlid: str, entry: Entry, *, journal: str, state: str) -> Function:
    return Function(controlid, element("create", None,
                                       glbatch(entry, journal=journal, state=state)))


def update_glbatch(controlid: str, record_no: str, entry: Entry, *, journal: str,
                   state: str) -> Function:
    return Function(controlid, element("update", None, glbatch(
        entry, journal=journal, state=state, record_no=record_no)))


def create_customer(controlid: str, customer_id: str, member: Member) -> Function:
    contact = fields("DISPLAYCONTACT", [
        ("PRINTAS", member.display_name[:200]), ("FIRSTNAME", member.first_name),
        ("LASTNAME", member.last_name), ("COMPANYNAME", member.company_name),
        ("EMAIL1", member.email), ("PHONE1", member.phone)])
    customer = fields("CUSTOMER", [("CUSTOMERID", customer_id),
                                   ("NAME", member.display_name[:100])])
    customer.append(contact)
    return Function(controlid, element("create", None, customer))


def _filter(spec: Filter) -> ET.Element:
    op = str(spec[0])
    if op in ("and", "or"):
        parts = spec[1]
        assert isinstance(parts, list | tuple)
        return element(op, None, *(_filter(part) for part in parts))
    return element(op, None, element("field", str(spec[1])), element("value", str(spec[2])))


def query(controlid: str, obj: str, select: Sequence[str], where: Filter | None = None, *,
          pagesize: int = 2000, offset: int = 0, orderby: str | None = None) -> Function:
    """The generic ``query`` function (pagesize at most 2000; each page a new query)."""
    body = element("query", None, element("object", obj),
                   element("select", None, *(element("field", name) for name in select)))
    if where is not None:
        body.append(element("filter", None, _filter(where)))
    if orderby is not None:
        body.append(element("orderby", None, element("order", None, element("field", orderby),
                                                     element("ascending"))))
    body.append(element("pagesize", str(pagesize)))
    if offset:
        body.append(element("offset", str(offset)))
    return Function(controlid, body)


def get_api_session(controlid: str) -> Function:
    return Function(controlid, element("getAPISession"))


def _date(tag: str, day: dt.date) -> ET.Element:
    return element(tag, None, element("year", f"{day.year:04d}"),
                   element("month", f"{day.month:02d}"), element("day", f"{day.day:02d}"))


def get_trialbalance(controlid: str, start: dt.date, end: dt.date) -> Function:
    """The legacy ``get_trialbalance`` for a date range: per account the balance before
    ``start``, the period's debits and credits, and the balance at ``end``. Zero-balance
    accounts are asked for too, so that an account whose activity nets to zero still shows
    its debits and credits."""
    return Function(controlid, element(
        "get_trialbalance", None, _date("startdate", start), _date("enddate", end),
        element("showzerobalances", "true"), element("showdeptdetail", "false"),
        element("showlocdetail", "false")))
