"""Every request the connector can emit, checked against the qbXML 13.0 schema facts.

The facts (``ledgersync_qbd.sandbox.schema_facts``) were generated once from Intuit's qbXML 13.0
SDK schema; the sandbox refuses, as QuickBooks' parser does, a request they do not allow. Each
test builds the connector's own request (add, mod, void/delete, look-up, re-read, list read,
iterator continuation, recovery probe, idle query) and runs it through the sandbox's parser.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from ledgersync import Operation
from ledgersync_qbd.qbxml.document import message_set, probe
from ledgersync_qbd.qbxml.lists import ITERATED, LISTS, continue_request, start_request
from ledgersync_qbd.qbxml.lookups import can_reread, find_request, reread_request
from ledgersync_qbd.qbxml.transactions import DELETE_TYPES, VOID_TYPES
from ledgersync_qbd.qbxml.writes import SUPPORTED_KINDS, UPDATABLE
from ledgersync_qbd.sandbox import HRESULT_PARSE_ERROR, PARSE_ERROR_MESSAGE, CompanyFile
from ledgersync_qbd.sandbox.conformance import check_request, takes_iterator
from ledgersync_qbd.sandbox.schema import El, Slot, validate
from ledgersync_qbd.sandbox.schema_facts import DECLARATIONS, REQUEST_ATTRIBUTES
from ledgersync_qbd.sandbox.specs import REQUEST_SPECS
from ledgersync_qbd.xmlsafe import Element

from .test_qbxml import build, sample

KINDS = sorted(SUPPORTED_KINDS)
TXN_KINDS = sorted(k for k in SUPPORTED_KINDS if k != "member")


def parsed_by_quickbooks(*requests: Element) -> None:
    """The requests pass the schema facts and the sandbox's parser accepts their message set."""
    for number, rq in enumerate(requests):
        rq.set("requestID", str(number))
        check_request(rq)
        assert validate(rq, REQUEST_SPECS[str(rq.tag)]) == []
    result = CompanyFile().handle(message_set("13.0", list(requests), new_id="ls1"))
    assert (result.hresult, result.parse_detail) == ("", "")


# -- what the connector emits ---------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_every_add_is_valid_qbxml_13(kind: str) -> None:
    parsed_by_quickbooks(build(sample(kind)).element)


@pytest.mark.parametrize("kind", sorted(UPDATABLE))
def test_every_mod_is_valid_qbxml_13(kind: str) -> None:
    write = build(sample(kind), operation=Operation.UPDATE, external_id="1-1700000000",
                  version_token="1700000001")
    assert write.request_type.endswith("ModRq")
    parsed_by_quickbooks(write.element)


@pytest.mark.parametrize("kind", TXN_KINDS)
def test_every_void_or_delete_is_valid_qbxml_13(kind: str) -> None:
    write = build(sample(kind), operation=Operation.VOID, external_id="1-1700000000")
    parsed_by_quickbooks(write.element)


@pytest.mark.parametrize("kind", KINDS)
def test_every_look_up_after_a_doubt_is_valid_qbxml_13(kind: str) -> None:
    finder = build(sample(kind)).finder
    assert finder is not None
    parsed_by_quickbooks(find_request(finder))


@pytest.mark.parametrize("mod", ["CustomerModRq", "InvoiceModRq", "CreditMemoModRq",
                                 "ReceivePaymentModRq", "JournalEntryModRq"])
def test_every_reread_after_a_stale_edit_sequence_is_valid_qbxml_13(mod: str) -> None:
    assert can_reread(mod)
    parsed_by_quickbooks(reread_request(mod, "1-1700000000"))


@pytest.mark.parametrize("label", sorted(LISTS))
def test_every_list_read_is_valid_qbxml_13(label: str) -> None:
    parsed_by_quickbooks(start_request(label))


@pytest.mark.parametrize("label", sorted(k for k, v in LISTS.items() if v in ITERATED))
def test_every_list_continuation_is_valid_qbxml_13(label: str) -> None:
    rq = continue_request(label, "{0b0f5b4e-1d7a-4a8e-9c1e-3f2d6a7b8c9d}")
    check_request(rq)
    assert validate(rq, REQUEST_SPECS[str(rq.tag)]) == []


def test_the_connector_iterates_exactly_the_list_queries_the_schema_lets_iterate() -> None:
    assert {q: q in ITERATED for q in LISTS.values()} == \
        {q: takes_iterator(q) for q in LISTS.values()}


@pytest.mark.parametrize("label", ["accounts", "tax_codes", "terms", "payment_methods"])
def test_lists_without_an_iterator_in_the_schema_are_read_without_one(label: str) -> None:
    rq = start_request(label)
    assert "iterator" not in rq.attrib
    assert rq.find("MaxReturned") is None  # one answer: nothing may be cut off


@pytest.mark.parametrize("label", ["customers", "items", "tax_items"])
def test_lists_with_an_iterator_in_the_schema_keep_it(label: str) -> None:
    assert start_request(label).get("iterator") == "Start"


def test_a_voided_payment_is_deleted_because_qbxml_cannot_void_one() -> None:
    write = build(sample("payment"), operation=Operation.VOID, external_id="1-1700000000")
    assert write.request_type == "TxnDelRq"
    assert write.element.findtext("TxnDelType") == "ReceivePayment"


def test_the_void_and_delete_types_are_the_schemas() -> None:
    assert set(VOID_TYPES.values()) <= set(DECLARATIONS["TxnVoidType"][3])
    assert set(DELETE_TYPES.values()) <= set(DECLARATIONS["TxnDelType"][3])
    assert "ReceivePayment" not in DECLARATIONS["TxnVoidType"][3]


def test_the_recovery_probe_and_the_idle_query_are_valid_qbxml_13() -> None:
    company = CompanyFile()
    assert company.handle(probe("13.0", "ls0123456789abcdef")).hresult == ""
    idle = message_set("13.0", [ET.Element("HostQueryRq", {"requestID": "noop"})],
                       new_id="ls2", old_id="ls1")
    assert company.handle(idle).hresult == ""


# -- the sandbox refuses what QuickBooks' parser refuses ------------------------------------


def refused(body: str) -> Any:
    company = CompanyFile()
    text = ('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n'
            f'<QBXML><QBXMLMsgsRq onError="continueOnError">{body}</QBXMLMsgsRq></QBXML>')
    result = company.handle(text)
    assert result.hresult == HRESULT_PARSE_ERROR
    assert result.message == PARSE_ERROR_MESSAGE
    assert result.response_xml == ""
    return result


def test_the_sandbox_refuses_an_iterator_on_account_query() -> None:
    result = refused('<AccountQueryRq requestID="1" iterator="Start">'
                     "<MaxReturned>500</MaxReturned></AccountQueryRq>")
    assert "iterator" in result.parse_detail


@pytest.mark.parametrize("query", ["SalesTaxCodeQueryRq", "StandardTermsQueryRq",
                                   "PaymentMethodQueryRq"])
def test_the_sandbox_refuses_an_iterator_on_other_lists_without_one(query: str) -> None:
    refused(f'<{query} iterator="Start"><ActiveStatus>All</ActiveStatus></{query}>')


def test_the_sandbox_refuses_receive_payment_as_a_void_type() -> None:
    result = refused("<TxnVoidRq><TxnVoidType>ReceivePayment</TxnVoidType>"
                     "<TxnID>1-1700000000</TxnID></TxnVoidRq>")
    assert "ReceivePayment" in result.parse_detail


def test_the_sandbox_refuses_sales_tax_payment_check_as_a_void_type() -> None:
    refused("<TxnVoidRq><TxnVoidType>SalesTaxPaymentCheck</TxnVoidType>"
            "<TxnID>1-1700000000</TxnID></TxnVoidRq>")


def test_the_sandbox_refuses_an_attribute_a_request_does_not_take() -> None:
    refused('<InvoiceAddRq requestID="1" iterator="Start"><InvoiceAdd><CustomerRef><FullName>A'
            "</FullName></CustomerRef></InvoiceAdd></InvoiceAddRq>")


def test_the_sandbox_refuses_an_iterator_value_outside_the_enumeration() -> None:
    refused('<CustomerQueryRq iterator="Restart"><MaxReturned>5</MaxReturned></CustomerQueryRq>')


def test_the_sandbox_refuses_an_account_type_outside_the_enumeration() -> None:
    refused("<AccountAddRq><AccountAdd><Name>X</Name><AccountType>Receivable</AccountType>"
            "</AccountAdd></AccountAddRq>")


def test_the_sandbox_refuses_a_request_qbxml_13_does_not_define() -> None:
    refused("<PaymentVoidRq><TxnID>1-1700000000</TxnID></PaymentVoidRq>")


def test_the_sandbox_refuses_elements_out_of_schema_order() -> None:
    refused("<TxnDelRq><TxnID>1-1700000000</TxnID><TxnDelType>Invoice</TxnDelType></TxnDelRq>")


def test_the_sandbox_accepts_a_deleted_payment() -> None:
    company = CompanyFile()
    text = message_set("13.0", [ET.fromstring(
        "<TxnDelRq><TxnDelType>ReceivePayment</TxnDelType><TxnID>1-1</TxnID></TxnDelRq>")],
        new_id=None)
    assert company.handle(text).hresult == ""


# -- the hand-written handler specs agree with the facts ------------------------------------


def _spec_problems(slots: tuple[Slot, ...], key: str, path: str) -> list[str]:
    decl = DECLARATIONS[key]
    assert decl[0] == "complex", path
    known: dict[str, str] = {}
    stack = [decl[1]]
    while stack:
        part = stack.pop()
        if part[0] == "el":
            known.setdefault(part[3], part[4])
        else:
            stack.extend(part[3])
    problems = []
    for slot in slots:
        for el in slot.options:
            problems += _element_problems(el, known, path)
    return problems


def _element_problems(el: El, known: dict[str, str], path: str) -> list[str]:
    where = f"{path}/{el.name}"
    if el.name not in known:
        return [f"{where}: not in the schema"]
    decl = DECLARATIONS[known[el.name]]
    if el.kind == "agg":
        if decl[0] != "complex":
            return [f"{where}: an aggregate in the spec, simple in the schema"]
        return _spec_problems(el.slots, known[el.name], where)
    if decl[0] != "simple":
        return [f"{where}: simple in the spec, an aggregate in the schema"]
    problems = []
    if el.max_len is not None and decl[2] is not None and el.max_len != decl[2]:
        problems.append(f"{where}: maxLength {el.max_len} in the spec, {decl[2]} in the schema")
    if el.enum and decl[3] and set(el.enum) - set(decl[3]):
        problems.append(f"{where}: {sorted(set(el.enum) - set(decl[3]))} not in the schema")
    return problems


@pytest.mark.parametrize("request_type", sorted(REQUEST_SPECS))
def test_the_sandbox_specs_agree_with_the_schema_facts(request_type: str) -> None:
    assert request_type in REQUEST_ATTRIBUTES
    assert _spec_problems(REQUEST_SPECS[request_type], request_type, request_type) == []


def test_a_refund_of_an_overpayment_and_its_void_are_valid_qbxml_13() -> None:
    import attrs

    refund = attrs.evolve(sample("refund"), credit_memo_id=None)
    write = build(refund)
    assert write.request_type == "CheckAddRq"
    assert write.finder is not None
    parsed_by_quickbooks(write.element, find_request(write.finder))
    parsed_by_quickbooks(build(refund, operation=Operation.VOID, external_id="9-1").element)


def test_every_request_of_a_refund_reissue_is_valid_qbxml_13() -> None:
    write = build(sample("refund"), operation=Operation.UPDATE, external_id="7-1700000000")
    assert write.finder is not None
    assert write.then is not None
    assert write.then.findtext("TxnDelType") == "ARRefundCreditCard"
    parsed_by_quickbooks(find_request(write.finder))
    parsed_by_quickbooks(write.then)
    parsed_by_quickbooks(write.element)


def test_applying_a_credit_memo_to_its_invoice_is_valid_qbxml_13() -> None:
    import attrs

    from ledgersync_qbd.qbxml.transactions import apply_credit_request

    from .test_qbxml import CTX, request

    memo = attrs.evolve(sample("credit_memo"), applied_to_invoice_id="INV-9001")
    parsed_by_quickbooks(apply_credit_request(request(memo), CTX, "2-1700000000"))


@pytest.mark.parametrize("label", __import__("ledgersync_qbd.qbwc.drift",
                                             fromlist=["LABELS"]).LABELS)
def test_every_drift_query_is_valid_qbxml_13(label: str) -> None:
    from ledgersync_qbd.qbwc import drift

    parsed_by_quickbooks(drift.request(label, "2026-03-01T10:00:00+00:00"))


@pytest.mark.parametrize(("list_type", "value"), [("Customer", "80000001-1700000000"),
                                                  ("Item", "Membership Dues"),
                                                  ("Account", "Checking"),
                                                  ("StandardTerms", "Net 30"),
                                                  ("PaymentMethod", "Visa"),
                                                  ("SalesTaxCode", "Non")])
def test_every_look_up_of_a_refused_reference_is_valid_qbxml_13(list_type: str,
                                                                 value: str) -> None:
    from ledgersync_qbd.qbxml.lookups import reference_request

    parsed_by_quickbooks(reference_request(list_type, value))
