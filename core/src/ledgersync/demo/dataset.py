"""A realistic, deterministic year of a marina club's receivables, for `ledgersync demo`.

Members pay annual dues in January; slip holders rent a slip every month (taxable); members
register for events; most pay, some in part, some late; storms close the docks (credit memos,
some refunded); each month's card deposits are journalled from undeposited funds to the bank,
and sales tax is remitted each quarter. The same seed always gives the same books.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

import attrs

from .._records import (
    CreditMemo,
    GLAccount,
    Invoice,
    InvoiceLine,
    Item,
    JournalEntry,
    JournalLine,
    Member,
    Payment,
    PaymentApplication,
    Record,
    Refund,
    TaxRate,
    Terms,
)

CENT = Decimal("0.01")
TAX_PERCENT = Decimal("6.25")

ACCOUNTS = (
    GLAccount(mms_id="1000", number="1000", name="Operating bank", account_type="bank"),
    GLAccount(mms_id="1200", number="1200", name="Accounts receivable",
              account_type="accounts_receivable"),
    GLAccount(mms_id="1499", number="1499", name="Undeposited funds", account_type="asset"),
    GLAccount(mms_id="2200", number="2200", name="Sales tax payable",
              account_type="other_current_liability"),
    GLAccount(mms_id="4000", number="4000", name="Dues income", account_type="income"),
    GLAccount(mms_id="4100", number="4100", name="Slip rental income", account_type="income"),
    GLAccount(mms_id="4200", number="4200", name="Event income", account_type="income"),
)
TAX = TaxRate(mms_id="TAX-STATE", name="State sales tax", rate=TAX_PERCENT, agency="State DOR")
TERMS = Terms(mms_id="NET30", name="Net 30", due_days=30)
SLIPS = {20: Decimal("140.00"), 30: Decimal("180.00"), 40: Decimal("240.00")}
ITEMS = (
    Item(mms_id="DUES", name="Annual dues", income_account_id="4000",
         unit_price=Decimal("450.00")),
    *(Item(mms_id=f"SLIP-{feet}", name=f"Slip rental {feet}ft", income_account_id="4100",
           unit_price=price, taxable=True) for feet, price in SLIPS.items()),
    Item(mms_id="EVENT", name="Event registration", income_account_id="4200",
         unit_price=Decimal("35.00")),
)

_FIRST = ("Ada", "Bo", "Cai", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo", "Kit", "Lou",
          "Max", "Noa", "Oli", "Pia", "Quin", "Ray", "Sol", "Tess")
_LAST = ("Marsh", "Keel", "Stern", "Bowline", "Reef", "Tide", "Wake", "Mast", "Harbor", "Cove",
         "Gale", "Anchor", "Beacon", "Drift")


@attrs.frozen
class Dataset:
    """The records, in the order an MMS would record them, and what the story needs."""

    records: tuple[Record, ...]
    year: int
    slip_holders: tuple[str, ...]

    def count(self, kind: str) -> int:
        return sum(1 for record in self.records if record.kind == kind)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _line(item: Item, quantity: int, description: str, *, taxable: bool) -> InvoiceLine:
    assert item.unit_price is not None
    amount = _money(item.unit_price * quantity)
    tax = _money(amount * TAX_PERCENT / 100) if taxable else Decimal("0.00")
    return InvoiceLine(item_id=item.mms_id, description=description, quantity=Decimal(quantity),
                       rate=item.unit_price, amount=amount,
                       tax_rate_id=TAX.mms_id if taxable else None, tax_amount=tax)


def generate(*, members: int = 250, year: int = 2026, seed: int = 7) -> Dataset:
    """A year of the club's books; ``members`` of them, a third holding a slip."""
    rng = random.Random(seed)
    items = {item.mms_id: item for item in ITEMS}
    records: list[Record] = [*ACCOUNTS, TAX, TERMS, *ITEMS]
    member_ids = [f"M-{n:04d}" for n in range(1, members + 1)]
    for index, member_id in enumerate(member_ids):
        first, last = _FIRST[index % len(_FIRST)], _LAST[(index // len(_FIRST)) % len(_LAST)]
        records.append(Member(
            mms_id=member_id, display_name=f"{first} {last} ({member_id})", first_name=first,
            last_name=last, email=f"{first}.{last}.{index}@example.org".lower(),
            account_number=member_id))
    slip_of = {m: rng.choice(list(SLIPS)) for m in member_ids if rng.random() < 0.34}
    number = 10000
    deposits: dict[int, Decimal] = {}
    tax_by_quarter: dict[int, Decimal] = {}

    def bill(member: str, day: dt.date, lines: list[InvoiceLine], pay: float) -> None:
        nonlocal number
        number += 1
        invoice = Invoice(mms_id=f"INV-{number}", member_id=member, number=str(number),
                          txn_date=day, due_date=day + dt.timedelta(days=30), currency="USD",
                          terms_id=TERMS.mms_id, lines=tuple(lines))
        records.append(invoice)
        quarter = (day.month - 1) // 3
        tax_by_quarter[quarter] = tax_by_quarter.get(quarter, Decimal(0)) + sum(
            (line.tax_amount for line in lines), Decimal(0))
        if rng.random() < pay:
            total = invoice.total()
            paid = total if rng.random() < 0.85 else _money(total / 2)
            paid_on = min(day + dt.timedelta(days=rng.randint(0, 25)), dt.date(year, 12, 31))
            records.append(Payment(
                mms_id=f"PAY-{number}", member_id=member, txn_date=paid_on, currency="USD",
                amount=paid, method=rng.choice(("card", "card", "check", "ach")),
                deposit_account_id="1499",
                applications=(PaymentApplication(invoice_id=invoice.mms_id, amount=paid),)))
            deposits[paid_on.month] = deposits.get(paid_on.month, Decimal(0)) + paid

    for member in member_ids:
        bill(member, dt.date(year, 1, rng.randint(2, 10)),
             [_line(items["DUES"], 1, f"Annual dues {year}", taxable=False)], pay=0.93)
    for month in range(1, 13):
        for member, feet in sorted(slip_of.items()):
            bill(member, dt.date(year, month, 1),
                 [_line(items[f"SLIP-{feet}"], 1, f"Slip {feet}ft, {month:02d}/{year}",
                        taxable=True)], pay=0.9)
        # Twelve event-goers a month, or every member of a smaller club.
        for member in rng.sample(member_ids, min(12, len(member_ids))):
            seats = rng.randint(1, 4)
            bill(member, dt.date(year, month, rng.randint(5, 25)),
                 [_line(items["EVENT"], seats, f"Club event, {month:02d}/{year}",
                        taxable=False)], pay=0.95)
    storm = sorted(slip_of)[:12]
    for index, member in enumerate(storm):
        feet = slip_of[member]
        credit = _money(SLIPS[feet] / 2)
        memo = CreditMemo(
            mms_id=f"CM-{index + 1:03d}", member_id=member, number=f"CM{index + 1:03d}",
            txn_date=dt.date(year, 9, 15), currency="USD",
            lines=(InvoiceLine(item_id=f"SLIP-{feet}", description="Storm closure credit",
                               quantity=Decimal(1), rate=credit, amount=credit),))
        records.append(memo)
        if index % 2 == 0:
            records.append(Refund(
                mms_id=f"RF-{index + 1:03d}", member_id=member, number=f"RF{index + 1:03d}",
                txn_date=dt.date(year, 9, 30), currency="USD", amount=credit, method="check",
                from_account_id="1000", credit_memo_id=memo.mms_id))
    for month, amount in sorted(deposits.items()):
        last_day = (dt.date(year, month % 12 + 1, 1) - dt.timedelta(days=1)
                    if month < 12 else dt.date(year, 12, 31))
        records.append(JournalEntry(
            mms_id=f"JE-DEP-{year}-{month:02d}", number=f"DEP{month:02d}", txn_date=last_day,
            currency="USD", memo="Monthly deposit of member payments",
            lines=(JournalLine(account_id="1000", debit=amount, description="Deposit"),
                   JournalLine(account_id="1499", credit=amount, description="Deposit"))))
    for quarter, tax in sorted(tax_by_quarter.items()):
        if tax:
            records.append(JournalEntry(
                mms_id=f"JE-TAX-{year}-Q{quarter + 1}", number=f"TAXQ{quarter + 1}",
                txn_date=dt.date(year, quarter * 3 + 3, 28), currency="USD",
                memo="Sales tax remitted",
                lines=(JournalLine(account_id="2200", debit=_money(tax), description="Remit"),
                       JournalLine(account_id="1000", credit=_money(tax),
                                   description="Remit"))))
    return Dataset(records=tuple(records), year=year, slip_holders=tuple(sorted(slip_of)))
