"""Write examples/club.jsonl: a small, deterministic year of a marina club's books.

    python examples/make_club.py > examples/club.jsonl
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal

rng = random.Random(2026)
CENT = Decimal("0.01")


def emit(record: dict[str, object]) -> None:
    print(json.dumps(record, default=str))


emit({"kind": "gl_account", "mms_id": "4000", "number": "4000", "name": "Dues income",
      "account_type": "income"})
emit({"kind": "gl_account", "mms_id": "4100", "number": "4100", "name": "Slip rental income",
      "account_type": "income"})
emit({"kind": "gl_account", "mms_id": "1000", "number": "1000", "name": "Operating bank",
      "account_type": "bank"})
emit({"kind": "gl_account", "mms_id": "2200", "number": "2200", "name": "Sales tax payable",
      "account_type": "other_current_liability"})
emit({"kind": "tax_rate", "mms_id": "TX-STATE", "name": "State sales tax", "rate": "6.25"})
emit({"kind": "item", "mms_id": "DUES", "name": "Annual dues", "income_account_id": "4000",
      "unit_price": "450.00"})
emit({"kind": "item", "mms_id": "SLIP30", "name": "Slip rental 30ft", "income_account_id": "4100",
      "unit_price": "180.00", "taxable": True})

members = [f"M{n:04d}" for n in range(1, 41)]
first = ["Ann", "Bo", "Cai", "Dee", "Eli", "Fay", "Gus", "Hal", "Ida", "Jo"]
last = ["Marsh", "Keel", "Stern", "Bow", "Reef", "Tide", "Wake", "Mast"]
for index, member in enumerate(members):
    name = f"{first[index % len(first)]} {last[index % len(last)]} {index + 1}"
    emit({"kind": "member", "mms_id": member, "display_name": name,
          "email": f"{member.lower()}@example.org", "account_number": member})

invoice_no = 1000
for month in range(1, 13):
    for member in rng.sample(members, 8):
        invoice_no += 1
        date = dt.date(2026, month, rng.randint(1, 28))
        quantity = Decimal(rng.randint(1, 3))
        amount = (quantity * Decimal("180.00")).quantize(CENT)
        tax = (amount * Decimal("0.0625")).quantize(CENT)
        lines = [{"item_id": "SLIP30", "account_id": None, "description": "Slip rental",
                  "quantity": str(quantity), "rate": "180.00", "amount": str(amount),
                  "tax_rate_id": "TX-STATE", "tax_amount": str(tax)}]
        if month == 1:
            lines.append({"item_id": "DUES", "account_id": None, "description": "Annual dues",
                          "quantity": "1", "rate": "450.00", "amount": "450.00",
                          "tax_rate_id": None, "tax_amount": "0"})
        total = sum(Decimal(line["amount"]) + Decimal(line["tax_amount"]) for line in lines)
        emit({"kind": "invoice", "mms_id": f"INV-{invoice_no}", "member_id": member,
              "number": str(invoice_no), "txn_date": date.isoformat(),
              "due_date": (date + dt.timedelta(days=30)).isoformat(), "currency": "USD",
              "lines": lines})
        if rng.random() < 0.7:
            paid = total if rng.random() < 0.8 else (total / 2).quantize(CENT)
            emit({"kind": "payment", "mms_id": f"PAY-{invoice_no}", "member_id": member,
                  "txn_date": (date + dt.timedelta(days=rng.randint(1, 20))).isoformat(),
                  "currency": "USD", "amount": str(paid), "method": "card",
                  "deposit_account_id": "1000",
                  "applications": [{"invoice_id": f"INV-{invoice_no}", "amount": str(paid)}]})

emit({"kind": "credit_memo", "mms_id": "CM-1", "member_id": "M0001", "number": "CM-1",
      "txn_date": "2026-03-15", "currency": "USD",
      "lines": [{"item_id": "SLIP30", "account_id": None, "description": "Storm closure credit",
                 "quantity": "1", "rate": "90.00", "amount": "90.00", "tax_rate_id": None,
                 "tax_amount": "0"}]})
emit({"kind": "refund", "mms_id": "RF-1", "member_id": "M0001", "number": "RF-1",
      "txn_date": "2026-03-20", "currency": "USD", "amount": "90.00", "method": "check",
      "from_account_id": "1000", "credit_memo_id": "CM-1"})
emit({"kind": "journal_entry", "mms_id": "JE-2026-12", "number": "JE-12",
      "txn_date": "2026-12-31", "currency": "USD",
      "lines": [{"account_id": "2200", "debit": "100.00", "credit": "0",
                 "description": "Sales tax remitted"},
                {"account_id": "1000", "debit": "0", "credit": "100.00",
                 "description": "Sales tax remitted"}]})
