"""The QBO query language: parser, filters, paging and its faults."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledgersync_qbo.sandbox import QBOFault, jsonio
from ledgersync_qbo.sandbox.query import Condition, parse


def _rows(api, text: str, entity: str = "Customer") -> list[dict]:
    response = api.query(text)
    assert response.status_code == 200, response.text
    return jsonio.loads(response.content)["QueryResponse"].get(entity, [])


def test_parser_reads_every_clause():
    query = parse("select * from Invoice where TotalAmt >= '10.00' and DocNumber in ('a', 'b') "
                  "and CustomerRef = '58' orderby TxnDate desc, Id startposition 3 maxresults 7")
    assert query.entity == "Invoice"
    assert query.where[0] == Condition("TotalAmt", ">=", ("10.00",))
    assert query.where[1] == Condition("DocNumber", "in", ("a", "b"))
    assert query.order == [("TxnDate", True), ("Id", False)]
    assert (query.start, query.max_results) == (3, 7)


def test_parser_unescapes_quotes():
    assert parse(r"SELECT * FROM Customer WHERE DisplayName = 'Cutlery \'R Us'").where[0] == \
        Condition("DisplayName", "=", ("Cutlery 'R Us",))


@pytest.mark.parametrize("text", [
    "select * from",
    "select Id, DisplayName from Customer",
    "select * from Customer where DisplayName = 'a' or DisplayName = 'b'",
    "select * from Customer where DisplayName = 'Cutlery 'R Us'",
    "select * from Customer where DisplayName != 'x'",
    "select * from Customer maxresults ten",
    "delete from Customer",
    "",
])
def test_malformed_queries_raise_query_parser_error(text):
    with pytest.raises(QBOFault) as caught:
        parse(text)
    assert caught.value.code == "4000"
    assert caught.value.errors[0].detail.startswith("QueryParserError:")


def test_malformed_query_over_http_is_a_4000_fault(api):
    errors = api.fault(api.query("select * frm Customer"))
    assert errors[0]["code"] == "4000"
    assert errors[0]["Message"] == "Error parsing query"


def test_equality_is_case_insensitive(api):
    assert [c["Id"] for c in _rows(api, "SELECT * FROM customer WHERE displayname = "
                                        "'JORDAN ALVAREZ'")] == ["58"]


def test_like_supports_percent_wildcards(api):
    assert [c["Id"] for c in _rows(api, "select * from Customer where DisplayName like "
                                        "'%a%ez'")] == ["58"]


def test_escaped_quote_matches_the_name(api):
    api.create("Customer", {"DisplayName": "O'Brien's Bakery"})
    rows = _rows(api, r"select * from Customer where DisplayName = 'O\'Brien\'s Bakery'")
    assert [c["DisplayName"] for c in rows] == ["O'Brien's Bakery"]


def test_numeric_comparison_uses_decimal_values(api, make_invoice):
    for amount in ("9.99", "10.00", "250.00"):
        api.create("Invoice", make_invoice(amount=amount))
    rows = _rows(api, "select * from Invoice where TotalAmt > '9.99' orderby TotalAmt desc",
                 "Invoice")
    assert [r["TotalAmt"] for r in rows] == [Decimal("250.00"), Decimal("10.00")]


def test_reference_fields_compare_by_id(api, make_invoice):
    api.create("Invoice", make_invoice(customer="61"))
    api.create("Invoice", make_invoice(customer="58"))
    rows = _rows(api, "select * from Invoice where CustomerRef = '61'", "Invoice")
    assert [r["CustomerRef"]["value"] for r in rows] == ["61"]


def test_metadata_time_ranges_can_be_queried(api, clock, make_invoice):
    api.create("Invoice", make_invoice())
    clock.advance(minutes=10)
    later = api.create("Invoice", make_invoice())
    rows = _rows(api, "select * from Invoice where MetaData.LastUpdatedTime >= "
                      "'2026-01-20T14:05:00-08:00'", "Invoice")
    assert [r["Id"] for r in rows] == [later["Id"]]


def test_paging_with_startposition_and_maxresults(api):
    for i in range(5):
        api.create("Customer", {"DisplayName": f"Pager {i}"})
    text = "select * from Customer where DisplayName like 'Pager%' orderby DisplayName"
    page = jsonio.loads(api.query(text + " startposition 3 maxresults 2").content)
    assert [c["DisplayName"] for c in page["QueryResponse"]["Customer"]] == ["Pager 2", "Pager 3"]
    assert (page["QueryResponse"]["startPosition"], page["QueryResponse"]["maxResults"]) == (3, 2)


def test_default_page_size_is_100_and_maximum_is_1000(sandbox, api):
    company = sandbox.company()
    for i in range(1005):
        company.write("Customer", {"DisplayName": f"Bulk {i:04d}"})
    assert len(_rows(api, "select * from Customer where DisplayName like 'Bulk%'")) == 100
    assert len(_rows(api, "select * from Customer where DisplayName like 'Bulk%' "
                          "maxresults 5000")) == 1000


def test_count_returns_total_count(api, make_invoice):
    for _ in range(3):
        api.create("Invoice", make_invoice())
    body = jsonio.loads(api.query("SELECT COUNT(*) FROM Invoice").content)
    assert body["QueryResponse"] == {"totalCount": 3}


def test_inactive_names_are_hidden_unless_asked_for(api):
    api.create("Customer", {"Id": "62", "SyncToken": "0", "sparse": True, "Active": False})
    assert "62" not in [c["Id"] for c in _rows(api, "select * from Customer")]
    rows = _rows(api, "select * from Customer where Active in (true, false)")
    assert "62" in [c["Id"] for c in rows]


def test_private_note_is_not_queryable(api):
    errors = api.fault(api.query("select * from Invoice where PrivateNote = 'mms:x'"))
    assert errors[0]["code"] == "4001"


def test_unknown_entity_is_a_query_validation_error(api):
    assert api.fault(api.query("select * from Spaceship"))[0]["code"] == "4001"


def test_query_can_be_posted_as_application_text(api):
    response = api.client.post(api.url("query"), content=b"select * from Term where Id = '3'",
                               headers={"Content-Type": "application/text"})
    assert jsonio.loads(response.content)["QueryResponse"]["Term"][0]["Name"] == "Net 30"


def test_email_addresses_are_queried_by_their_address(api):
    """QBO filters ``PrimaryEmailAddr = 'x'`` on the address (python-quickbooks #284)."""
    rows = _rows(api, "SELECT * FROM Customer WHERE PrimaryEmailAddr = "
                      "'Jordan.Alvarez@example.org'")
    assert [row["Id"] for row in rows] == ["58"]


def test_extra_fields_after_the_star_are_accepted(api):
    # python-quickbooks reads items with exactly this query; QBO answers it.
    rows = _rows(api, "SELECT *, Sku FROM Item", entity="Item")
    assert rows
    assert all("Name" in row for row in rows)


def test_a_dangling_comma_after_the_star_is_a_4000_fault():
    with pytest.raises(QBOFault) as caught:
        parse("SELECT *, FROM Item")
    assert caught.value.code == "4000"
