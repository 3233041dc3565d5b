"""Writes beyond the first create: sparse updates with a stale SyncToken, voids, lookups after
a doubt, the credit-memo application, and warnings when QuickBooks' total differs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from ledgersync import (
    CreditMemo,
    ExportRequest,
    ExportResult,
    Invoice,
    InvoiceLine,
    JournalEntry,
    JournalLine,
    Member,
    Operation,
    Payment,
    PaymentApplication,
    Record,
)
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.errors import QboError
from ledgersync_qbo.sandbox import Sandbox, SandboxConfig, SandboxTransport, jsonio
from ledgersync_qbo.testing import sample_seed

D = Decimal
DAY = dt.date(2026, 1, 15)
REFS = {("member", "M-58"): "58", ("item", "DUES"): "21", ("item", "PIN"): "22",
        ("tax_rate", "TX"): "3", ("gl_account", "1000"): "35", ("gl_account", "6900"): "91"}


def req(record: Record, key: str, operation: Operation = Operation.CREATE,
        result: ExportResult | None = None, refs: dict[str, str] | None = None
        ) -> ExportRequest:
    """``refs`` adds references as ``{"kind:mms_id": remote_id}``."""
    references = dict(REFS)
    for key_text, remote_id in (refs or {}).items():
        kind, mms_id = key_text.split(":")
        references[(kind, mms_id)] = remote_id
    return ExportRequest(item_id=1, company="harbor", kind=record.kind, operation=operation,
                         record=record, idempotency_key=key, attempt=1,
                         references=references,
                         external_id=result.external_id if result else None,
                         version_token=result.version_token if result else None)


def invoice(amount: str = "150.00", **changes: Any) -> Invoice:
    values: dict[str, Any] = dict(
        mms_id="INV-1", member_id="M-58", number="INV-1", txn_date=DAY, currency="USD",
        lines=(InvoiceLine(item_id="DUES", quantity=D(1), rate=D(amount), amount=D(amount)),))
    values.update(changes)
    return Invoice(**values)


def edit(sandbox: Sandbox, entity: str, id_: str, **changes: Any) -> None:
    """A bookkeeper's sparse edit in QuickBooks (the SyncToken moves on)."""
    import httpx

    current = sandbox.get(entity, id_)
    assert current is not None
    with httpx.Client(transport=SandboxTransport(sandbox), base_url="http://qbo",
                      headers=sandbox.auth_headers()) as client:
        response = client.post(f"/v3/company/{sandbox.default_realm_id}/{entity.lower()}",
                               content=jsonio.dumps({"Id": id_, "sparse": True,
                                                     "SyncToken": current["SyncToken"],
                                                     **changes}))
    assert response.status_code == 200, response.text


def test_an_update_with_a_stale_synctoken_rereads_and_lands_once(
        connector: QboConnector, sandbox: Sandbox) -> None:
    created = connector.export(req(invoice(), "ls-c"))
    edit(sandbox, "Invoice", created.external_id, CustomerMemo={"value": "by hand"})
    updated = connector.export(req(invoice("175.00"), "ls-u", Operation.UPDATE, created))
    obj = sandbox.get("Invoice", created.external_id)
    assert obj is not None
    assert obj["TotalAmt"] == D("175.00")
    assert updated.version_token == obj["SyncToken"] == "2"
    assert [w.operation for w in sandbox.writes("Invoice")] == ["create", "update", "update"]


@pytest.mark.parametrize("sandbox_config", [
    SandboxConfig(seed=sample_seed(), throttle_retry_after=1, replay_injected_faults=True)])
def test_a_repeated_stale_object_fault_does_not_stick_an_update_for_good(
        connector: QboConnector, sandbox: Sandbox) -> None:
    # QuickBooks replays the answer it gave a requestid, faults included: an attempt that
    # met 5010 twice (the re-read returning the same token) must not send the same ids again.
    created = connector.export(req(invoice(), "ls-c"))
    sandbox.inject("5010", entity="invoice", times=2)
    first = req(invoice("175.00"), "ls-u", Operation.UPDATE, created)
    with pytest.raises(QboError) as refused:
        connector.export(first)
    assert "5010" in refused.value.codes
    connector.export(attrs.evolve(first, attempt=2))
    obj = sandbox.get("Invoice", created.external_id)
    assert obj is not None
    assert obj["TotalAmt"] == D("175.00")


def test_an_update_refused_as_account_period_closed_under_5010_is_not_reread_or_resent(
        connector: QboConnector, sandbox: Sandbox) -> None:
    created = connector.export(req(invoice(), "ls-c"))
    sandbox.close_books(DAY, code="5010")
    before = sandbox.requests
    with pytest.raises(QboError) as refused:
        connector.export(req(invoice("175.00"), "ls-u", Operation.UPDATE, created))
    assert (refused.value.period_closed, refused.value.stale_version) == (True, False)
    assert sandbox.requests - before == 1  # no re-read, no second update
    assert [w.operation for w in sandbox.writes("Invoice")] == ["create"]


def test_an_update_in_doubt_counts_as_done_only_when_quickbooks_shows_it(
        connector: QboConnector) -> None:
    created = connector.export(req(invoice(), "ls-c"))
    update = req(invoice("175.00"), "ls-u", Operation.UPDATE, created)
    assert connector.lookup(update) is None  # not applied: the engine sends it again
    connector.export(update)
    found = connector.lookup(update)
    assert found is not None
    assert found.version_token == "1"


def test_voiding_an_invoice_zeroes_it(connector: QboConnector, sandbox: Sandbox) -> None:
    created = connector.export(req(invoice(), "ls-c"))
    void = req(invoice(voided=True), "ls-v", Operation.VOID, created)
    assert connector.lookup(void) is None
    connector.export(void)
    obj = sandbox.get("Invoice", created.external_id)
    assert obj is not None
    assert obj["TotalAmt"] == 0
    assert connector.lookup(void) is not None


def test_voiding_a_payment_uses_the_sparse_update_intuit_documents(
        connector: QboConnector, sandbox: Sandbox) -> None:
    created_invoice = connector.export(req(invoice(), "ls-c"))
    payment = Payment(mms_id="PAY-1", member_id="M-58", txn_date=DAY, currency="USD",
                      amount=D("150.00"), deposit_account_id="1000", applications=(
                          PaymentApplication(invoice_id="INV-1", amount=D("150.00")),))
    created = connector.export(req(payment, "ls-p", refs={"invoice:INV-1":
                                                           created_invoice.external_id}))
    void = req(attrs.evolve(payment, voided=True), "ls-pv", Operation.VOID, created,
               refs={"invoice:INV-1": created_invoice.external_id})
    connector.export(void)
    obj = sandbox.get("Payment", created.external_id)
    assert obj is not None
    assert obj["TotalAmt"] == 0
    assert [w.operation for w in sandbox.writes("Payment")] == ["create", "void"]


def test_voiding_what_quickbooks_cannot_void_deletes_it(connector: QboConnector,
                                                        sandbox: Sandbox) -> None:
    journal = JournalEntry(mms_id="JE-1", currency="USD", txn_date=DAY, lines=(
        JournalLine(account_id="6900", debit=D("5.00")),
        JournalLine(account_id="1000", credit=D("5.00"))))
    created = connector.export(req(journal, "ls-c"))
    void = req(attrs.evolve(journal, voided=True), "ls-v", Operation.VOID, created)
    connector.export(void)
    assert sandbox.get("JournalEntry", created.external_id) is None
    assert connector.lookup(void) is not None  # deleted counts as voided


def test_a_create_in_doubt_is_found_by_number_and_our_note(connector: QboConnector) -> None:
    request = req(invoice(), "ls-c")
    assert connector.lookup(request) is None
    created = connector.export(request)
    found = connector.lookup(attrs.evolve(request, idempotency_key="ls-other"))
    assert found is not None
    assert found.external_id == created.external_id


def test_a_payment_in_doubt_is_found_by_customer_date_and_note(connector: QboConnector,
                                                               sandbox: Sandbox) -> None:
    created = connector.export(req(invoice(), "ls-i"))
    pay = Payment(mms_id="P-1", member_id="M-58", txn_date=DAY, currency="USD",
                  amount=D("150.00"), number="CHK-1",
                  applications=(PaymentApplication(invoice_id="INV-1", amount=D("150.00")),))
    request = req(pay, "ls-p", refs={"invoice:INV-1": created.external_id})
    assert connector.lookup(request) is None
    written = connector.export(request)
    found = connector.lookup(request)
    assert found is not None
    assert found.external_id == written.external_id
    assert sandbox.customer_balance("58") == 0


def test_a_credit_memo_is_applied_to_its_invoice_once(connector: QboConnector,
                                                      sandbox: Sandbox) -> None:
    inv = connector.export(req(invoice(), "ls-i"))
    memo = CreditMemo(mms_id="CM-1", member_id="M-58", number="CM-1", txn_date=DAY,
                      currency="USD", applied_to_invoice_id="INV-1",
                      lines=(InvoiceLine(item_id="DUES", quantity=D(1), rate=D("50.00"),
                                         amount=D("50.00")),))
    request = req(memo, "ls-m", refs={"invoice:INV-1": inv.external_id})
    result = connector.export(request)
    assert result.requests_made == 3  # create, read the invoice, apply
    invoice_obj = sandbox.get("Invoice", inv.external_id)
    assert invoice_obj is not None
    assert invoice_obj["Balance"] == D("100.00")
    assert sandbox.customer_balance("58") == D("100.00")
    connector.lookup(attrs.evolve(request, idempotency_key="ls-doubt"))  # found again
    assert sandbox.write_count("Payment") == 1


def test_a_credit_for_a_paid_invoice_stays_on_the_account_with_a_warning(
        connector: QboConnector, sandbox: Sandbox) -> None:
    inv = connector.export(req(invoice(), "ls-i"))
    pay = Payment(mms_id="P-1", member_id="M-58", txn_date=DAY, currency="USD",
                  amount=D("150.00"),
                  applications=(PaymentApplication(invoice_id="INV-1", amount=D("150.00")),))
    connector.export(req(pay, "ls-p", refs={"invoice:INV-1": inv.external_id}))
    memo = CreditMemo(mms_id="CM-1", member_id="M-58", number="CM-1", txn_date=DAY,
                      currency="USD", applied_to_invoice_id="INV-1",
                      lines=(InvoiceLine(item_id="DUES", quantity=D(1), rate=D("50.00"),
                                         amount=D("50.00")),))
    result = connector.export(req(memo, "ls-m", refs={"invoice:INV-1": inv.external_id}))
    assert "already paid" in result.warnings[0]
    assert sandbox.customer_balance("58") == D("-50.00")


def test_a_different_total_in_quickbooks_is_a_warning(connector: QboConnector) -> None:
    # The MMS says 6.25 % tax on 25.00; QuickBooks' code 3 is 8 %.
    record = invoice(lines=(InvoiceLine(item_id="PIN", quantity=D(2), rate=D("12.50"),
                                        amount=D("25.00"), tax_rate_id="TX",
                                        tax_amount=D("1.56")),))
    result = connector.export(req(record, "ls-t"))
    assert "tax computed differently" in result.warnings[0]
    assert "QuickBooks 8 %" in result.warnings[0]
    assert "ledgersync map tax harbor" in result.warnings[0]


# -- customers --------------------------------------------------------------------------------


def member(**changes: Any) -> Member:
    values: dict[str, Any] = dict(mms_id="M-9", display_name="Jordan A.",
                                  email="jordan.alvarez@example.org")
    values.update(changes)
    return Member(**values)


def test_a_member_is_matched_by_email_first(connector: QboConnector) -> None:
    match = connector.map_customer(member())
    assert match is not None
    assert (match.external_id, match.matched_by) == ("58", "email")


def test_a_member_is_matched_by_display_name(connector: QboConnector) -> None:
    match = connector.map_customer(member(display_name="Priya Natarajan", email=None))
    assert match is not None
    assert (match.external_id, match.matched_by) == ("61", "display name")


def test_no_match_means_create(connector: QboConnector) -> None:
    assert connector.map_customer(member(display_name="New Person", email="n@x.org")) is None


def test_two_candidates_are_never_guessed_between(connector: QboConnector) -> None:
    for n in (1, 2):
        connector.export(req(member(mms_id=f"M-{n}", display_name=f"Twin {n}",
                                    email="twins@example.org"), f"ls-twin-{n}"))
    with pytest.raises(Exception, match="matches 2 QuickBooks customers by email") as raised:
        connector.map_customer(member(mms_id="M-3", display_name="Twin 3",
                                      email="twins@example.org"))
    remedy = getattr(raised.value, "remedy", "")
    assert "'Twin 1'" in str(raised.value)
    assert "'Twin 2'" in str(raised.value)
    assert "match_by" in remedy


def test_an_inactive_customer_is_matched_and_flagged(connector: QboConnector,
                                                     sandbox: Sandbox) -> None:
    edit(sandbox, "Customer", "62", Active=False)
    match = connector.map_customer(member(display_name="Marcus Lee", email=None))
    assert match is not None
    assert match.external_id == "62"
    assert "inactive" in match.matched_by


def test_a_member_update_changes_the_customer(connector: QboConnector,
                                              sandbox: Sandbox) -> None:
    created = connector.export(req(member(display_name="Nia Obi", email="nia@x.org"), "ls-1"))
    connector.export(req(member(display_name="Nia Obi", email="nia.obi@x.org", active=False),
                         "ls-2", Operation.UPDATE, created))
    customer = sandbox.get("Customer", created.external_id)
    assert customer is not None
    assert customer["PrimaryEmailAddr"] == {"Address": "nia.obi@x.org"}
    assert customer["Active"] is False



def test_a_journal_entry_whose_total_differs_gets_no_sales_tax_warning(
        connector: QboConnector, sandbox: Sandbox) -> None:
    journal = JournalEntry(mms_id="JE-2", currency="USD", txn_date=DAY, lines=(
        JournalLine(account_id="6900", debit=D("7.50")),
        JournalLine(account_id="1000", credit=D("7.50"))))
    request = req(journal, "ls-j")
    created = connector.export(request)
    current = sandbox.get("JournalEntry", created.external_id)
    assert current is not None
    lines = [dict(line, Amount="9.00") for line in current["Line"]]
    edit(sandbox, "JournalEntry", created.external_id, Line=lines)
    found = connector.lookup(request)  # the create, looked up after a doubt
    assert found is not None
    assert not [w for w in found.warnings if "sales tax" in w]
