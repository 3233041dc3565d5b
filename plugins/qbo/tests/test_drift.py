"""Drift: records changed or deleted in QuickBooks after export, found through CDC and written
to the sync log with the command that pushes the MMS version again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ledgersync import Invoice, InvoiceLine, Ledger, Member, Payment, PaymentApplication
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.drift import WATERMARK_KEY, check_drift
from ledgersync_qbo.sandbox import Sandbox, SandboxTransport, jsonio

COMPANY = "harbor"
D = Decimal
DAY = dt.date(2026, 1, 15)


def records(count: int = 2) -> list[Any]:
    out: list[Any] = [Member(mms_id="M-1", display_name="Nia Obi", email="nia@x.org")]
    for n in range(1, count + 1):
        out.append(Invoice(mms_id=f"INV-{n}", member_id="M-1", number=f"D-{n}", txn_date=DAY,
                           currency="USD",
                           lines=(InvoiceLine(item_id="DUES", quantity=D(1),
                                              rate=D("120.00"), amount=D("120.00")),)))
    return out


@pytest.fixture
def synced(ledger: Ledger) -> Ledger:
    ledger.map(COMPANY, "item", "DUES", "21")
    ledger.record(records())
    ledger.sync(COMPANY)
    assert {i.status for i in ledger.items()} == {"synced"}
    return ledger


def qbo_id(ledger: Ledger, mms_id: str) -> str:
    item = next(i for i in ledger.items() if i.mms_id == mms_id and i.operation == "create")
    assert item.external_id is not None
    return item.external_id


def post(sandbox: Sandbox, entity: str, body: dict[str, Any], **params: str) -> None:
    import httpx

    with httpx.Client(transport=SandboxTransport(sandbox), base_url="http://qbo",
                      headers=sandbox.auth_headers()) as client:
        response = client.post(f"/v3/company/{sandbox.default_realm_id}/{entity.lower()}",
                               content=jsonio.dumps(body), params=params)
    assert response.status_code == 200, response.text


def change_total(sandbox: Sandbox, id_: str, amount: str) -> None:
    current = sandbox.get("Invoice", id_)
    assert current is not None
    post(sandbox, "Invoice", {"Id": id_, "SyncToken": current["SyncToken"], "sparse": True,
                              "Line": [{"DetailType": "SalesItemLineDetail",
                                        "Amount": D(amount), "SalesItemLineDetail": {
                                            "ItemRef": {"value": "21"}, "Qty": 1,
                                            "UnitPrice": D(amount)}}]})


def test_a_total_changed_in_quickbooks_is_flagged_in_the_sync_log(
        synced: Ledger, sandbox: Sandbox) -> None:
    change_total(sandbox, qbo_id(synced, "INV-1"), "100.00")
    report = check_drift(synced, COMPANY)
    (finding,) = report.findings
    message = finding.message(COMPANY)
    assert message.startswith(f"Invoice {qbo_id(synced, 'INV-1')} (MMS INV-1) changed in "
                              "QuickBooks on ")
    assert "total 120.00 → 100.00" in message
    assert "`ledgersync resync --company harbor --kind invoice --mms-id INV-1`" in message
    item = next(i for i in synced.items() if i.mms_id == "INV-1")
    assert any(e.reason == message and e.level == "warning" for e in synced.history(item.id))
    run = synced.runs(company=COMPANY, limit=1)[0]
    assert any(m.reason == message and m.code == "drift" for m in run.messages)


def test_a_record_deleted_in_quickbooks_suggests_unlink(synced: Ledger,
                                                      sandbox: Sandbox) -> None:
    id_ = qbo_id(synced, "INV-2")
    current = sandbox.get("Invoice", id_)
    assert current is not None
    post(sandbox, "Invoice", {"Id": id_, "SyncToken": current["SyncToken"]},
         operation="delete")
    (finding,) = check_drift(synced, COMPANY).findings
    assert finding.deleted
    assert "deleted in QuickBooks" in finding.message(COMPANY)
    assert "ledgersync unlink --company harbor --kind invoice --mms-id INV-2" in \
        finding.message(COMPANY)


def test_a_payment_applied_in_quickbooks_is_not_drift(synced: Ledger,
                                                      sandbox: Sandbox) -> None:
    customer = qbo_id(synced, "M-1")
    post(sandbox, "Payment", {"CustomerRef": {"value": customer}, "TotalAmt": D("120.00"),
                              "Line": [{"Amount": D("120.00"), "LinkedTxn": [
                                  {"TxnId": qbo_id(synced, "INV-1"), "TxnType": "Invoice"}]}]})
    assert check_drift(synced, COMPANY).findings == ()


def test_our_own_updates_are_not_drift(synced: Ledger) -> None:
    changed = Invoice(mms_id="INV-1", member_id="M-1", number="D-1", txn_date=DAY,
                      currency="USD", memo="updated by the MMS",
                      lines=(InvoiceLine(item_id="DUES", quantity=D(2), rate=D("120.00"),
                                         amount=D("240.00")),))
    synced.record([changed])
    synced.sync(COMPANY)
    assert check_drift(synced, COMPANY).findings == ()


def test_a_renamed_customer_is_drift_and_the_check_moves_on(synced: Ledger,
                                                             sandbox: Sandbox) -> None:
    customer = sandbox.get("Customer", qbo_id(synced, "M-1"))
    assert customer is not None
    post(sandbox, "Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"],
                               "sparse": True, "DisplayName": "Nia Obi-Smith"})
    (finding,) = check_drift(synced, COMPANY).findings
    assert "name 'Nia Obi' → 'Nia Obi-Smith'" in finding.message(COMPANY)
    connector = synced.connector(COMPANY)
    assert isinstance(connector, QboConnector)
    assert connector.context.state.get(WATERMARK_KEY)
    assert check_drift(synced, COMPANY).findings == ()  # the watermark moved past it


def test_a_check_older_than_cdc_keeps_is_clamped_and_says_so(synced: Ledger) -> None:
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=90)
    report = check_drift(synced, COMPANY, since=long_ago)
    assert report.clamped


def test_drift_runs_against_an_unpaid_and_a_paid_invoice_alike(synced: Ledger,
                                                              sandbox: Sandbox) -> None:
    payment = Payment(mms_id="P-1", member_id="M-1", txn_date=DAY, currency="USD",
                      amount=D("120.00"),
                      applications=(PaymentApplication(invoice_id="INV-2", amount=D("120.00")),))
    synced.record([payment])
    synced.sync(COMPANY)
    assert check_drift(synced, COMPANY).findings == ()


# -- sales tax QuickBooks computed differently (issue 9, point 21) --------------------------------


def taxed_invoice() -> list[Any]:
    """120.00 taxed at the MMS's 6.25 %: 7.50 of tax."""
    return [Member(mms_id="M-T", display_name="Tia Tax"),
            Invoice(mms_id="INV-T", member_id="M-T", number="T-1", txn_date=DAY,
                    currency="USD",
                    lines=(InvoiceLine(item_id="DUES", quantity=D(1), rate=D("120.00"),
                                       amount=D("120.00"), tax_rate_id="TX-STATE",
                                       tax_amount=D("7.50")),))]


def sync_taxed(ledger: Ledger, tax_code: str) -> Ledger:
    ledger.map(COMPANY, "item", "DUES", "21")
    ledger.map(COMPANY, "tax_rate", "TX-STATE", tax_code)
    ledger.record(taxed_invoice())
    ledger.sync(COMPANY)
    assert {i.status for i in ledger.items()} == {"synced"}
    return ledger


def test_the_sandbox_has_the_example_datasets_tax_code_so_it_ties_out(ledger: Ledger) -> None:
    sync_taxed(ledger, "6")  # State, 6.25 %
    invoice = next(i for i in ledger.items() if i.mms_id == "INV-T")
    assert not invoice.reason
    assert check_drift(ledger, COMPANY).findings == ()


def test_a_tax_computed_at_another_rate_is_named_in_the_export_warning(ledger: Ledger) -> None:
    sync_taxed(ledger, "3")  # Portland, 8 %
    invoice = next(i for i in ledger.items() if i.mms_id == "INV-T")
    assert invoice.reason is not None
    assert "tax computed differently (MMS 6.25 %, QuickBooks 8 %)" in invoice.reason
    assert "ledgersync map tax harbor" in invoice.reason


def test_drift_names_a_tax_difference_with_the_mapping_remedy_not_resync(
        ledger: Ledger) -> None:
    sync_taxed(ledger, "3")
    findings = [f for f in check_drift(ledger, COMPANY, since=dt.datetime(2000, 1, 1,
                                                                          tzinfo=dt.UTC)).findings
                if f.mms_id == "INV-T"]
    if not findings:
        pytest.skip("CDC does not report the invoice created by the sync itself")
    message = findings[0].message(COMPANY)
    assert "tax computed differently (MMS 6.25 %, QuickBooks 8 %)" in message
    assert "ledgersync map tax harbor" in message
    assert "changed in QuickBooks" not in message
    assert "ledgersync resync --company" not in message


def test_a_tax_difference_and_an_edit_are_both_named() -> None:
    from ledgersync_qbo.drift import _differences

    obj = {"TotalAmt": D("100.00"), "TxnTaxDetail": {"TotalTax": D("9.60"), "TaxLine": [
        {"Amount": D("9.60"), "DetailType": "TaxLineDetail",
         "TaxLineDetail": {"TaxPercent": D("8"), "NetAmountTaxable": D("120.00")}}]}}
    [_member, invoice] = taxed_invoice()
    out = _differences(invoice, obj, None, COMPANY)  # type: ignore[arg-type]
    assert out[0] == "tax computed differently (MMS 6.25 %, QuickBooks 8 %)"
    assert "total 129.60 → 100.00" in out


def test_reconcile_explains_a_tax_difference_instead_of_blaming_edits(ledger: Ledger) -> None:
    """The books' transactions carry QuickBooks' tax, so reconcile names the cause itself
    (the export warning the command line fell back on is for balance-only connectors)."""
    from ledgersync import Cause

    sync_taxed(ledger, "3")
    report = ledger.reconcile(COMPANY)
    [customer] = [c for c in report.customers if c.member_id == "M-T"]
    assert customer.difference != 0
    [explanation] = customer.explanations
    assert explanation.cause is Cause.TAX_DIFFERS
    assert explanation.mms_id == "INV-T"
    assert customer.unexplained == 0
