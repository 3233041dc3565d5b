"""Every documented state code (1-9) and message code (10-250) of the status query maps to
one outcome, with a remedy wherever a person may act; the reference rows map as expected."""

from __future__ import annotations

import pytest

from ledgersync import ConfirmOutcome
from ledgersync_quickbooks_legacy.codes import MESSAGES, STATES
from ledgersync_quickbooks_legacy.confirmer import parse_activity, parse_status
from ledgersync_quickbooks_legacy.statemap import BY_MESSAGE, BY_STATE, PROGRESS, meaning
from ledgersync_quickbooks_legacy.xmlio import parse

from .conftest import DATA


def test_every_documented_code_has_a_meaning():
    assert set(STATES) == set(range(1, 10)) == set(BY_STATE)
    assert set(MESSAGES) == set(BY_MESSAGE) | PROGRESS


@pytest.mark.parametrize("state", sorted(STATES))
@pytest.mark.parametrize("message", sorted(MESSAGES))
def test_each_pair_has_one_outcome_and_failures_have_a_remedy(state, message):
    found = meaning(state, message)

    assert isinstance(found.outcome, ConfirmOutcome)
    assert found.words
    if found.outcome is not ConfirmOutcome.SYNCED:
        assert found.remedy, (state, message)


@pytest.mark.parametrize(("state", "message", "outcome"), [
    (8, 70, ConfirmOutcome.SYNCED),
    (1, 40, ConfirmOutcome.SYNCED),
    (4, 10, ConfirmOutcome.STAGED),
    (5, 20, ConfirmOutcome.STAGED),
    (6, 30, ConfirmOutcome.STAGED),
    (4, 60, ConfirmOutcome.REJECTED),
    (9, 50, ConfirmOutcome.REJECTED),
    (7, 210, ConfirmOutcome.ORPHANED),
    (7, 200, ConfirmOutcome.CONFLICT),
    (7, 220, ConfirmOutcome.CONFLICT),
    (5, 230, ConfirmOutcome.CONFLICT),
    (7, 240, ConfirmOutcome.CONFLICT),
    (4, 80, ConfirmOutcome.REJECTED),
    (4, 90, ConfirmOutcome.ORPHANED),
    (4, 100, ConfirmOutcome.STAGED),
    (9, 100, ConfirmOutcome.REJECTED),
    (7, 100, ConfirmOutcome.CONFLICT),
    (8, 250, ConfirmOutcome.CONFLICT),
])
def test_the_message_code_decides_failures_and_the_state_code_the_rest(state, message, outcome):
    assert meaning(state, message).outcome is outcome


def test_an_undocumented_code_keeps_the_item_staged_and_asks_a_person():
    found = meaning(11, 999)

    assert found.outcome is ConfirmOutcome.STAGED
    assert "undocumented" in found.words
    assert found.remedy


def test_the_netted_reference_row_reads_as_synced():
    [row] = parse_status(parse((DATA / "04_ids_v2_qbd_syncstatus_response_netted.xml")
                               .read_bytes()))

    assert (row.ng_id, row.kind, row.state, row.message) == ("984434", "Payment", 8, 70)
    assert meaning(row.state, row.message).outcome is ConfirmOutcome.SYNCED


def test_the_rejected_reference_rows_read_as_rejected_with_the_reason():
    rows = parse_status(parse((DATA / "05_ids_v2_qbd_syncstatus_response_rejected.xml")
                              .read_bytes()))

    assert [r.ng_id for r in rows] == ["145058", "145091"]
    assert {meaning(r.state, r.message).outcome for r in rows} == {ConfirmOutcome.REJECTED}
    assert "at least one line" in (rows[0].message_desc or "")


def test_the_activity_reference_drill_down_is_read():
    [entry] = parse_activity(parse((DATA / "06_ids_v2_qbd_syncactivity_response.xml")
                                   .read_bytes()))

    assert (entry.ng_id, entry.operation, entry.code, entry.message) == (
        "2480872", "CustomerAdd", 10, "success")
