"""CreditMemoMod, ReceivePaymentMod, JournalEntryMod and CheckAdd: balances follow the change."""

from __future__ import annotations

from decimal import Decimal


def _mod(qb, tag: str, ret, inner: str):
    return qb.one(f"<{tag}Rq><{tag}><TxnID>{qb.text(ret, 'TxnID')}</TxnID><EditSequence>"
                  f"{qb.text(ret, 'EditSequence')}</EditSequence>{inner}</{tag}></{tag}Rq>")


def test_a_payment_mod_changes_the_amount_and_its_application(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1", "120.00")
    payment = qb.pay("Ann", "120.00", [(qb.text(invoice, "TxnID"), "120.00")])
    ret = payment.find("ReceivePaymentRet")
    rs = _mod(qb, "ReceivePaymentMod", ret,
              "<TotalAmount>100.00</TotalAmount><AppliedToTxnMod><TxnID>"
              f"{qb.text(invoice, 'TxnID')}</TxnID><PaymentAmount>100.00</PaymentAmount>"
              "</AppliedToTxnMod>")
    assert rs.get("statusCode") == "0"
    assert qb.balance("Ann") == Decimal("20.00")
    assert qb.company.transaction(qb.text(invoice, "TxnID")).open_amount == Decimal("20.00")


def test_a_payment_mod_with_a_stale_edit_sequence_answers_3200(qb) -> None:
    qb.add_customer("Ann")
    ret = qb.pay("Ann", "50.00").find("ReceivePaymentRet")
    rs = qb.one(f"<ReceivePaymentModRq><ReceivePaymentMod><TxnID>{qb.text(ret, 'TxnID')}"
                "</TxnID><EditSequence>1</EditSequence><TotalAmount>40.00</TotalAmount>"
                "</ReceivePaymentMod></ReceivePaymentModRq>")
    assert rs.get("statusCode") == "3200"
    assert qb.balance("Ann") == Decimal("-50.00")


def test_a_payment_mod_cannot_pay_more_than_the_invoice_owes(qb) -> None:
    qb.add_customer("Ann")
    invoice = qb.add_invoice("Ann", "INV-1", "120.00")
    ret = qb.pay("Ann", "200.00").find("ReceivePaymentRet")
    rs = _mod(qb, "ReceivePaymentMod", ret,
              f"<AppliedToTxnMod><TxnID>{qb.text(invoice, 'TxnID')}</TxnID>"
              "<PaymentAmount>150.00</PaymentAmount></AppliedToTxnMod>")
    assert rs.get("statusCode") == "3210"


def test_a_credit_memo_mod_replaces_its_lines(qb) -> None:
    qb.add_customer("Ann")
    memo = qb.add_credit_memo("Ann", "CM-1", "30.00")
    rs = _mod(qb, "CreditMemoMod", memo,
              "<CreditMemoLineMod><TxnLineID>-1</TxnLineID><ItemRef><FullName>Event Fee"
              "</FullName></ItemRef><Amount>45.00</Amount></CreditMemoLineMod>")
    assert rs.get("statusCode") == "0"
    assert qb.balance("Ann") == Decimal("-45.00")
    assert qb.text(rs, "CreditMemoRet/CreditRemaining") == "45.00"


def test_a_journal_entry_mod_moves_the_receivable(qb) -> None:
    qb.add_customer("Ann")
    rs = qb.ok("<JournalEntryAddRq><JournalEntryAdd><RefNumber>JE-1</RefNumber>"
               "<JournalDebitLine><AccountRef><FullName>Accounts Receivable</FullName>"
               "</AccountRef><Amount>10.00</Amount><EntityRef><FullName>Ann</FullName>"
               "</EntityRef></JournalDebitLine><JournalCreditLine><AccountRef><FullName>"
               "Membership Income</FullName></AccountRef><Amount>10.00</Amount>"
               "</JournalCreditLine></JournalEntryAdd></JournalEntryAddRq>")
    ret = rs.find("JournalEntryRet")
    rs = _mod(qb, "JournalEntryMod", ret,
              "<JournalLineMod><TxnLineID>-1</TxnLineID><JournalLineType>Debit</JournalLineType>"
              "<AccountRef><FullName>Accounts Receivable</FullName></AccountRef>"
              "<Amount>25.00</Amount><EntityRef><FullName>Ann</FullName></EntityRef>"
              "</JournalLineMod><JournalLineMod><TxnLineID>-1</TxnLineID><JournalLineType>"
              "Credit</JournalLineType><AccountRef><FullName>Membership Income</FullName>"
              "</AccountRef><Amount>25.00</Amount></JournalLineMod>")
    assert rs.get("statusCode") == "0"
    assert qb.balance("Ann") == Decimal("25.00")


def test_a_journal_entry_mod_out_of_balance_answers_3210(qb) -> None:
    rs = qb.ok("<JournalEntryAddRq><JournalEntryAdd><JournalDebitLine><AccountRef><FullName>"
               "Checking</FullName></AccountRef><Amount>10.00</Amount></JournalDebitLine>"
               "<JournalCreditLine><AccountRef><FullName>Membership Income</FullName>"
               "</AccountRef><Amount>10.00</Amount></JournalCreditLine></JournalEntryAdd>"
               "</JournalEntryAddRq>")
    rs = _mod(qb, "JournalEntryMod", rs.find("JournalEntryRet"),
              "<JournalLineMod><TxnLineID>-1</TxnLineID><JournalLineType>Debit</JournalLineType>"
              "<AccountRef><FullName>Checking</FullName></AccountRef><Amount>5.00</Amount>"
              "</JournalLineMod>")
    assert rs.get("statusCode") == "3210"


def test_a_check_to_receivables_takes_an_overpayment_off_the_balance(qb) -> None:
    qb.add_customer("Ann")
    qb.pay("Ann", "50.00")
    qb.ok("<CheckAddRq><CheckAdd><AccountRef><FullName>Checking</FullName></AccountRef>"
          "<PayeeEntityRef><FullName>Ann</FullName></PayeeEntityRef><RefNumber>R-1</RefNumber>"
          "<ExpenseLineAdd><AccountRef><FullName>Accounts Receivable</FullName></AccountRef>"
          "<Amount>50.00</Amount><CustomerRef><FullName>Ann</FullName></CustomerRef>"
          "</ExpenseLineAdd></CheckAdd></CheckAddRq>")
    assert qb.balance("Ann") == Decimal("0.00")
