"""Error recovery with newMessageSetID / oldMessageSetID."""

from __future__ import annotations

INVOICE = ("<InvoiceAddRq requestID=\"r1\"><InvoiceAdd><CustomerRef><FullName>Ann</FullName>"
           "</CustomerRef><RefNumber>INV-9</RefNumber><InvoiceLineAdd><ItemRef><FullName>"
           "Event Fee</FullName></ItemRef><Amount>45.00</Amount></InvoiceLineAdd></InvoiceAdd>"
           "</InvoiceAddRq>")


def _msgs(qb, response: str):
    from ledgersync_qbd.sandbox.xml import parse_xml

    msgs = parse_xml(response).find("QBXMLMsgsRs")
    assert msgs is not None
    return msgs


def test_new_message_set_id_is_echoed_with_status_0(qb) -> None:
    qb.add_customer("Ann")
    msgs = _msgs(qb, qb.company.process(qb.doc(INVOICE, newMessageSetID="ms-1")))
    assert msgs.get("newMessageSetID") == "ms-1"
    assert msgs.get("messageSetStatusCode") == "0"
    assert qb.company.saved_message_sets == ("ms-1",)


def test_probe_returns_the_saved_response(qb) -> None:
    qb.add_customer("Ann")
    first = qb.company.process(qb.doc(INVOICE, newMessageSetID="ms-1"))
    probe = qb.company.process(qb.doc("", oldMessageSetID="ms-1", newMessageSetID="ms-1"))
    assert probe == first


def test_probe_of_unknown_set_answers_9002(qb) -> None:
    msgs = _msgs(qb, qb.company.process(qb.doc("", oldMessageSetID="x", newMessageSetID="x")))
    assert msgs.get("messageSetStatusCode") == "9002"
    assert len(msgs) == 0


def test_clear_forgets_the_saved_set(qb) -> None:
    qb.add_customer("Ann")
    qb.company.process(qb.doc(INVOICE, newMessageSetID="ms-1"))
    msgs = _msgs(qb, qb.company.process(qb.doc("", oldMessageSetID="ms-1")))
    assert msgs.get("messageSetStatusCode") == "0"
    assert qb.company.saved_message_sets == ()


def test_clear_of_unknown_set_answers_600(qb) -> None:
    msgs = _msgs(qb, qb.company.process(qb.doc("", oldMessageSetID="nope")))
    assert msgs.get("messageSetStatusCode") == "600"


def test_message_set_id_longer_than_24_answers_9004(qb) -> None:
    qb.add_customer("Ann")
    msgs = _msgs(qb, qb.company.process(qb.doc(INVOICE, newMessageSetID="m" * 25)))
    assert msgs.get("messageSetStatusCode") == "9004"
    assert qb.company.transactions("Invoice") == []


def test_resending_the_same_set_does_not_write_twice(qb) -> None:
    qb.add_customer("Ann")
    first = qb.company.process(qb.doc(INVOICE, newMessageSetID="ms-1"))
    second = qb.company.process(qb.doc(INVOICE, newMessageSetID="ms-1"))
    assert second == first
    assert qb.company.write_count("InvoiceAdd", "INV-9") == 1


def test_resending_different_content_under_saved_id_answers_9001(qb) -> None:
    qb.add_customer("Ann")
    qb.company.process(qb.doc(INVOICE, newMessageSetID="ms-1"))
    other = INVOICE.replace("INV-9", "INV-10")
    msgs = _msgs(qb, qb.company.process(qb.doc(other, newMessageSetID="ms-1")))
    assert msgs.get("messageSetStatusCode") == "9001"
    assert qb.company.transactions("Invoice", "INV-10") == []


def test_lost_response_is_recovered_by_probe_exactly_once(qb) -> None:
    qb.add_customer("Ann")
    qb.company.lose_next_response()
    lost = qb.company.handle(qb.doc(INVOICE, newMessageSetID="ms-7"))
    assert lost.lost
    assert qb.company.write_count("InvoiceAdd", "INV-9") == 1
    probe = qb.company.handle(qb.doc("", oldMessageSetID="ms-7", newMessageSetID="ms-7"))
    assert not probe.lost
    assert probe.response_xml == lost.response_xml
    assert qb.company.write_count("InvoiceAdd", "INV-9") == 1


def test_new_set_can_clear_the_previous_one(qb) -> None:
    qb.add_customer("Ann")
    qb.company.process(qb.doc(INVOICE, newMessageSetID="ms-1"))
    qb.company.process(qb.doc("<HostQueryRq/>", oldMessageSetID="ms-1", newMessageSetID="ms-2"))
    assert qb.company.saved_message_sets == ("ms-2",)
