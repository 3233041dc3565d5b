"""The connector through both stages against the sandbox: stage one stages, the desktop's
sync confirms, rejects, conflicts, stalls or orphans, and stage two records each outcome."""

from __future__ import annotations

from decimal import Decimal

from ledgersync import ItemFilter, Ledger, Status
from ledgersync.testing import sample_records

from .conftest import COMPANY


def _records(*kinds: str):
    return [r for r in sample_records() if r.kind in kinds]


def _item(ledger: Ledger, kind: str, mms_id: str):
    [found] = ledger.items(ItemFilter(company=COMPANY, kind=kind, mms_id=mms_id))
    return found


def test_stage_one_stages_the_member_under_its_ng_id(ledger, sandbox):
    ledger.record(_records("member"))

    ledger.sync(COMPANY)

    item = _item(ledger, "member", "M-9001")
    assert item.status == Status.STAGED.value
    assert item.external_id is None
    [(name, ng)] = sandbox.cloud.write_log
    assert name == "CustomerAdd"
    assert sandbox.cloud.objects[ng].state == 4


def test_the_desktops_sync_and_stage_two_make_the_qb_id_the_link(ledger, sandbox):
    ledger.record(_records("member"))
    ledger.sync(COMPANY)
    sandbox.run_desktop()

    summary = ledger.confirm_staged(COMPANY)

    assert summary.outcomes == {"synced": 1}
    item = _item(ledger, "member", "M-9001")
    obj = next(iter(sandbox.cloud.objects.values()))
    assert (item.status, item.external_id) == ("synced", obj.qb_id)


def test_an_invoice_references_its_staged_member_by_ng_id(ledger, sandbox):
    ledger.record(_records("member", "item", "invoice"))

    ledger.sync(COMPANY)

    assert _item(ledger, "invoice", "INV-9001").status == "staged"
    invoice = next(o for o in sandbox.cloud.objects.values() if o.kind == "Invoice")
    customer = next(o for o in sandbox.cloud.objects.values() if o.kind == "Customer")
    ref = invoice.body.find("{http://www.intuit.com/sb/cdm/v2}Header/"
                            "{http://www.intuit.com/sb/cdm/v2}CustomerId")
    assert (ref.get("idDomain"), ref.text) == ("NG", customer.ng_id)


def test_one_desktop_sync_nets_a_customer_and_the_invoice_that_references_it(ledger, sandbox):
    ledger.record(_records("member", "item", "invoice"))
    ledger.sync(COMPANY)

    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)

    assert {i.kind: i.status for i in ledger.items(limit=None)} == {
        "member": "synced", "item": "synced", "invoice": "synced"}


def test_a_payment_waits_for_the_desktop_id_of_its_invoice(ledger, sandbox):
    ledger.record(_records("member", "item", "invoice", "payment"))
    ledger.sync(COMPANY)
    assert _item(ledger, "payment", "PAY-9001").status == "blocked"

    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)
    ledger.sync(COMPANY)

    assert _item(ledger, "payment", "PAY-9001").status == "staged"
    payment = next(o for o in sandbox.cloud.objects.values() if o.kind == "Payment")
    txn = payment.body.find("{http://www.intuit.com/sb/cdm/v2}Line/"
                            "{http://www.intuit.com/sb/cdm/v2}TxnId")
    assert txn.get("idDomain") == "QB"


def test_a_desktop_rejection_arrives_with_the_desktops_words_and_a_remedy(ledger, sandbox):
    ledger.record(_records("member"))
    ledger.sync(COMPANY)
    sandbox.desktop.reject("Ada Keel", "The name is in use by a vendor.")
    sandbox.run_desktop()

    ledger.confirm_staged(COMPANY)

    item = _item(ledger, "member", "M-9001")
    assert item.status == "rejected"
    assert "The name is in use by a vendor." in item.error_message
    assert "state 9" in item.error_message
    assert item.error_remedy.startswith("Read the desktop's message, correct the record")


def test_a_requeued_conflict_modifies_the_same_cloud_object_once(ledger, sandbox):
    ledger.record(_records("member"))
    ledger.sync(COMPANY)
    sandbox.desktop.conflict("Ada Keel", 240)
    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)
    assert _item(ledger, "member", "M-9001").status == "conflict"

    ledger.requeue(ItemFilter(company=COMPANY, status=[Status.CONFLICT]))
    ledger.sync(COMPANY)
    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)

    assert _item(ledger, "member", "M-9001").status == "synced"
    assert [name for name, _ in sandbox.cloud.write_log] == ["CustomerAdd", "CustomerMod"]
    assert sandbox.desktop.count("Customer", "Ada Keel") == 1


def test_a_restore_from_backup_orphans_what_synced_after_it_and_a_requeue_restores_it(
        ledger, sandbox):
    ledger.record(_records("member"))
    sandbox.desktop.take_backup()
    ledger.sync(COMPANY)
    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)
    first_qb = _item(ledger, "member", "M-9001").external_id

    sandbox.desktop.restore_backup()
    ledger.confirm_staged(COMPANY)

    item = _item(ledger, "member", "M-9001")
    assert (item.status, item.external_id) == ("orphaned", None)
    assert "restored from an older backup" in item.error_message
    ledger.requeue(ItemFilter(company=COMPANY, status=[Status.ORPHANED]))
    ledger.sync(COMPANY)
    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)
    item = _item(ledger, "member", "M-9001")
    assert item.status == "synced"
    assert item.external_id not in (None, first_qb)
    assert sandbox.desktop.count("Customer", "Ada Keel") == 1


def test_a_write_back_stuck_past_the_limit_is_flagged(ledger, sandbox, clock):
    ledger.record(_records("member"))
    ledger.sync(COMPANY)
    sandbox.desktop.stall("Ada Keel")
    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)
    assert _item(ledger, "member", "M-9001").error_message is None  # not yet: 6 is progress

    clock.advance(hours=5)
    ledger.confirm_staged(COMPANY)

    item = _item(ledger, "member", "M-9001")
    assert item.status == "staged"
    assert "stuck in write-back (state 6) for 300 minutes" in item.error_message
    assert "restart Sync Manager" in item.error_remedy


def test_a_lost_stage_one_answer_is_found_by_reference_and_never_added_twice(ledger, sandbox,
                                                                            clock):
    ledger.record(_records("member"))
    sandbox.lose_answers = 1

    ledger.sync(COMPANY)
    assert _item(ledger, "member", "M-9001").status == "in_doubt"
    ledger.run_now(COMPANY)
    clock.advance(minutes=5)  # past the engine's back-off
    ledger.run_pending(companies=[COMPANY])

    assert _item(ledger, "member", "M-9001").status == "staged"
    assert [name for name, _ in sandbox.cloud.write_log] == ["CustomerAdd"]


def test_a_name_longer_than_quickbooks_allows_is_refused_at_stage_one(ledger, sandbox):
    from ledgersync import Member

    ledger.record([Member(mms_id="M-1", display_name="A" * 42)])

    ledger.sync(COMPANY)

    item = _item(ledger, "member", "M-1")
    assert item.status == "error"
    assert "-2001" in item.error_message
    assert "41 characters" in item.error_remedy
    assert sandbox.cloud.objects == {}


def test_reconcile_reads_the_desktops_balances_and_explains_what_is_staged(ledger, sandbox):
    ledger.record(_records("gl_account", "member", "item", "invoice"))
    ledger.sync(COMPANY)

    staged = ledger.reconcile(COMPANY)
    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)
    confirmed = ledger.reconcile(COMPANY)

    [invoice] = _records("invoice")
    assert staged.awaiting_confirmation == invoice.total() == Decimal("641.25")
    assert not staged.ties_out
    assert confirmed.ties_out
    assert confirmed.total_remote == invoice.total()


def test_a_voided_record_needs_a_person_who_voids_it_at_the_desktop(ledger, sandbox):
    import attrs

    [invoice] = _records("invoice")
    ledger.record(_records("member", "item", "invoice"))
    ledger.sync(COMPANY)
    sandbox.run_desktop()
    ledger.confirm_staged(COMPANY)

    ledger.record([attrs.evolve(invoice, voided=True)])
    ledger.sync(COMPANY)

    [void] = ledger.items(ItemFilter(company=COMPANY, kind="invoice", operation="void"))
    assert void.status == "error"
    assert "Void it in QuickBooks Desktop by hand" in (void.error_remedy or "")
