"""Request validation: element order, required elements, lengths, prolog and attributes."""

from __future__ import annotations

import pytest

from ledgersync_qbd.sandbox import HRESULT_PARSE_ERROR, PARSE_ERROR_MESSAGE, RequestProcessorError

INVOICE_OUT_OF_ORDER = (
    "<InvoiceAddRq><InvoiceAdd><TxnDate>2024-03-01</TxnDate><CustomerRef><FullName>A</FullName>"
    "</CustomerRef></InvoiceAdd></InvoiceAddRq>")


def test_out_of_order_element_fails_parsing_with_hresult(qb) -> None:
    result = qb.company.handle(qb.doc(INVOICE_OUT_OF_ORDER))
    assert result.hresult == HRESULT_PARSE_ERROR
    assert result.message == PARSE_ERROR_MESSAGE
    assert result.response_xml == ""


def test_parse_error_runs_no_request_of_the_set(qb) -> None:
    body = ("<CustomerAddRq><CustomerAdd><Name>First</Name></CustomerAdd></CustomerAddRq>"
            + INVOICE_OUT_OF_ORDER)
    qb.company.handle(qb.doc(body))
    assert qb.company.customer("First") is None


def test_process_raises_request_processor_error_on_parse_error(qb) -> None:
    with pytest.raises(RequestProcessorError) as info:
        qb.company.process(qb.doc(INVOICE_OUT_OF_ORDER))
    assert info.value.hresult == HRESULT_PARSE_ERROR


def test_unknown_child_element_fails_parsing(qb) -> None:
    body = ("<CustomerAddRq><CustomerAdd><Name>A</Name><Nickname>x</Nickname></CustomerAdd>"
            "</CustomerAddRq>")
    assert qb.company.handle(qb.doc(body)).hresult == HRESULT_PARSE_ERROR


def test_missing_required_element_fails_parsing(qb) -> None:
    body = "<CustomerAddRq><CustomerAdd><CompanyName>A</CompanyName></CustomerAdd></CustomerAddRq>"
    assert qb.company.handle(qb.doc(body)).hresult == HRESULT_PARSE_ERROR


def test_customer_email_before_phone_fails_parsing(qb) -> None:
    body = ("<CustomerAddRq><CustomerAdd><Name>A</Name><Email>a@b.c</Email><Phone>1</Phone>"
            "</CustomerAdd></CustomerAddRq>")
    assert qb.company.handle(qb.doc(body)).hresult == HRESULT_PARSE_ERROR


def test_name_longer_than_41_answers_3070(qb) -> None:
    name = "x" * 42
    rs = qb.one(f"<CustomerAddRq><CustomerAdd><Name>{name}</Name></CustomerAdd></CustomerAddRq>")
    assert rs.get("statusCode") == "3070"
    assert rs.get("statusSeverity") == "Error"
    assert '"Name"' in rs.get("statusMessage")


def test_name_of_exactly_41_is_accepted(qb) -> None:
    qb.add_customer("x" * 41)


def test_invoice_ref_number_longer_than_11_answers_3070(qb) -> None:
    qb.add_customer("A")
    rs = qb.one("<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>A</FullName></CustomerRef>"
                "<RefNumber>123456789012</RefNumber></InvoiceAdd></InvoiceAddRq>")
    assert rs.get("statusCode") == "3070"


def test_invalid_date_answers_3020(qb) -> None:
    qb.add_customer("A")
    rs = qb.one("<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>A</FullName></CustomerRef>"
                "<TxnDate>03/01/2024</TxnDate></InvoiceAdd></InvoiceAddRq>")
    assert rs.get("statusCode") == "3020"


def test_malformed_amount_fails_parsing(qb) -> None:
    qb.add_customer("A")
    body = ("<InvoiceAddRq><InvoiceAdd><CustomerRef><FullName>A</FullName></CustomerRef>"
            "<InvoiceLineAdd><Amount>ten</Amount></InvoiceLineAdd></InvoiceAdd></InvoiceAddRq>")
    assert qb.company.handle(qb.doc(body)).hresult == HRESULT_PARSE_ERROR


def test_query_mixing_full_name_and_filters_fails_parsing(qb) -> None:
    body = "<CustomerQueryRq><FullName>A</FullName><MaxReturned>5</MaxReturned></CustomerQueryRq>"
    assert qb.company.handle(qb.doc(body)).hresult == HRESULT_PARSE_ERROR


def test_missing_qbxml_version_fails_parsing(qb) -> None:
    text = '<?xml version="1.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'
    assert qb.company.handle(text).hresult == HRESULT_PARSE_ERROR


def test_missing_xml_declaration_fails_parsing(qb) -> None:
    text = '<?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError"/></QBXML>'
    assert qb.company.handle(text).hresult == HRESULT_PARSE_ERROR


def test_version_above_supported_fails_parsing(qb) -> None:
    result = qb.company.handle(qb.doc("<HostQueryRq/>", version="14.0"))
    assert result.hresult == HRESULT_PARSE_ERROR


def test_older_supported_version_is_accepted(qb) -> None:
    assert qb.company.handle(qb.doc("<HostQueryRq/>", version="5.0")).hresult == ""


def test_missing_on_error_fails_parsing(qb) -> None:
    text = ('<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq>'
            "<HostQueryRq/></QBXMLMsgsRq></QBXML>")
    assert qb.company.handle(text).hresult == HRESULT_PARSE_ERROR


def test_rollback_on_error_is_refused(qb) -> None:
    result = qb.company.handle(qb.doc("<HostQueryRq/>", on_error="rollbackOnError"))
    assert result.hresult == HRESULT_PARSE_ERROR
