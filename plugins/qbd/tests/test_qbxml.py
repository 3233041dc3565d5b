"""qbXML built before sending: element order, lengths, characters, version negotiation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

from ledgersync import (
    ExportRequest,
    Invoice,
    InvoiceLine,
    Member,
    Operation,
    Payment,
    Record,
    Refund,
)
from ledgersync.testing import sample_records
from ledgersync_qbd.errors import QbdValidationError
from ledgersync_qbd.qbxml.document import message_set, read_response
from ledgersync_qbd.qbxml.model import BuildContext, Write
from ledgersync_qbd.qbxml.text import clean
from ledgersync_qbd.qbxml.versions import NoCommonVersion, negotiate
from ledgersync_qbd.qbxml.writes import build_write
from ledgersync_qbd.sandbox.schema import validate
from ledgersync_qbd.sandbox.specs import REQUEST_SPECS
from ledgersync_qbd.settings import QbdSettings

from .conftest import ENVELOPES, MAPPINGS

CTX = BuildContext("club", QbdSettings(username="u", payment_methods={"card": "Visa"}))
LINKS = {("member", "M-9001"): "80000001-1700000000", ("invoice", "INV-9001"): "1-1700000000",
         ("credit_memo", "CM-9001"): "2-1700000000"}
EXAMPLES = Path(__file__).parent / "data" / "qbxml-examples"


def request(record: Record, operation: Operation = Operation.CREATE, **extra: object
            ) -> ExportRequest:
    refs = {(r.kind, r.mms_id): MAPPINGS.get((r.kind, r.mms_id)) or LINKS[(r.kind, r.mms_id)]
            for r in record.references()}
    return ExportRequest(item_id=1, company="club", kind=record.kind, operation=operation,
                         record=record, idempotency_key="k", attempt=1, references=refs,
                         **extra)  # type: ignore[arg-type]


def sample(kind: str) -> Any:  # the record of that kind: tests evolve kind-specific fields
    return next(r for r in sample_records() if r.kind == kind)


def build(record: Record, **extra: object) -> Write:
    return build_write(request(record, **extra), CTX)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["member", "invoice", "payment", "credit_memo", "refund",
                                  "journal_entry"])
def test_every_write_follows_the_qbxml_13_element_order(kind: str) -> None:
    write = build(sample(kind))
    assert validate(write.element, REQUEST_SPECS[write.request_type]) == []


def test_updates_and_voids_follow_the_element_order() -> None:
    for record, operation in ((sample("member"), Operation.UPDATE),
                              (sample("invoice"), Operation.UPDATE),
                              (sample("payment"), Operation.VOID)):
        write = build(record, operation=operation, external_id="1-1700000000",
                      version_token="1700000001")
        assert validate(write.element, REQUEST_SPECS[write.request_type]) == []


def test_an_invoice_is_written_like_the_reference_example_with_tax_as_its_own_line() -> None:
    write = build(sample("invoice"))
    body = write.element.find("InvoiceAdd")
    assert body is not None
    assert [c.tag for c in body][:6] == ["CustomerRef", "TxnDate", "RefNumber", "TermsRef",
                                        "DueDate", "ExternalGUID"]
    lines = body.findall("InvoiceLineAdd")
    assert [line.findtext("ItemRef/FullName") for line in lines] == [
        "Event Fee", "Membership Dues", "IL Sales Tax"]
    assert lines[-1].findtext("Amount") == "11.25"
    assert {line.findtext("SalesTaxCodeRef/FullName") for line in lines[:2]} == {"Non"}
    assert body.findtext("CustomerRef/ListID") == LINKS[("member", "M-9001")]


def test_the_reference_examples_parse_as_our_responses_expect() -> None:
    # Our message-set wrapper produces what the reference's examples show.
    write = build(sample("member"))
    text = message_set("13.0", [write.element], new_id="ls-1", old_id="ls-0")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>')
    assert 'onError="continueOnError" oldMessageSetID="ls-0" newMessageSetID="ls-1"' in text
    assert (EXAMPLES / "customer_add.xml").exists()


def test_a_customer_name_over_41_characters_is_refused_with_a_remedy() -> None:
    with pytest.raises(QbdValidationError) as refused:
        build(Member(mms_id="M-1", display_name="Bartholomew Fitzwilliam-Castellano-Smythes"))
    assert "42 characters" in refused.value.message
    assert "at most 41" in (refused.value.remedy or "")


def test_an_invoice_number_over_11_characters_is_refused_not_cut() -> None:
    invoice = attrs.evolve(sample("invoice"), number="2026-000123")  # 11: fine
    assert build(invoice).element.findtext("InvoiceAdd/RefNumber") == "2026-000123"
    with pytest.raises(QbdValidationError, match="12 characters"):
        build(attrs.evolve(invoice, number="2026-0001234"))


def test_a_long_mms_id_without_a_number_gets_a_stable_short_refnumber() -> None:
    payment = attrs.evolve(sample("payment"), mms_id="PAYMENT-2026-THE-LONGEST-ID", number=None)
    first = build(payment).element.findtext("ReceivePaymentAdd/RefNumber")
    assert first is not None
    assert len(first) <= 20
    assert build(payment).element.findtext("ReceivePaymentAdd/RefNumber") == first


def test_names_outside_latin_1_are_refused_and_descriptions_get_a_warning() -> None:
    with pytest.raises(QbdValidationError, match="cannot store"):
        build(Member(mms_id="M-1", display_name="王小明"))
    invoice = sample("invoice")
    assert isinstance(invoice, Invoice)
    line = attrs.evolve(invoice.lines[1], description="Dues \u2013 \u201cfull\u201d year \u2603")
    write = build(attrs.evolve(invoice, lines=(invoice.lines[0], line)))
    assert write.element.findall(".//Desc")[1].text == 'Dues - "full" year ?'
    assert write.warnings
    assert "?" in write.warnings[0]


def test_accents_are_kept_when_latin_1_has_them_and_dropped_when_not() -> None:
    warnings: list[str] = []
    assert clean("Zoë Łukasz", what="x", identifying=True, warnings=warnings) == "Zoë Lukasz"
    assert warnings == []


def test_a_colon_in_a_name_does_not_make_it_a_job() -> None:
    write = build(Member(mms_id="M-1", display_name="Smith: Jane"))
    assert write.element.findtext("CustomerAdd/Name") == "Smith- Jane"


@pytest.mark.parametrize(("kind", "mod"), [("payment", "ReceivePaymentMod"),
                                           ("credit_memo", "CreditMemoMod"),
                                           ("journal_entry", "JournalEntryMod")])
def test_a_changed_transaction_is_modified_with_its_edit_sequence(kind: str, mod: str) -> None:
    write = build(sample(kind), operation=Operation.UPDATE, external_id="3-1",
                  version_token="1700000009")
    assert write.request_type == f"{mod}Rq"
    body = write.element.find(mod)
    assert body is not None
    assert [c.text for c in body][:2] == ["3-1", "1700000009"]
    assert body.find("ExternalGUID") is None  # not in any Mod of qbXML 13.0


def test_a_refund_without_a_credit_memo_is_a_check_against_receivables() -> None:
    refund = sample("refund")
    assert isinstance(refund, Refund)
    write = build(attrs.evolve(refund, credit_memo_id=None))
    assert write.request_type == "CheckAddRq"
    line = write.element.find("CheckAdd/ExpenseLineAdd")
    assert line is not None
    assert line.findtext("AccountRef/FullName") == "Accounts Receivable"
    assert line.findtext("Amount") == f"{refund.amount:.2f}"
    assert line.findtext("CustomerRef/ListID") == LINKS[("member", refund.member_id)]
    assert write.finder is not None
    assert write.finder.query == "CheckQueryRq"


def test_a_voided_overpayment_refund_voids_its_check() -> None:
    refund = sample("refund")
    assert isinstance(refund, Refund)
    write = build(attrs.evolve(refund, credit_memo_id=None), operation=Operation.VOID,
                  external_id="9-1")
    assert write.element.findtext("TxnVoidType") == "Check"


def test_another_currency_is_refused() -> None:
    payment = sample("payment")
    assert isinstance(payment, Payment)
    with pytest.raises(QbdValidationError, match="EUR"):
        build(attrs.evolve(payment, currency="EUR"))


def test_a_line_with_only_an_account_uses_the_default_item_with_the_account_override() -> None:
    invoice = sample("invoice")
    assert isinstance(invoice, Invoice)
    line = InvoiceLine(account_id="4000", quantity=Decimal(1), rate=Decimal(5),
                       amount=Decimal(5))
    record = attrs.evolve(invoice, lines=(line,))
    with pytest.raises(QbdValidationError, match="default_item"):
        build(record)
    ctx = attrs.evolve(CTX, settings=attrs.evolve(CTX.settings, default_item="Late Fee"))
    refs = {**request(record).references, ("gl_account", "4000"): "Membership Income"}
    write = build_write(attrs.evolve(request(record), references=refs), ctx)
    assert write.element.findtext(".//OverrideItemAccountRef/FullName") == "Membership Income"
    assert validate(write.element, REQUEST_SPECS[write.request_type]) == []


def test_mapped_list_ids_are_sent_as_list_ids_and_names_as_full_names() -> None:
    payment = sample("payment")
    req = request(payment)
    refs = {**req.references, ("gl_account", "1000"): "80000005-1700000000"}
    write = build_write(attrs.evolve(req, references=refs), CTX)
    assert write.element.findtext(".//DepositToAccountRef/ListID") == "80000005-1700000000"
    assert write.element.findtext(".//PaymentMethodRef/FullName") == "Visa"


def test_a_response_is_read_by_request_id() -> None:
    answer = read_response(
        '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs newMessageSetID="ls-1" '
        'messageSetStatusCode="0"><CustomerAddRs requestID="7:write:0" statusCode="3100" '
        'statusSeverity="Error" statusMessage="in use"/></QBXMLMsgsRs></QBXML>')
    assert answer.set_status == 0
    rs = answer.by_request_id()["7:write:0"]
    assert (rs.status, rs.ok) == (3100, False)


# -- version negotiation -------------------------------------------------------------------


def _hcp(versions: list[str], country: str = "US") -> str:
    listed = "".join(f"<SupportedQBXMLVersion>{v}</SupportedQBXMLVersion>" for v in versions)
    return (f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><HostQueryRs statusCode="0"><HostRet>'
            f"<ProductName>QuickBooks</ProductName><Country>{country}</Country>{listed}"
            "</HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>")


def test_the_highest_version_both_sides_speak_is_chosen() -> None:
    host = negotiate(_hcp(["8.0", "12.0", "13.0", "14.0", "16.0"]), country="US", major=16,
                     minor=0)
    assert host.version == "13.0"


@pytest.mark.parametrize("country", ["CA", "UK"])
def test_canadian_and_uk_editions_are_negotiated(country: str) -> None:
    host = negotiate(_hcp([f"{country}3.0", "8.0", "10.0"], country), country="",
                     major=10, minor=0)
    assert (host.version, host.country) == ("10.0", country)


def test_without_a_host_description_the_parameters_give_the_version() -> None:
    assert negotiate("", country="US", major=12, minor=0).version == "12.0"


def test_quickbooks_2006_from_the_captured_traffic_is_told_to_upgrade() -> None:
    captured = (ENVELOPES / "consolibyte-log-2008" / "10-sendRequestXML.request.xml").read_text()
    from ledgersync_qbd.xmlsafe import parse

    hcp = parse(captured, max_bytes=100_000).find(".//{http://developer.intuit.com/}"
                                                  "strHCPResponse")
    assert hcp is not None
    with pytest.raises(NoCommonVersion, match=r"QuickBooks Pro 2006 speaks qbXML up to 5\.0"):
        negotiate(hcp.text or "", country="US", major=5, minor=0)


def test_a_configured_maximum_caps_the_version() -> None:
    host = negotiate(_hcp(["8.0", "13.0"]), country="US", major=13, minor=0, maximum="8.0")
    assert host.version == "8.0"


def test_dates_are_written_as_qbxml_dates() -> None:
    invoice = attrs.evolve(sample("invoice"), txn_date=dt.date(2026, 1, 5),
                           due_date=dt.date(2026, 2, 4))
    body = build(invoice).element.find("InvoiceAdd")
    assert body is not None
    assert (body.findtext("TxnDate"), body.findtext("DueDate")) == ("2026-01-05", "2026-02-04")
