"""requestid idempotency: the same id replays the first answer without writing again."""

from __future__ import annotations

from ledgersync_qbo.sandbox import jsonio


def test_same_requestid_replays_the_original_response_with_exactly_one_write(api, sandbox,
                                                                           make_invoice):
    first = api.post("invoice", make_invoice(doc="R-1"), requestid="req-0001")
    second = api.post("invoice", make_invoice(doc="R-1"), requestid="req-0001")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert sandbox.write_count("Invoice") == 1
    assert [w.request_id for w in sandbox.writes("Invoice")] == ["req-0001"]
    assert sandbox.replays == 1


def test_different_requestids_write_twice(api, sandbox, make_invoice):
    api.post("invoice", make_invoice(), requestid="req-a")
    api.post("invoice", make_invoice(), requestid="req-b")
    assert sandbox.write_count("Invoice") == 2


def test_requestid_replay_survives_the_object_being_deleted(api, sandbox, make_invoice):
    created = jsonio.loads(api.post("invoice", make_invoice(), requestid="req-del").content)
    invoice_id = created["Invoice"]["Id"]
    api.post("invoice", {"Id": invoice_id, "SyncToken": "0"}, operation="delete")
    replay = jsonio.loads(api.post("invoice", make_invoice(), requestid="req-del").content)
    assert replay["Invoice"]["Id"] == invoice_id


def test_a_fault_is_replayed_too(api, make_invoice):
    first = api.post("invoice", make_invoice(customer="4040"), requestid="req-bad")
    second = api.post("invoice", make_invoice(), requestid="req-bad")
    assert first.status_code == second.status_code == 400
    assert first.content == second.content


def test_requestids_are_scoped_per_realm(sandbox, api_for, make_invoice):
    for realm in (sandbox.default_realm_id, "5550001"):
        api_for(realm).post("invoice", make_invoice(), requestid="shared-id")
    assert sandbox.write_count("Invoice") == 2


def test_requestid_longer_than_50_characters_is_rejected(api, sandbox, make_invoice):
    errors = api.fault(api.post("invoice", make_invoice(), requestid="x" * 51))
    assert errors[0]["code"] == "6000"
    assert sandbox.write_count("Invoice") == 0


def test_reads_ignore_requestid(api, sandbox):
    api.get("customer/58", requestid="read-1")
    assert sandbox.stored_response(sandbox.default_realm_id, "read-1") is None
