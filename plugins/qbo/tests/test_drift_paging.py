"""Drift when CDC's answer is full: the entity is completed with a last-updated query."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ledgersync import Invoice, InvoiceLine, Ledger, Member
from ledgersync_qbo.drift import check_drift
from ledgersync_qbo.sandbox import Sandbox, SandboxConfig, SandboxTransport, jsonio
from ledgersync_qbo.testing import sample_seed

COMPANY = "harbor"
D = Decimal


@pytest.fixture
def sandbox_config() -> SandboxConfig:
    return SandboxConfig(seed=sample_seed(), cdc_max_objects=3)


def change_total(sandbox: Sandbox, id_: str, amount: str) -> None:
    import httpx

    current = sandbox.get("Invoice", id_)
    assert current is not None
    body = {"Id": id_, "SyncToken": current["SyncToken"], "sparse": True,
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": D(amount),
                      "SalesItemLineDetail": {"ItemRef": {"value": "21"}, "Qty": 1,
                                              "UnitPrice": D(amount)}}]}
    with httpx.Client(transport=SandboxTransport(sandbox), base_url="http://qbo",
                      headers=sandbox.auth_headers()) as client:
        response = client.post(f"/v3/company/{sandbox.default_realm_id}/invoice",
                               content=jsonio.dumps(body))
    assert response.status_code == 200, response.text


def test_a_full_cdc_answer_is_completed_by_a_query(ledger: Ledger, sandbox: Sandbox) -> None:
    ledger.map(COMPANY, "item", "DUES", "21")
    ledger.record(records())
    ledger.sync(COMPANY)
    for n in range(1, 7):
        change_total(sandbox, qbo_id(ledger, f"INV-{n}"), "99.00")
    report = check_drift(ledger, COMPANY, limit=3)
    assert sorted(f.mms_id for f in report.findings) == [f"INV-{n}" for n in range(1, 7)]




def records() -> list[Any]:
    out: list[Any] = [Member(mms_id="M-1", display_name="Nia Obi")]
    for n in range(1, 7):
        out.append(Invoice(mms_id=f"INV-{n}", member_id="M-1", number=f"D-{n}", currency="USD",
                           txn_date=dt.date(2026, 1, 15),
                           lines=(InvoiceLine(item_id="DUES", quantity=D(1),
                                              rate=D("120.00"), amount=D("120.00")),)))
    return out


def qbo_id(ledger: Ledger, mms_id: str) -> str:
    item = next(i for i in ledger.items() if i.mms_id == mms_id and i.operation == "create")
    assert item.external_id is not None
    return item.external_id
