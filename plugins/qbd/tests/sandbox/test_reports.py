"""The Trial Balance (GeneralSummaryReportQueryRq) computed from the stored transactions, and
the date rules QuickBooks applies to report periods and transaction date filters."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from ledgersync_qbd.sandbox import HRESULT_PARSE_ERROR, CompanyFile, RequestProcessorError

from .conftest import QB


def _invoice(qb: QB, customer: str, ref: str, day: str, lines: str) -> ET.Element:
    rs = qb.ok(f"<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>{customer}</FullName>"
               f"</CustomerRef><TxnDate>{day}</TxnDate><RefNumber>{ref}</RefNumber>{lines}"
               "</InvoiceAdd></InvoiceAddRq>")
    ret = rs.find("InvoiceRet")
    assert ret is not None
    return ret


def _line(item: str, amount: str) -> str:
    return (f"<InvoiceLineAdd><ItemRef><FullName>{item}</FullName></ItemRef>"
            f"<Amount>{amount}</Amount></InvoiceLineAdd>")


def _trial_balance(qb: QB, period: str = "", extra: str = "") -> ET.Element:
    return qb.one("<GeneralSummaryReportQueryRq><GeneralSummaryReportType>TrialBalance"
                  f"</GeneralSummaryReportType>{period}{extra}</GeneralSummaryReportQueryRq>")


def _rows(rs: ET.Element) -> dict[str, Decimal]:
    """Net debit per account row of a Trial Balance answer."""
    assert rs.get("statusCode") == "0", rs.get("statusMessage")
    out = {}
    for row in rs.iterfind("ReportRet/ReportData/DataRow"):
        values = {c.get("colID"): c.get("value") for c in row.iterfind("ColData")}
        out[values["1"] or ""] = Decimal(values.get("2") or 0) - Decimal(values.get("3") or 0)
    return out


@pytest.fixture
def month(qb: QB) -> None:
    """Ann's invoice with sales tax on 5 January, her payment on 5 February."""
    qb.add_customer("Ann")
    invoice = _invoice(qb, "Ann", "1", "2026-01-05",
                       _line("Membership Dues", "100.00") + _line("IL Sales Tax", "6.25"))
    qb.ok("<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Ann</FullName>"
          "</CustomerRef><TxnDate>2026-02-05</TxnDate><TotalAmount>50.00</TotalAmount>"
          f"<AppliedToTxnAdd><TxnID>{qb.text(invoice, 'TxnID')}</TxnID><PaymentAmount>50.00"
          "</PaymentAmount></AppliedToTxnAdd></ReceivePaymentAdd></ReceivePaymentAddRq>")


def _period(start: str | None, end: str) -> str:
    first = f"<FromReportDate>{start}</FromReportDate>" if start else ""
    return f"<ReportPeriod>{first}<ToReportDate>{end}</ToReportDate></ReportPeriod>"


def test_the_trial_balance_posts_each_transaction_to_its_accounts(qb: QB, month: None) -> None:
    assert _rows(_trial_balance(qb, _period(None, "2026-02-28"))) == {
        "Accounts Receivable": Decimal("56.25"),
        "Membership Income": Decimal("-100.00"),
        "Sales Tax Payable": Decimal("-6.25"),  # the sales-tax item's line
        "Undeposited Funds": Decimal("50.00"),  # a payment deposited nowhere else
    }


def test_the_trial_balance_is_in_balance_in_its_total_row(qb: QB, month: None) -> None:
    rs = _trial_balance(qb, _period(None, "2026-02-28"))
    total = rs.find("ReportRet/ReportData/TotalRow")
    assert total is not None
    values = {c.get("colID"): c.get("value") for c in total.iterfind("ColData")}
    assert values["2"] == values["3"] == "106.25"


def test_a_period_shows_income_for_its_range_and_balance_sheet_accounts_at_its_end(
        qb: QB, month: None) -> None:
    rows = _rows(_trial_balance(qb, _period("2026-02-01", "2026-02-28")))
    assert "Membership Income" not in rows  # earned in January
    assert rows["Accounts Receivable"] == Decimal("56.25")


def test_a_voided_invoice_posts_nothing(qb: QB, month: None) -> None:
    qb.add_customer("Bob")
    invoice = _invoice(qb, "Bob", "2", "2026-01-10", _line("Event Fee", "45.00"))
    qb.ok(f"<TxnVoidRq><TxnVoidType>Invoice</TxnVoidType><TxnID>{qb.text(invoice, 'TxnID')}"
          "</TxnID></TxnVoidRq>")
    assert "Event Income" not in _rows(_trial_balance(qb, _period(None, "2026-02-28")))


def test_a_period_that_ends_before_it_starts_is_3030(qb: QB, month: None) -> None:
    rs = _trial_balance(qb, _period("2026-03-01", "2026-02-28"))
    assert (rs.get("statusCode"), rs.get("statusSeverity")) == ("3030", "Error")
    assert rs.get("statusMessage") == "Invalid date range: From date is greater than To date."
    assert rs.find("ReportRet") is None


@pytest.mark.parametrize("window", [
    "<TxnDateRangeFilter><FromTxnDate>2026-03-01</FromTxnDate><ToTxnDate>2026-02-28"
    "</ToTxnDate></TxnDateRangeFilter>",
    "<ModifiedDateRangeFilter><FromModifiedDate>2026-03-01T00:00:00</FromModifiedDate>"
    "<ToModifiedDate>2026-02-28T00:00:00</ToModifiedDate></ModifiedDateRangeFilter>",
])
def test_a_transaction_query_whose_range_ends_before_it_starts_is_3030(
        qb: QB, month: None, window: str) -> None:
    rs = qb.one(f"<InvoiceQueryRq>{window}</InvoiceQueryRq>")
    assert rs.get("statusCode") == "3030"


def test_a_day_not_in_the_calendar_is_3020(qb: QB, month: None) -> None:
    rs = qb.one("<InvoiceQueryRq><TxnDateRangeFilter><ToTxnDate>2026-02-30</ToTxnDate>"
                "</TxnDateRangeFilter></InvoiceQueryRq>")
    assert rs.get("statusCode") == "3020"
    assert "2026-02-30" in (rs.get("statusMessage") or "")


def test_to_txn_date_leaves_out_what_came_after(qb: QB, month: None) -> None:
    rs = qb.one("<ReceivePaymentQueryRq><TxnDateRangeFilter><ToTxnDate>2026-01-31</ToTxnDate>"
                "</TxnDateRangeFilter></ReceivePaymentQueryRq>")
    assert rs.get("statusCode") == "1"  # No match: the payment is dated 5 February
    assert rs.find("ReceivePaymentRet") is None


def test_the_report_period_after_the_report_type_is_a_parse_error(company: CompanyFile) -> None:
    with pytest.raises(RequestProcessorError) as refused:
        company.process(QB.doc(
            "<GeneralSummaryReportQueryRq><ReportPeriod><ToReportDate>2026-02-28</ToReportDate>"
            "</ReportPeriod><GeneralSummaryReportType>TrialBalance</GeneralSummaryReportType>"
            "</GeneralSummaryReportQueryRq>"))
    assert refused.value.hresult == HRESULT_PARSE_ERROR


def test_a_report_type_the_schema_does_not_know_is_a_parse_error(company: CompanyFile) -> None:
    with pytest.raises(RequestProcessorError):
        company.process(QB.doc("<GeneralSummaryReportQueryRq><GeneralSummaryReportType>"
                               "GeneralLedger</GeneralSummaryReportType>"
                               "</GeneralSummaryReportQueryRq>"))


@pytest.mark.parametrize("request_body", [
    "<GeneralSummaryReportType>ProfitAndLossStandard</GeneralSummaryReportType>",
    "<GeneralSummaryReportType>TrialBalance</GeneralSummaryReportType>"
    "<ReportDateMacro>ThisMonth</ReportDateMacro>",
])
def test_reports_the_sandbox_does_not_model_are_unsupported_not_made_up(
        qb: QB, request_body: str) -> None:
    rs = qb.one(f"<GeneralSummaryReportQueryRq>{request_body}</GeneralSummaryReportQueryRq>")
    assert rs.get("statusCode") == "1030"


def test_the_special_accounts_say_what_they_are(qb: QB) -> None:
    rs = qb.ok("<AccountQueryRq><ActiveStatus>All</ActiveStatus></AccountQueryRq>")
    special = {qb.text(ret, "FullName"): ret.findtext("SpecialAccountType")
               for ret in rs.iterfind("AccountRet")}
    assert special["Undeposited Funds"] == "UndepositedFunds"
    assert special["Sales Tax Payable"] == "SalesTaxPayable"
    assert special["Accounts Receivable"] == "AccountsReceivable"
    assert special["Checking"] is None


def test_a_credit_memo_used_on_an_invoice_links_to_it_when_asked(qb: QB) -> None:
    qb.add_customer("Ann")
    invoice = _invoice(qb, "Ann", "1", "2026-01-05", _line("Membership Dues", "100.00"))
    memo = qb.add_credit_memo("Ann", "CM1", "20.00")
    qb.ok("<ReceivePaymentAddRq><ReceivePaymentAdd><CustomerRef><FullName>Ann</FullName>"
          "</CustomerRef><TotalAmount>0.00</TotalAmount><AppliedToTxnAdd><TxnID>"
          f"{qb.text(invoice, 'TxnID')}</TxnID><PaymentAmount>0.00</PaymentAmount><SetCredit>"
          f"<CreditTxnID>{qb.text(memo, 'TxnID')}</CreditTxnID><AppliedAmount>20.00"
          "</AppliedAmount></SetCredit></AppliedToTxnAdd></ReceivePaymentAdd>"
          "</ReceivePaymentAddRq>")
    plain = qb.ok("<CreditMemoQueryRq><RefNumber>CM1</RefNumber></CreditMemoQueryRq>")
    assert plain.find("CreditMemoRet/LinkedTxn") is None
    linked = qb.ok("<CreditMemoQueryRq><RefNumber>CM1</RefNumber><IncludeLinkedTxns>true"
                   "</IncludeLinkedTxns></CreditMemoQueryRq>")
    assert qb.text(linked, "CreditMemoRet/LinkedTxn/TxnID") == qb.text(invoice, "TxnID")
    assert qb.text(linked, "CreditMemoRet/LinkedTxn/TxnType") == "Invoice"


def test_an_item_added_with_its_account_by_name_posts_to_that_account(qb: QB) -> None:
    qb.ok("<AccountAddRq><AccountAdd><Name>Slip Rental Income</Name><AccountType>Income"
          "</AccountType></AccountAdd></AccountAddRq>")
    qb.ok("<ItemServiceAddRq><ItemServiceAdd><Name>Slip</Name><SalesOrPurchase><Price>0"
          "</Price><AccountRef><FullName>Slip Rental Income</FullName></AccountRef>"
          "</SalesOrPurchase></ItemServiceAdd></ItemServiceAddRq>")
    qb.add_customer("Ann")
    _invoice(qb, "Ann", "1", "2026-01-05", _line("Slip", "180.00"))
    rows = _rows(_trial_balance(qb, _period(None, "2026-01-31")))
    assert rows == {"Accounts Receivable": Decimal("180.00"),
                    "Slip Rental Income": Decimal("-180.00")}
