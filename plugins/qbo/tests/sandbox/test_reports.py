"""The Reports API of the sandbox: GeneralLedger and TrialBalance computed from what each
stored transaction posts, in QBO's report shape, and refused where QBO refuses."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from ledgersync_qbo.sandbox import Sandbox, jsonio

from .conftest import Api

D = Decimal
GL_COLUMNS = "tx_date,txn_type,doc_num,name,account_name,debt_amt,credit_amt"


def report(api: Api, name: str, **params: str) -> dict[str, Any]:
    response = api.get(f"reports/{name}", **params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = jsonio.loads(response.content)
    return body


def ledger_rows(body: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Account id -> its Data rows as {column key: value} (ids under ``<key>.id``)."""
    keys = [c["ColType"] for c in body["Columns"]["Column"]]
    out: dict[str, list[dict[str, str]]] = {}
    for section in body["Rows"].get("Row", []):
        account = section["Header"]["ColData"][0]["id"]
        rows = out.setdefault(account, [])
        for row in section["Rows"]["Row"]:
            cells: dict[str, str] = {}
            for key, cell in zip(keys, row["ColData"], strict=True):
                cells[key] = cell["value"]
                if "id" in cell:
                    cells[f"{key}.id"] = cell["id"]
            rows.append(cells)
    return out


def sums(rows: list[dict[str, str]]) -> tuple[Decimal, Decimal]:
    return (sum((D(r["debt_amt"] or 0) for r in rows if r.get("txn_type.id")), D(0)),
            sum((D(r["credit_amt"] or 0) for r in rows if r.get("txn_type.id")), D(0)))


def taxed_invoice(api: Api, amount: str = "100.00", txn_date: str = "2026-01-10",
                  code: str = "6") -> dict[str, Any]:
    return api.create("Invoice", {
        "CustomerRef": {"value": "58"}, "TxnDate": txn_date, "DocNumber": f"T-{txn_date}",
        "TxnTaxDetail": {"TxnTaxCodeRef": {"value": code}},
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": D(amount),
                  "SalesItemLineDetail": {"ItemRef": {"value": "22"}, "Qty": 1,
                                          "UnitPrice": D(amount),
                                          "TaxCodeRef": {"value": "TAX"}}}]})


def test_an_invoice_debits_receivable_and_credits_income_and_sales_tax(api: Api) -> None:
    invoice = taxed_invoice(api)
    rows = ledger_rows(report(api, "GeneralLedger", start_date="2026-01-01",
                              end_date="2026-01-31", columns=GL_COLUMNS))
    assert sums(rows["84"]) == (D("106.25"), D(0))  # A/R
    assert sums(rows["80"]) == (D(0), D("100.00"))  # the item's income account
    assert sums(rows["89"]) == (D(0), D("6.25"))  # Sales Tax Payable
    (row,) = rows["84"]
    assert row["txn_type"] == "Invoice"
    assert row["txn_type.id"] == invoice["Id"]
    assert row["tx_date"] == "2026-01-10"
    assert row["doc_num"] == "T-2026-01-10"
    assert row["name.id"] == "58"


def test_a_payment_debits_undeposited_funds_or_its_deposit_account_and_credits_receivable(
        api: Api, make_invoice: Any) -> None:
    invoice = api.create("Invoice", make_invoice(amount="150.00"))
    api.create("Payment", {"CustomerRef": {"value": "58"}, "TotalAmt": D("100.00"),
                           "TxnDate": "2026-01-16", "Line": [{"Amount": D("100.00"),
                           "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    api.create("Payment", {"CustomerRef": {"value": "58"}, "TotalAmt": D("50.00"),
                           "TxnDate": "2026-01-17", "DepositToAccountRef": {"value": "35"}})
    rows = ledger_rows(report(api, "GeneralLedger", start_date="2026-01-01",
                              end_date="2026-01-31", columns=GL_COLUMNS))
    assert sums(rows["4"]) == (D("100.00"), D(0))  # Undeposited Funds
    assert sums(rows["35"]) == (D("50.00"), D(0))  # Checking
    assert sums(rows["84"]) == (D("150.00"), D("150.00"))


def test_credit_memo_refund_receipt_and_journal_entry_post_what_they_say(api: Api) -> None:
    line = {"DetailType": "SalesItemLineDetail", "Amount": D("30.00"),
            "SalesItemLineDetail": {"ItemRef": {"value": "23"}, "Qty": 1,
                                    "UnitPrice": D("30.00")}}
    api.create("CreditMemo", {"CustomerRef": {"value": "58"}, "TxnDate": "2026-01-05",
                              "Line": [line]})
    api.create("RefundReceipt", {"CustomerRef": {"value": "58"}, "TxnDate": "2026-01-06",
                                 "DepositToAccountRef": {"value": "35"}, "Line": [line]})
    api.create("JournalEntry", {"TxnDate": "2026-01-07", "Line": [
        {"DetailType": "JournalEntryLineDetail", "Amount": D("12.00"),
         "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "91"}}},
        {"DetailType": "JournalEntryLineDetail", "Amount": D("12.00"),
         "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": "84"},
                                    "Entity": {"Type": "Customer",
                                               "EntityRef": {"value": "61"}}}}]})
    rows = ledger_rows(report(api, "GeneralLedger", start_date="2026-01-01",
                              end_date="2026-01-31", columns=GL_COLUMNS))
    assert sums(rows["81"]) == (D("60.00"), D(0))  # event income, reversed twice
    assert sums(rows["84"]) == (D(0), D("42.00"))  # credit memo 30 + journal 12; no refund
    assert sums(rows["35"]) == (D(0), D("30.00"))  # the refund left the bank
    assert sums(rows["91"]) == (D("12.00"), D(0))


def test_a_voided_invoice_posts_nothing(api: Api, make_invoice: Any) -> None:
    invoice = api.create("Invoice", make_invoice(amount="80.00"))
    api.post("invoice", {"Id": invoice["Id"], "SyncToken": invoice["SyncToken"]},
             operation="void")
    body = report(api, "GeneralLedger", start_date="2026-01-01", end_date="2026-01-31")
    assert body["Rows"] == {}
    assert body["Header"]["Option"] == [{"Name": "NoReportData", "Value": "true"}]


def test_the_general_ledger_keeps_earlier_activity_in_a_beginning_balance_row(
        api: Api, make_invoice: Any) -> None:
    api.create("Invoice", make_invoice(amount="70.00", txn_date="2026-01-02"))
    api.create("Invoice", make_invoice(amount="30.00", txn_date="2026-01-12"))
    body = report(api, "GeneralLedger", start_date="2026-01-10", end_date="2026-01-31",
                  columns="tx_date,txn_type,debt_amt,credit_amt,rbal_nat_amount")
    rows = ledger_rows(body)["84"]
    assert rows[0] == {"tx_date": "Beginning Balance", "txn_type": "", "debt_amt": "",
                       "credit_amt": "", "rbal_nat_amount": "70.00"}
    assert sums(rows) == (D("30.00"), D(0))
    summary = body["Rows"]["Row"][0]["Summary"]["ColData"]
    assert [c["value"] for c in summary] == ["Total for Accounts Receivable (A/R)", "",
                                             "30.00", "0.00", "100.00"]


def test_the_general_ledger_answers_in_qbos_report_shape(api: Api) -> None:
    taxed_invoice(api)
    body = report(api, "GeneralLedger", start_date="2026-01-01", end_date="2026-01-31")
    header = body["Header"]
    assert header["ReportName"] == "GeneralLedger"
    assert (header["StartPeriod"], header["EndPeriod"]) == ("2026-01-01", "2026-01-31")
    assert header["ReportBasis"] == "Accrual"
    assert header["Currency"] == "USD"
    assert [c["ColType"] for c in body["Columns"]["Column"]] == [
        "tx_date", "txn_type", "doc_num", "name", "memo", "split_acc", "subt_nat_amount",
        "rbal_nat_amount"]
    section = body["Rows"]["Row"][0]
    assert section["type"] == "Section"
    assert section["Header"]["ColData"][0] == {"value": "Accounts Receivable (A/R)",
                                               "id": "84"}
    assert section["Rows"]["Row"][0]["type"] == "Data"
    assert "time" not in body  # a report carries Header.Time instead


def test_the_trial_balance_shows_balances_with_income_since_the_fiscal_year(
        api: Api, make_invoice: Any) -> None:
    api.create("Invoice", make_invoice(amount="40.00", txn_date="2025-12-20"))
    taxed_invoice(api, txn_date="2026-01-10")
    body = report(api, "TrialBalance", start_date="2026-01-01", end_date="2026-01-31")
    rows = {(r["ColData"][0].get("id"), r["ColData"][0]["value"]):
            (r["ColData"][1]["value"], r["ColData"][2]["value"])
            for r in body["Rows"]["Row"] if "ColData" in r}
    assert rows[("84", "Accounts Receivable (A/R)")] == ("146.25", "")
    assert rows[("80", "Merchandise Sales")] == ("", "100.00")
    assert rows[(None, "Retained Earnings")] == ("", "40.00")  # last year's dues income
    assert ("79", "Membership Dues Income") not in rows
    total = body["Rows"]["Row"][-1]
    assert total["group"] == "GrandTotal"
    assert [c["value"] for c in total["Summary"]["ColData"]] == ["TOTAL", "146.25", "146.25"]


@pytest.mark.parametrize("params", [{"start_date": "2026-1-5"}, {"end_date": "01/31/2026"},
                                    {"start_date": "2026-02-30"}])
def test_a_report_date_that_is_not_yyyy_mm_dd_is_refused(api: Api,
                                                         params: dict[str, str]) -> None:
    (error,) = api.fault(api.get("reports/GeneralLedger", **params))
    assert error["code"] == "2010"
    assert error["element"] in params


def test_a_report_period_that_ends_before_it_starts_is_refused(api: Api) -> None:
    (error,) = api.fault(api.get("reports/TrialBalance", start_date="2026-02-01",
                                 end_date="2026-01-31"))
    assert error["code"] == "2010"
    assert "after end_date" in error["Detail"]


def test_an_unknown_report_is_refused(api: Api) -> None:
    (error,) = api.fault(api.get("reports/AgedReceivablesMagic", end_date="2026-01-31"))
    assert error["code"] == "500"
    assert "AgedReceivablesMagic" in error["Detail"]


@pytest.mark.parametrize(("params", "element"), [
    ({"columns": "tx_date,debit"}, "columns"),
    ({"date_macro": "Since Forever"}, "date_macro"),
    ({"accounting_method": "Modified"}, "accounting_method"),
])
def test_an_unknown_column_macro_or_method_is_an_invalid_enumeration(
        api: Api, params: dict[str, str], element: str) -> None:
    (error,) = api.fault(api.get("reports/GeneralLedger", **params))
    assert (error["code"], error["element"]) == ("2170", element)


def test_a_date_macro_sets_the_period(api: Api) -> None:
    header = report(api, "GeneralLedger", date_macro="Last Month")["Header"]
    assert (header["StartPeriod"], header["EndPeriod"]) == ("2025-12-01", "2025-12-31")
    assert header["DateMacro"] == "last month"


def test_transactions_are_queried_by_txn_date(api: Api, make_invoice: Any) -> None:
    early = api.create("Invoice", make_invoice(txn_date="2026-01-05"))
    api.create("Invoice", make_invoice(txn_date="2026-01-15"))
    answer = jsonio.loads(api.query(
        "SELECT * FROM Invoice WHERE TxnDate <= '2026-01-10' ORDERBY Id STARTPOSITION 1 "
        "MAXRESULTS 1000").content)
    assert [i["Id"] for i in answer["QueryResponse"]["Invoice"]] == [early["Id"]]


@pytest.mark.parametrize(("text", "code"), [
    ("SELECT * FROM Invoice WHERE TxnDate <= 'last week'", "4001"),
    ("SELECT * FROM Invoice WHERE TxnDate <= '2026-13-01'", "4001"),
    ("SELECT * FROM Invoice WHERE TxnDate <= 2026-01-10", "4000"),
])
def test_a_txn_date_compared_with_anything_but_a_quoted_date_is_refused(
        api: Api, text: str, code: str) -> None:
    (error,) = api.fault(api.query(text))
    assert error["code"] == code


def test_the_trial_balance_follows_the_companys_fiscal_year(
        api: Api, sandbox: Sandbox, make_invoice: Any) -> None:
    info = sandbox.company().store.get("CompanyInfo", "1")
    assert info is not None
    info["FiscalYearStartMonth"] = "July"
    api.create("Invoice", make_invoice(amount="40.00", txn_date="2025-06-20"))
    api.create("Invoice", make_invoice(amount="25.00", txn_date="2025-07-02"))
    body = report(api, "TrialBalance", end_date="2026-01-31")
    rows = {r["ColData"][0]["value"]: r["ColData"][2]["value"]
            for r in body["Rows"]["Row"] if "ColData" in r}
    assert rows["Membership Dues Income"] == "25.00"
    assert rows["Retained Earnings"] == "40.00"
