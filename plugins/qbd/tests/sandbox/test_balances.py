"""Customer balances (Decimal): invoices add, payments and credits subtract, refunds add."""

from __future__ import annotations

from decimal import Decimal


def test_invoice_raises_customer_balance(qb) -> None:
    qb.add_customer("Ann")
    qb.add_invoice("Ann", "INV-1", "120.00")
    assert qb.balance("Ann") == Decimal("120.00")
    assert isinstance(qb.balance("Ann"), Decimal)


def test_payment_lowers_customer_balance(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1", "120.00")
    rs = qb.pay("Ann", "100.00", [(qb.text(invoice, "TxnID"), "100.00")])
    assert rs.get("statusCode") == "0"
    assert qb.balance("Ann") == Decimal("20.00")
    query = qb.ok("<InvoiceQueryRq><RefNumber>INV-1</RefNumber></InvoiceQueryRq>")
    assert qb.text(query, "InvoiceRet/BalanceRemaining") == "20.00"
    assert qb.text(query, "InvoiceRet/IsPaid") == "false"


def test_unapplied_payment_is_unused_credit(qb) -> None:
    qb.add_customer("Ann")
    rs = qb.pay("Ann", "30.00")
    assert qb.text(rs, "ReceivePaymentRet/UnusedPayment") == "30.00"
    assert qb.balance("Ann") == Decimal("-30.00")


def test_auto_apply_pays_oldest_invoice_first(qb) -> None:
    qb.add_customer("Ann")
    first = qb.add_invoice("Ann", "INV-1", "50.00")
    second = qb.add_invoice("Ann", "INV-2", "50.00")
    qb.ok("<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Ann</FullName>"
          "</CustomerRef><TotalAmount>70.00</TotalAmount><IsAutoApply>true</IsAutoApply>"
          "</ReceivePaymentAdd></ReceivePaymentAddRq>")
    assert qb.company.transaction(qb.text(first, "TxnID")).open_amount == Decimal("0.00")
    assert qb.company.transaction(qb.text(second, "TxnID")).open_amount == Decimal("30.00")


def test_credit_memo_lowers_customer_balance(qb) -> None:
    qb.add_customer("Ann")
    qb.add_invoice("Ann", "INV-1", "120.00")
    qb.add_credit_memo("Ann", "CM-1", "45.00")
    assert qb.balance("Ann") == Decimal("75.00")


def test_refund_adds_back_the_refunded_credit(qb) -> None:
    qb.add_customer("Ann")
    memo = qb.add_credit_memo("Ann", "CM-1", "45.00")
    qb.ok("<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Ann</FullName>"
          "</CustomerRef><RefundFromAccountRef><FullName>Checking</FullName>"
          "</RefundFromAccountRef><PaymentMethodRef><FullName>Check</FullName>"
          f"</PaymentMethodRef><RefundAppliedToTxnAdd><TxnID>{qb.text(memo, 'TxnID')}</TxnID>"
          "<RefundAmount>45.00</RefundAmount></RefundAppliedToTxnAdd></ARRefundCreditCardAdd>"
          "</ARRefundCreditCardAddRq>")
    assert qb.balance("Ann") == Decimal("0.00")


def test_refund_larger_than_credit_answers_3210(qb) -> None:
    qb.add_customer("Ann")
    memo = qb.add_credit_memo("Ann", "CM-1", "45.00")
    rs = qb.one("<ARRefundCreditCardAddRq><ARRefundCreditCardAdd><CustomerRef><FullName>Ann"
                "</FullName></CustomerRef><RefundAppliedToTxnAdd><TxnID>"
                f"{qb.text(memo, 'TxnID')}</TxnID><RefundAmount>50.00</RefundAmount>"
                "</RefundAppliedToTxnAdd></ARRefundCreditCardAdd></ARRefundCreditCardAddRq>")
    assert rs.get("statusCode") == "3210"
    assert qb.balance("Ann") == Decimal("-45.00")


def test_void_invoice_reverses_balance_and_frees_payment(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1", "120.00")
    payment = qb.pay("Ann", "120.00", [(qb.text(invoice, "TxnID"), "120.00")])
    qb.ok(f"<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>{qb.text(invoice, 'TxnID')}"
          "</TxnID></TxnVoidRq>")
    assert qb.balance("Ann") == Decimal("-120.00")
    payment_id = qb.text(payment, "ReceivePaymentRet/TxnID")
    assert qb.company.transaction(payment_id).open_amount == Decimal("120.00")
    voided = qb.company.transaction(qb.text(invoice, "TxnID"))
    assert voided.voided
    assert voided.total == Decimal("0.00")


def test_deleting_a_payment_reopens_invoice(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1", "120.00")
    payment = qb.pay("Ann", "120.00", [(qb.text(invoice, "TxnID"), "120.00")])
    qb.ok("<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>"
          f"{qb.text(payment, 'ReceivePaymentRet/TxnID')}</TxnID></TxnDelRq>")
    assert qb.balance("Ann") == Decimal("120.00")
    assert qb.company.transaction(qb.text(invoice, "TxnID")).open_amount == Decimal("120.00")


def test_invoice_mod_replaces_lines_and_balance(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1", "120.00")
    line_id = qb.text(invoice, "InvoiceLineRet/TxnLineID")
    rs = qb.ok(f"<InvoiceModRq><InvoiceMod><TxnID>{qb.text(invoice, 'TxnID')}</TxnID>"
               f"<EditSequence>{qb.text(invoice, 'EditSequence')}</EditSequence>"
               f"<InvoiceLineMod><TxnLineID>{line_id}</TxnLineID><Amount>100.00</Amount>"
               "</InvoiceLineMod><InvoiceLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>"
               "Event Fee</FullName></ItemRef></InvoiceLineMod></InvoiceMod></InvoiceModRq>")
    assert qb.text(rs, "InvoiceRet/BalanceRemaining") == "145.00"
    assert qb.balance("Ann") == Decimal("145.00")


def test_invoice_mod_with_stale_edit_sequence_answers_3200(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1")
    rs = qb.one(f"<InvoiceModRq><InvoiceMod><TxnID>{qb.text(invoice, 'TxnID')}</TxnID>"
                "<EditSequence>1</EditSequence><Memo>x</Memo></InvoiceMod></InvoiceModRq>")
    assert rs.get("statusCode") == "3200"


def test_journal_entry_on_receivables_moves_customer_balance(qb) -> None:
    qb.add_customer("Ann")
    qb.ok("<JournalEntryAddRq><JournalEntryAdd><JournalDebitLine><AccountRef><FullName>"
          "Accounts Receivable</FullName></AccountRef><Amount>12.50</Amount><EntityRef>"
          "<FullName>Ann</FullName></EntityRef></JournalDebitLine><JournalCreditLine>"
          "<AccountRef><FullName>Membership Income</FullName></AccountRef><Amount>12.50"
          "</Amount></JournalCreditLine></JournalEntryAdd></JournalEntryAddRq>")
    assert qb.balance("Ann") == Decimal("12.50")


def test_job_balances_roll_into_parent_total_balance(qb) -> None:
    qb.add_customer("Ann")
    qb.add_customer("Camp", "<ParentRef><FullName>Ann</FullName></ParentRef>")
    qb.add_invoice("Ann:Camp", "INV-1", "80.00")
    assert qb.balance("Ann") == Decimal("80.00")
    rs = qb.ok("<CustomerQueryRq><FullName>Ann</FullName></CustomerQueryRq>")
    assert qb.text(rs, "CustomerRet/Balance") == "0.00"
    assert qb.text(rs, "CustomerRet/TotalBalance") == "80.00"


def test_write_counts_track_adds_per_ref_number(qb) -> None:
    qb.add_customer("Ann")
    qb.add_invoice("Ann", "INV-1")
    assert qb.company.write_count("InvoiceAdd", "INV-1") == 1
    assert qb.company.write_count("CustomerAdd", "Ann") == 1
    assert qb.company.write_count("InvoiceAdd", "INV-2") == 0
