"""Query iterators and MaxReturned."""

from __future__ import annotations


def _customers(qb, count: int) -> None:
    for number in range(count):
        qb.add_customer(f"Member {number:02d}")


def test_start_returns_first_page_and_remaining_count(qb) -> None:
    _customers(qb, 5)
    rs = qb.ok('<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned></CustomerQueryRq>')
    assert rs.get("retCount") == "2"
    assert rs.get("iteratorRemainingCount") == "3"
    assert rs.get("iteratorID")


def test_continue_walks_all_pages_until_zero(qb) -> None:
    _customers(qb, 5)
    rs = qb.ok('<CustomerQueryRq iterator="Start"><MaxReturned>2</MaxReturned></CustomerQueryRq>')
    names = [qb.text(r, "Name") for r in rs]
    iterator_id = rs.get("iteratorID")
    while rs.get("iteratorRemainingCount") != "0":
        rs = qb.ok(f'<CustomerQueryRq iterator="Continue" iteratorID="{iterator_id}">'
                   "<MaxReturned>2</MaxReturned></CustomerQueryRq>")
        assert rs.get("iteratorID") == iterator_id
        names += [qb.text(r, "Name") for r in rs]
    assert names == [f"Member {n:02d}" for n in range(5)]
    assert qb.company.open_iterators == 0


def test_continue_with_unknown_iterator_answers_3120(qb) -> None:
    rs = qb.one('<CustomerQueryRq iterator="Continue" iteratorID="{nope}">'
                "<MaxReturned>2</MaxReturned></CustomerQueryRq>")
    assert rs.get("statusCode") == "3120"


def test_stop_forgets_the_iterator(qb) -> None:
    _customers(qb, 3)
    rs = qb.ok('<CustomerQueryRq iterator="Start"><MaxReturned>1</MaxReturned></CustomerQueryRq>')
    qb.ok(f'<CustomerQueryRq iterator="Stop" iteratorID="{rs.get("iteratorID")}"/>')
    assert qb.company.open_iterators == 0


def test_max_returned_without_iterator_truncates(qb) -> None:
    _customers(qb, 4)
    rs = qb.ok("<CustomerQueryRq><MaxReturned>3</MaxReturned></CustomerQueryRq>")
    assert rs.get("retCount") == "3"
    assert rs.get("iteratorID") is None


def test_invoice_query_iterates_too(qb) -> None:
    qb.add_customer("Ann")
    for number in range(3):
        qb.add_invoice("Ann", f"INV-{number}")
    rs = qb.ok('<InvoiceQueryRq iterator="Start"><MaxReturned>2</MaxReturned></InvoiceQueryRq>')
    assert rs.get("iteratorRemainingCount") == "1"
