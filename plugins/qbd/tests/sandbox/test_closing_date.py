"""The closing date (Company > Set Closing Date): with its password set, QuickBooks refuses to
add, change, void or delete a transaction dated on or before it, with 3171."""

from __future__ import annotations

from datetime import date

from .conftest import QB

CLOSED = date(2024, 2, 29)  # the clock's today is 2024-03-01
ANN = "<CustomerRef><FullName>Ann</FullName></CustomerRef>"


def _invoice(day: str, ref: str = "INV-1") -> str:
    return (f"<InvoiceAddRq><InvoiceAdd>{ANN}<TxnDate>{day}</TxnDate><RefNumber>{ref}"
            "</RefNumber><InvoiceLineAdd><ItemRef><FullName>Membership Dues</FullName></ItemRef>"
            "<Amount>10.00</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>")


def _refused(qb: QB, body: str, txn_type: str) -> None:
    rs = qb.one(body)
    assert rs.get("statusCode") == "3171", rs.get("statusMessage")
    assert rs.get("statusSeverity") == "Error"
    assert rs.get("statusMessage", "").startswith(
        f"An attempt was made to modify a {txn_type} with a date that is on or before the "
        "closing date of the company.")


def test_adds_dated_on_or_before_the_closing_date_are_refused(qb: QB) -> None:
    qb.add_customer("Ann")
    qb.company.set_closing_date(CLOSED)
    _refused(qb, _invoice("2024-02-29"), "Invoice")
    _refused(qb, _invoice("2024-01-15"), "Invoice")
    _refused(qb, "<CreditMemoAddRq><CreditMemoAdd>" + ANN + "<TxnDate>2024-02-01</TxnDate>"
             "<CreditMemoLineAdd><ItemRef><FullName>Event Fee</FullName></ItemRef><Amount>5.00"
             "</Amount></CreditMemoLineAdd></CreditMemoAdd></CreditMemoAddRq>", "CreditMemo")
    _refused(qb, "<ReceivePaymentAddRq><ReceivePaymentAdd>" + ANN + "<TxnDate>2024-02-01"
             "</TxnDate><TotalAmount>5.00</TotalAmount><IsAutoApply>false</IsAutoApply>"
             "</ReceivePaymentAdd></ReceivePaymentAddRq>", "ReceivePayment")
    assert qb.company.transactions("Invoice") == []
    assert qb.company.transactions("CreditMemo") == []
    assert qb.company.transactions("ReceivePayment") == []
    # The day after is open; no TxnDate means today (open too).
    qb.ok(_invoice("2024-03-01", "INV-2"))
    qb.add_invoice("Ann", "INV-3")


def test_changes_void_and_delete_of_a_closed_transaction_are_refused(qb: QB) -> None:
    qb.add_customer("Ann")
    ret = qb.ok(_invoice("2024-02-10")).find("InvoiceRet")
    assert ret is not None
    txn_id, sequence = qb.text(ret, "TxnID"), qb.text(ret, "EditSequence")
    qb.company.set_closing_date(CLOSED)
    _refused(qb, f"<InvoiceModRq><InvoiceMod><TxnID>{txn_id}</TxnID><EditSequence>{sequence}"
             "</EditSequence><Memo>x</Memo></InvoiceMod></InvoiceModRq>", "Invoice")
    _refused(qb, f"<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>{txn_id}</TxnID>"
             "</TxnVoidRq>", "Invoice")
    _refused(qb, f"<TxnDelRq><TxnDelType>Invoice</TxnDelType><TxnID>{txn_id}</TxnID>"
             "</TxnDelRq>", "Invoice")
    assert qb.balance("Ann") == 10
    # Moving an open invoice into the closed period is refused too.
    open_ret = qb.ok(_invoice("2024-03-01", "INV-2")).find("InvoiceRet")
    assert open_ret is not None
    _refused(qb, f"<InvoiceModRq><InvoiceMod><TxnID>{qb.text(open_ret, 'TxnID')}</TxnID>"
             f"<EditSequence>{qb.text(open_ret, 'EditSequence')}</EditSequence><TxnDate>"
             "2024-02-28</TxnDate></InvoiceMod></InvoiceModRq>", "Invoice")


def test_without_a_password_or_once_reopened_the_writes_go_through(qb: QB) -> None:
    qb.add_customer("Ann")
    qb.company.set_closing_date(CLOSED, password=False)  # QuickBooks only warns a person
    qb.ok(_invoice("2024-02-10"))
    qb.company.set_closing_date(CLOSED)
    _refused(qb, _invoice("2024-02-11", "INV-2"), "Invoice")
    qb.company.set_closing_date(None)
    qb.ok(_invoice("2024-02-11", "INV-2"))
    assert qb.balance("Ann") == 20


def test_the_closing_date_survives_a_snapshot(qb: QB) -> None:
    qb.add_customer("Ann")
    qb.company.set_closing_date(CLOSED)
    restored = QB(type(qb.company).restore(qb.company.snapshot()))
    _refused(restored, _invoice("2024-02-10"), "Invoice")
