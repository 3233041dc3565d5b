"""The sandbox's ``get_trialbalance`` (the legacy General Ledger function): for a date range,
per account the balance before the start date, the period's debits and credits, the
adjustments and the balance at the end date, computed from the posted journal entries.

It takes the documented parameters only, refuses any other element (as the DTD does), dates
that are not whole ``year``/``month``/``day`` objects or not days at all, a start after the
end, booleans other than ``true``/``false`` and a reporting book other than the company's
(``ACCRUAL``). Reporting periods, department and location detail are not modelled: asking
for them is refused with a sentence that says so rather than answered wrongly.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

from .books import Books, Refusal

XL = "XL03000003"
BL = "BL01001973"
PARAMETERS = ("reportingperiodname", "startdate", "enddate", "debitcreditbalance",
              "showzerobalances", "showdeptdetail", "showlocdetail", "reportingbook",
              "adjbooks", "includereportingbook", "statistical", "locationid",
              "departmentid")
BOOLEANS = ("debitcreditbalance", "showzerobalances", "showdeptdetail", "showlocdetail",
            "includereportingbook")
BOOK = "ACCRUAL"
ZERO = Decimal("0.00")


def _day(node: ET.Element | None, name: str) -> dt.date:
    if node is None:
        raise Refusal((BL, f"Required field {name} is missing: give startdate and enddate, "
                       "or a reportingperiodname", ""))
    parts = {child.tag: (child.text or "").strip() for child in node}
    if sorted(parts) != ["day", "month", "year"] or not all(v.isdigit() for v in parts.values()):
        raise Refusal((XL, f"XML Parse schema error: {name} takes year, month and day as "
                       "numbers", ""))
    try:
        return dt.date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        raise Refusal((BL, f"Invalid {name} {parts['month']}/{parts['day']}/{parts['year']}",
                       "")) from None


def trial_balance(body: ET.Element, books: Books) -> ET.Element:
    given = {child.tag: child for child in body}
    unknown = sorted(set(given) - set(PARAMETERS))
    if unknown:
        raise Refusal((XL, f"XML Parse schema error: get_trialbalance does not take "
                       f"{', '.join(unknown)}", ""))
    for name in BOOLEANS:
        if name in given and (given[name].text or "").strip() not in ("true", "false"):
            raise Refusal((XL, f"XML Parse schema error: {name} is true or false", ""))
    if "reportingperiodname" in given:
        raise Refusal((BL, f"Reporting period '{(given['reportingperiodname'].text or '')}' "
                       "does not exist (the sandbox has no reporting periods: use startdate "
                       "and enddate)", ""))
    for name in ("showdeptdetail", "showlocdetail"):
        if (given.get(name) is not None and (given[name].text or "").strip() == "true"):
            raise Refusal((BL, f"{name} is not modelled by the sandbox", ""))
    book = (given["reportingbook"].text or "").strip() if "reportingbook" in given else BOOK
    if book != BOOK:
        raise Refusal((BL, f"Invalid reporting book '{book}': the company reports on {BOOK}",
                       ""))
    start = _day(given.get("startdate"), "startdate")
    end = _day(given.get("enddate"), "enddate")
    if start > end:
        raise Refusal((BL, f"The start date {start:%m/%d/%Y} is after the end date "
                       f"{end:%m/%d/%Y}", ""))
    zeros = given.get("showzerobalances") is not None and (
        given["showzerobalances"].text or "").strip() == "true"
    opening: dict[str, Decimal] = dict.fromkeys(books.accounts, ZERO)
    debits: dict[str, Decimal] = dict.fromkeys(books.accounts, ZERO)
    credits: dict[str, Decimal] = dict.fromkeys(books.accounts, ZERO)
    for batch in books.batches.values():
        if batch.state != "P" or batch.date > end:
            continue
        for line in batch.lines:
            account, amount = line["ACCOUNTNO"], Decimal(line["TRX_AMOUNT"])
            debit = line["TR_TYPE"] == "1"
            if batch.date < start:
                opening[account] += amount if debit else -amount
            elif debit:
                debits[account] += amount
            else:
                credits[account] += amount
    data = ET.Element("data", {"listtype": "trialbalance"})
    for account in sorted(books.accounts):
        ending = opening[account] + debits[account] - credits[account]
        if not zeros and not any((opening[account], debits[account], credits[account])):
            continue
        row = ET.SubElement(data, "trialbalance")
        for tag, value in (("glaccountno", account), ("startbalance", f"{opening[account]:.2f}"),
                           ("debits", f"{debits[account]:.2f}"),
                           ("credits", f"{credits[account]:.2f}"), ("adjdebits", "0.00"),
                           ("adjcredits", "0.00"), ("endbalance", f"{ending:.2f}"),
                           ("reportingbook", BOOK), ("currency", "USD")):
            ET.SubElement(row, tag).text = value
    data.set("count", str(len(data)))
    return data
