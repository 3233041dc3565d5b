"""Batches: at most batch_items per request, stored before the call so that a retry (whatever
items it comes back with) resends the same batch, per-item faults, and the batch budget."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import attrs
import pytest

from ledgersync import ExportRequest, ExportResult, Invoice, InvoiceLine, Operation
from ledgersync_qbo import requestids
from ledgersync_qbo.batching import PREFIX
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.errors import QboError
from ledgersync_qbo.sandbox import Sandbox
from ledgersync_qbo.testing import sandbox_settings

REFS = {("member", "M-58"): "58", ("item", "DUES"): "21"}


def requests(count: int, start: int = 0) -> list[ExportRequest]:
    out = []
    for n in range(start, start + count):
        record = Invoice(mms_id=f"I-{n}", member_id="M-58", number=f"B-{n}", currency="USD",
                         txn_date=dt.date(2026, 1, 15),
                         lines=(InvoiceLine(item_id="DUES", quantity=Decimal(1),
                                            rate=Decimal("10.00"), amount=Decimal("10.00")),))
        out.append(ExportRequest(item_id=n, company="harbor", kind="invoice",
                                 operation=Operation.CREATE, record=record,
                                 idempotency_key=f"ls-{n:040d}", attempt=1, references=REFS))
    return out


def batch_posts(sandbox: Sandbox) -> int:
    return sum(1 for use in sandbox.minor_versions if use.path.endswith("/batch"))


def test_requestids_fit_qbos_limits() -> None:
    keys = [f"ls-{n:040d}" for n in range(30)]
    assert len(requestids.for_batch(keys)) == 36
    assert requestids.for_batch(keys) == requestids.for_batch(reversed(keys))
    assert all(len(requestids.for_batch(keys)) + len(requestids.bid(i)) <= 50
               for i in range(30))
    assert len(requestids.for_create(keys[0])) == 43
    assert len(requestids.for_version(keys[0], "12", attempt=3)) <= 50
    assert (requestids.for_version(keys[0], "1", attempt=1)
            != requestids.for_version(keys[0], "2", attempt=1))


def test_thirty_five_creates_take_two_batch_requests(connector: QboConnector,
                                                     sandbox: Sandbox) -> None:
    results = connector.export_batch(requests(35))
    assert all(isinstance(r, ExportResult) for r in results)
    assert batch_posts(sandbox) == 2
    assert sandbox.write_count("Invoice") == 35
    assert sum(r.requests_made for r in results if isinstance(r, ExportResult)) == 2
    assert connector.context.state.keys(PREFIX) == []  # answered: nothing left stored


def test_one_failing_item_fails_alone(connector: QboConnector, sandbox: Sandbox) -> None:
    batch = requests(3)
    connector.export(batch[1])  # its number is taken now (and by our record)
    retried = attrs.evolve(batch[1], idempotency_key="ls-other-key")  # a requeue's new key
    first, second, third = connector.export_batch([batch[0], retried, batch[2]])
    assert isinstance(first, ExportResult)
    assert isinstance(third, ExportResult)
    assert isinstance(second, QboError)
    assert second.code == "6140"


def test_a_batch_whose_answer_was_lost_is_resent_as_it_was(connector: QboConnector,
                                                          sandbox: Sandbox) -> None:
    group = requests(4)
    sandbox.inject(503, entity="batch", after_write=True)  # written, answer lost
    lost = connector.export_batch(group)
    assert all(isinstance(r, QboError) for r in lost)
    assert sandbox.write_count("Invoice") == 4
    assert len(connector.context.state.keys(PREFIX)) == 1
    # The items come back grouped differently: two of them with two new ones.
    again = connector.export_batch([group[2], *requests(2, start=10), group[0]])
    assert all(isinstance(r, ExportResult) for r in again)
    assert sandbox.replays == 1
    assert sandbox.write_count("Invoice") == 6  # the two new ones only
    # The other two take their outcome from the stored answer: no request at all.
    posts = batch_posts(sandbox)
    rest = [connector.export(group[1]), connector.lookup(group[3])]
    assert batch_posts(sandbox) == posts
    assert all(isinstance(r, ExportResult) for r in rest)
    assert connector.context.state.keys(PREFIX) == []
    assert sandbox.write_count("Invoice") == 6


def test_an_item_of_a_lost_batch_is_looked_up_by_replaying_that_batch(
        connector: QboConnector, sandbox: Sandbox) -> None:
    group = requests(3)
    sandbox.inject(503, entity="batch", after_write=True)
    connector.export_batch(group)
    found = connector.lookup(group[1])
    assert found is not None
    assert sandbox.get("Invoice", found.external_id) is not None
    assert sandbox.write_count("Invoice") == 3


def test_a_spent_batch_budget_sends_the_group_item_by_item(
        open_ledger: Any, sandbox: Sandbox, base_url: str) -> None:
    from ledgersync_qbo.testing import connect_sandbox

    ledger = open_ledger(sandbox_settings(sandbox, base_url, batches_per_minute=1))
    connect_sandbox(ledger, "harbor", sandbox)
    connector = ledger.connector("harbor")
    assert isinstance(connector, QboConnector)
    connector.export_batch(requests(3))
    connector.export_batch(requests(3, start=3))
    assert batch_posts(sandbox) == 1
    assert sandbox.write_count("Invoice") == 6
    assert [w.request_id for w in sandbox.writes()][3:] == [
        f"ls-{n:040d}" for n in range(3, 6)]


def test_updates_and_members_in_a_batch_call_go_one_by_one(connector: QboConnector,
                                                           sandbox: Sandbox) -> None:
    created = connector.export(requests(1)[0])
    update = attrs.evolve(requests(1)[0], operation=Operation.UPDATE, idempotency_key="ls-upd",
                          external_id=created.external_id,
                          version_token=created.version_token)
    (result,) = connector.export_batch([update])
    assert isinstance(result, ExportResult)
    assert batch_posts(sandbox) == 0


@pytest.mark.parametrize("items", [1, 10])
def test_batch_items_setting_sizes_the_batches(open_ledger: Any, sandbox: Sandbox,
                                               base_url: str, items: int) -> None:
    from ledgersync_qbo.testing import connect_sandbox

    ledger = open_ledger(sandbox_settings(sandbox, base_url, batch_items=items))
    connect_sandbox(ledger, "harbor", sandbox)
    connector = ledger.connector("harbor")
    assert type(connector).batch_size_for(connector.settings) == items
    connector.export_batch(requests(10))
    assert batch_posts(sandbox) == (0 if items == 1 else 1)


def test_a_companys_batch_size_leaves_the_class_attribute_alone(
        open_ledger: Any, sandbox: Sandbox, base_url: str) -> None:
    from ledgersync_qbo.connector import QboConnector
    from ledgersync_qbo.testing import connect_sandbox

    ledger = open_ledger(sandbox_settings(sandbox, base_url, batch_items=5))
    connect_sandbox(ledger, "harbor", sandbox)
    connector = ledger.connector("harbor")

    assert "batch_size" not in vars(connector)
    assert QboConnector.batch_size == 30
    assert QboConnector.batch_size_for(connector.settings) == 5
