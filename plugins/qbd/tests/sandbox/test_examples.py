"""Every reference qbXML example that the sandbox supports runs with statusCode 0.

The examples name objects of another company file (ListIDs, TxnIDs, EditSequences); the tests
swap those placeholders for the IDs the sandbox created, exactly as a connector would.
"""

from __future__ import annotations

from collections.abc import Callable

Example = Callable[[str], str]
JANE = "Smith, Jane (M-10042)"


def _ok(qb, request: str) -> list:
    responses = qb.responses(qb.company.process(request))
    assert responses
    for rs in responses:
        assert rs.get("statusCode") == "0", rs.get("statusMessage")
        assert rs.get("statusSeverity") == "Info"
    return responses


def _jane(qb, example: Example) -> str:
    (rs,) = _ok(qb, example("customer_add.xml"))
    return qb.text(rs, "CustomerRet/ListID")


def test_customer_add_example_creates_customer(qb, example: Example) -> None:
    (rs,) = _ok(qb, example("customer_add.xml"))
    assert rs.tag == "CustomerAddRs"
    assert rs.get("requestID") == "q-101"
    assert qb.text(rs, "CustomerRet/FullName") == JANE
    assert qb.text(rs, "CustomerRet/TermsRef/FullName") == "Net 30"


def test_customer_mod_example_updates_email(qb, example: Example) -> None:
    _jane(qb, example)
    record = qb.company.customer(JANE)
    request = (example("customer_mod.xml")
               .replace("80000013-1416570432", record.list_id)
               .replace("<EditSequence>1416570432<", f"<EditSequence>{record.edit_sequence}<"))
    (rs,) = _ok(qb, request)
    assert qb.text(rs, "CustomerRet/Email") == "jane.smith@example.com"


def test_customer_query_example_returns_page_and_lookup(qb, example: Example) -> None:
    _jane(qb, example)
    started, lookup = _ok(qb, example("customer_query.xml"))
    assert started.get("iteratorRemainingCount") == "0"
    assert started.get("iteratorID")
    assert started.get("retCount") == "1"
    assert qb.text(lookup, "CustomerRet/Name") == JANE


def test_customer_query_continue_example_pages_on(qb, example: Example) -> None:
    for number in range(3):
        qb.add_customer(f"Member {number}")
    first = qb.one('<CustomerQueryRq requestID="q-102" iterator="Start">'
                   "<MaxReturned>2</MaxReturned></CustomerQueryRq>")
    iterator_id = first.get("iteratorID")
    request = example("customer_query_continue.xml").replace(
        "{84ff5521-205d-46b6-9d44-7b6b9acb7165}", iterator_id)
    (rs,) = _ok(qb, request)
    assert rs.get("requestID") == "q-104"
    assert rs.get("retCount") == "1"
    assert rs.get("iteratorRemainingCount") == "0"


def test_invoice_add_example_creates_invoice(qb, example: Example) -> None:
    list_id = _jane(qb, example)
    (rs,) = _ok(qb, example("invoice_add.xml").replace("80000013-1416570432", list_id))
    assert qb.text(rs, "InvoiceRet/RefNumber") == "DUES-10042"
    assert qb.text(rs, "InvoiceRet/BalanceRemaining") == "165.00"
    assert len(rs.findall("InvoiceRet/InvoiceLineRet")) == 2


def _invoice(qb, example: Example) -> str:
    list_id = _jane(qb, example)
    (rs,) = _ok(qb, example("invoice_add.xml").replace("80000013-1416570432", list_id))
    return qb.text(rs, "InvoiceRet/TxnID")


def test_receive_payment_add_example_pays_invoice(qb, example: Example) -> None:
    txn_id = _invoice(qb, example)
    (rs,) = _ok(qb, example("receive_payment_add.xml").replace("C5-1417118624", txn_id))
    assert qb.text(rs, "ReceivePaymentRet/UnusedPayment") == "0.00"
    assert qb.text(rs, "ReceivePaymentRet/AppliedToTxnRet/TxnID") == txn_id
    assert str(qb.balance(JANE)) == "0.00"


def test_credit_memo_add_example_creates_credit(qb, example: Example) -> None:
    _jane(qb, example)
    (rs,) = _ok(qb, example("credit_memo_add.xml"))
    assert qb.text(rs, "CreditMemoRet/CreditRemaining") == "45.00"


def test_refund_check_example_refunds_credit_memo(qb, example: Example) -> None:
    _jane(qb, example)
    (memo,) = _ok(qb, example("credit_memo_add.xml"))
    memo_id = qb.text(memo, "CreditMemoRet/TxnID")
    (rs,) = _ok(qb, example("refund_check.xml").replace("D1-1417118700", memo_id))
    assert qb.text(rs, "ARRefundCreditCardRet/TotalAmount") == "45.00"
    assert qb.text(rs, "ARRefundCreditCardRet/RefundAppliedToTxnRet/CreditRemaining") == "0.00"


def test_lists_query_example_answers_every_list(qb, example: Example) -> None:
    responses = _ok(qb, example("lists_query.xml"))
    assert [rs.tag for rs in responses] == [
        "AccountQueryRs", "ItemSalesTaxQueryRs", "SalesTaxCodeQueryRs", "StandardTermsQueryRs",
        "ItemQueryRs"]
    assert qb.text(responses[0], "AccountRet/Name") == "Accounts Receivable"
    assert qb.text(responses[4], "ItemServiceRet/FullName") == "Membership Dues"


def test_txn_void_example_voids_invoice(qb, example: Example) -> None:
    txn_id = _invoice(qb, example)
    (rs,) = _ok(qb, example("txn_void.xml").replace("C5-1417118624", txn_id))
    assert qb.text(rs, "TxnVoidType") == "Invoice"
    assert qb.text(rs, "TxnID") == txn_id


def test_recovery_probe_example_returns_saved_invoice_response(qb, example: Example) -> None:
    txn_id = _invoice(qb, example)
    probe = qb.company.process(example("recovery_probe.xml"))
    (rs,) = qb.responses(probe)
    assert rs.tag == "InvoiceAddRs"
    assert qb.text(rs, "InvoiceRet/TxnID") == txn_id
