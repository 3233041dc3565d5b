"""Message-set behaviour: onError, responseData, response shape."""

from __future__ import annotations

ADD = ('<CustomerAddRq requestID="{rid}"><CustomerAdd><Name>{name}</Name></CustomerAdd>'
       "</CustomerAddRq>")


def _three(duplicate: str = "A") -> str:
    return (ADD.format(rid="1", name="A") + ADD.format(rid="2", name=duplicate)
            + ADD.format(rid="3", name="C"))


def test_stop_on_error_stops_at_first_error(qb) -> None:
    responses = qb.run(_three(), on_error="stopOnError")
    assert [rs.get("requestID") for rs in responses] == ["1", "2"]
    assert responses[1].get("statusCode") == "3100"
    assert qb.company.customer("C") is None


def test_continue_on_error_runs_every_request(qb) -> None:
    responses = qb.run(_three(), on_error="continueOnError")
    assert [rs.get("statusCode") for rs in responses] == ["0", "3100", "0"]
    assert qb.company.customer("C") is not None


def test_stop_on_error_does_not_stop_on_warnings(qb) -> None:
    body = ("<CustomerQueryRq requestID=\"1\"><FullName>Nobody</FullName></CustomerQueryRq>"
            + ADD.format(rid="2", name="B"))
    responses = qb.run(body, on_error="stopOnError")
    assert [rs.get("statusCode") for rs in responses] == ["500", "0"]


def test_response_data_include_none_omits_rets(qb) -> None:
    (rs,) = qb.run(ADD.format(rid="1", name="A"), responseData="includeNone")
    assert rs.get("statusCode") == "0"
    assert len(rs) == 0
    assert qb.company.customer("A") is not None


def test_response_document_starts_with_xml_declaration(qb) -> None:
    response = qb.company.process(qb.doc("<HostQueryRq/>"))
    assert response.startswith('<?xml version="1.0" ?>\n<QBXML>')


def test_messages_without_recovery_carry_no_message_set_status(qb) -> None:
    response = qb.company.process(qb.doc("<HostQueryRq/>"))
    assert "messageSetStatusCode" not in response


def test_host_query_lists_supported_versions_and_product(qb) -> None:
    rs = qb.ok("<HostQueryRq/>")
    versions = [el.text for el in rs.findall("HostRet/SupportedQBXMLVersion")]
    assert versions[-1] == "13.0"
    assert "1.0" in versions
    assert qb.text(rs, "HostRet/ProductName").startswith("QuickBooks")
    assert qb.text(rs, "HostRet/Country") == "US"


def test_host_query_reports_configured_edition_and_versions() -> None:
    from ledgersync_qbd.sandbox import CompanyFile

    company = CompanyFile(edition="CA", qbxml_versions=("12.0", "13.0"))
    assert company.supported_versions == ("12.0", "13.0")
    response = company.process(
        '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
        "<HostQueryRq/></QBXMLMsgsRq></QBXML>")
    assert "<Country>CA</Country>" in response
    assert response.count("<SupportedQBXMLVersion>") == 2


def test_company_query_returns_company_name(qb) -> None:
    rs = qb.ok("<CompanyQueryRq/>")
    assert qb.text(rs, "CompanyRet/CompanyName") == "ledgersync Sandbox Company"
