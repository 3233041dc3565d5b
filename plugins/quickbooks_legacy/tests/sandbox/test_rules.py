"""The sandbox refuses what the path refused: stage-one rules, replay, drafts, delete and
revert, safe XML, and the desktop's own rules at stage two."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgersync_quickbooks_legacy.sandbox import SANDBOX_CODES
from ledgersync_quickbooks_legacy.xmlio import parse, q

from .conftest import Post, text_of

NS = 'xmlns="http://www.intuit.com/sb/cdm/v2" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'


def add(name: str = "Ann Sailor", *, request_id: str = "a" * 32, draft: bool = False,
        realm: str = "688875295") -> bytes:
    flag = ' draft="true"' if draft else ""
    return (f'<Add {NS} RequestId="{request_id}"><OfferingId>ipp</OfferingId>'
            f"<ExternalRealmId>{realm}</ExternalRealmId>"
            f'<Object xsi:type="Customer"{flag}><Name>{name}</Name></Object></Add>').encode()


def write(op: str, ng: str, token: str, *, request_id: str, name: str = "Ann Sailor") -> bytes:
    body = f"<Name>{name}</Name>" if op == "Mod" else ""
    return (f'<{op} {NS} RequestId="{request_id}"><OfferingId>ipp</OfferingId>'
            f'<Object xsi:type="Customer"><Id idDomain="NG">{ng}</Id>'
            f"<SyncToken>{token}</SyncToken>{body}</Object></{op}>").encode()


def error_code(body: bytes) -> str | None:
    return parse(body).findtext(f"{q('Error')}/{q('ErrorCode')}")


def ng_of(body: bytes) -> str:
    return text_of(parse(body), "Success/ObjectRef/Id")


def test_the_same_request_id_replays_the_first_answer_and_writes_once(post: Post, sandbox):
    first = post("customer", add())
    second = post("customer", add())

    assert second.content == first.content
    assert len(sandbox.cloud.objects) == 1


@pytest.mark.parametrize(("body", "code"), [
    (add(request_id="not-hex"), "-2001"),
    (add(realm="123"), SANDBOX_CODES["realm_mismatch"]),
    (add(name="N" * 42), "-2001"),
    (add().replace(b"<OfferingId>ipp</OfferingId>", b""), "-2001"),
    (add().replace(b"<Name>Ann Sailor</Name>", b"<Email>a@b</Email>"), "-2001"),
    (add().replace(b'xmlns="http://www.intuit.com/sb/cdm/v2" ', b""), "-2001"),
], ids=["request-id", "realm", "name-41", "offering", "missing-name", "namespace"])
def test_stage_one_refuses_what_the_schema_refuses(post: Post, sandbox, body, code):
    answer = post("customer", body)

    assert error_code(answer.content) == code
    assert sandbox.cloud.objects == {}


def test_an_object_of_another_type_is_refused_at_a_resource(post: Post, sandbox):
    assert error_code(post("invoice", add()).content) == "-2001"


def test_a_dtd_is_refused_before_parsing(post: Post, sandbox):
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'

    answer = post("customer", bomb)

    assert answer.status_code == 400
    assert "forbidden XML construct" in text_of(parse(answer.content), "Error/ErrorDesc")


def test_a_mod_with_a_stale_sync_token_is_refused(post: Post, sandbox):
    ng = ng_of(post("customer", add()).content)

    answer = post("customer", write("Mod", ng, "7", request_id="b" * 32))

    assert error_code(answer.content) == SANDBOX_CODES["stale"]


def test_a_draft_stays_in_the_cloud_and_can_be_deleted(post: Post, sandbox):
    ng = ng_of(post("customer", add(draft=True)).content)

    sandbox.run_desktop()
    deleted = post("customer", write("Del", ng, "1", request_id="c" * 32))

    assert sandbox.cloud.objects[ng].qb_id is None
    assert error_code(deleted.content) is None
    assert sandbox.cloud.objects[ng].deleted


def test_an_object_waiting_to_sync_cannot_be_deleted(post: Post, sandbox):
    ng = ng_of(post("customer", add()).content)

    answer = post("customer", write("Del", ng, "1", request_id="c" * 32))

    assert error_code(answer.content) == SANDBOX_CODES["delete_refused"]


def test_an_object_that_failed_to_sync_can_be_deleted(post: Post, sandbox):
    ng = ng_of(post("customer", add()).content)
    sandbox.desktop.reject(ng, "refused")
    sandbox.run_desktop()

    answer = post("customer", write("Del", ng, "1", request_id="c" * 32))

    assert error_code(answer.content) is None


def test_revert_needs_an_object_that_synced_once(post: Post, sandbox):
    ng = ng_of(post("customer", add()).content)

    refused = post("customer", write("Revert", ng, "1", request_id="d" * 32))
    sandbox.run_desktop()
    post("customer", write("Mod", ng, "1", request_id="e" * 32, name="Ann Changed"))
    reverted = post("customer", write("Revert", ng, "2", request_id="f" * 32))

    assert error_code(refused.content) == SANDBOX_CODES["revert_refused"]
    assert error_code(reverted.content) is None
    obj = sandbox.cloud.objects[ng]
    assert (obj.state, obj.body.findtext(q("Name"))) == (8, "Ann Sailor")


def test_the_desktop_refuses_a_list_name_already_in_use(post: Post, sandbox):
    first = ng_of(post("customer", add("Twin")).content)
    second = ng_of(post("customer", add("Twin", request_id="b" * 32)).content)

    sandbox.run_desktop()

    assert sandbox.cloud.objects[first].state == 8
    assert (sandbox.cloud.objects[second].state, sandbox.cloud.objects[second].message) == (
        9, 50)
    assert "already in use" in sandbox.cloud.objects[second].message_desc


def test_a_write_back_stuck_past_the_limit_is_forced_to_conflict_220(post: Post, sandbox,
                                                                     clock):
    sandbox.cloud.stuck_after = dt.timedelta(hours=6)
    ng = ng_of(post("customer", add()).content)
    sandbox.desktop.stall(ng)
    sandbox.run_desktop()
    assert sandbox.cloud.objects[ng].state == 6

    clock.advance(hours=7)
    sandbox.cloud.expire_stuck()

    assert (sandbox.cloud.objects[ng].state, sandbox.cloud.objects[ng].message) == (7, 220)


def test_a_restore_from_backup_orphans_what_was_netted_since(post: Post, sandbox):
    sandbox.desktop.take_backup()
    ng = ng_of(post("customer", add()).content)
    sandbox.run_desktop()

    assert sandbox.desktop.restore_backup() == [ng]

    obj = sandbox.cloud.objects[ng]
    assert (obj.state, obj.message, obj.qb_id) == (7, 210, None)


def test_the_errored_only_status_query_lists_failures_without_an_id_set(post: Post, sandbox):
    ok = ng_of(post("customer", add("Fine")).content)
    bad = ng_of(post("customer", add("Bad", request_id="b" * 32)).content)
    sandbox.desktop.reject(bad, "no")
    sandbox.run_desktop()

    answer = post("status", b'<SyncStatusRequest xmlns="http://www.intuit.com/sb/cdm/v2" '
                            b'ErroredObjectsOnly="true"><OfferingId>ipp</OfferingId>'
                            b"</SyncStatusRequest>")
    listed = [r.findtext(f"{q('NgIdSet')}/{q('NgId')}")
              for r in parse(answer.content).iter(q("SyncStatusResponse"))]

    assert listed == [bad]
    assert ok not in listed


def test_a_status_query_needs_an_id_set_unless_errored_only(post: Post, sandbox):
    answer = post("status", b'<SyncStatusRequest xmlns="http://www.intuit.com/sb/cdm/v2">'
                            b"<OfferingId>ipp</OfferingId></SyncStatusRequest>")

    assert error_code(answer.content) == "-2001"
