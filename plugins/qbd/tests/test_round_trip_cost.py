"""A Web Connector round trip's work made cheaper without changing what it produces or checks:
qbXML text cleaning, the hardened parser, message-set text, the kept items' check and the
count of due items (bench/RESULTS.md, "Issue 16, session 21")."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from ledgersync import ItemFilter, Ledger, Member, Status
from ledgersync.testing import sample_records
from ledgersync_qbd.qbxml.serialize import to_text
from ledgersync_qbd.qbxml.text import _clean_each, clean
from ledgersync_qbd.xmlsafe import XmlRejected, parse

from .conftest import ENVELOPES, LedgerFactory

T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)

# -- text cleaning ------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(value=st.text(st.characters(max_codepoint=127)), identifying=st.booleans())
def test_ascii_text_is_cleaned_as_the_character_by_character_cleaning_cleans_it(
        value: str, identifying: bool) -> None:
    fast: list[str] = []
    slow: list[str] = []
    assert clean(value, what="x", identifying=identifying, warnings=fast) == _clean_each(
        value, what="x", identifying=identifying, warnings=slow)
    assert fast == slow


def test_a_tab_in_a_description_is_still_kept_and_in_a_name_still_a_space() -> None:
    assert clean(" a\tb ", what="x", identifying=False, warnings=[]) == "a\tb"
    assert clean(" a\tb ", what="x", identifying=True, warnings=[]) == "a b"


# -- parsing and writing XML --------------------------------------------------------------------

_NAMES = st.sampled_from(["a", "Rq", "x-y", "{urn:one}a", "{urn:two}Ret", "{urn:one}b"])
_TEXT = st.text(st.sampled_from(list("ab <>&\"'\r\n\té")), max_size=6)


@st.composite
def trees(draw: Any, names: Any = _NAMES, depth: int = 3) -> ET.Element:
    element = ET.Element(draw(names), {draw(names): draw(_TEXT)
                                       for _ in range(draw(st.integers(0, 2)))})
    element.text = draw(st.none() | _TEXT)
    element.tail = draw(st.none() | _TEXT)
    if depth > 0:
        element.extend(draw(st.lists(trees(names, depth - 1), max_size=3)))
    return element


@settings(max_examples=200, deadline=None)
@given(tree=trees())
def test_the_hardened_parser_builds_the_tree_elementtree_builds(tree: ET.Element) -> None:
    tree.tail = None
    text = ET.tostring(tree, encoding="unicode")
    assert ET.tostring(parse(text, max_bytes=1 << 20)) == ET.tostring(ET.fromstring(text))


def test_the_web_connector_envelopes_parse_as_elementtree_parses_them() -> None:
    envelopes = sorted(ENVELOPES.rglob("*.xml"))
    assert envelopes
    for path in envelopes:
        data = path.read_bytes()
        assert ET.tostring(parse(data, max_bytes=1 << 20)) == ET.tostring(ET.fromstring(data))


def test_the_parser_still_refuses_a_dtd_and_counts_every_element() -> None:
    with pytest.raises(XmlRejected, match="forbidden"):
        parse('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', max_bytes=1000)
    with pytest.raises(XmlRejected, match="more than 3 elements"):
        parse("<a><b/><c/><d/></a>", max_bytes=1000, max_elements=3)
    assert len(parse("<a><b/><c/></a>", max_bytes=1000, max_elements=3)) == 2


@settings(max_examples=200, deadline=None)
@given(tree=trees(names=st.sampled_from(["QBXML", "InvoiceAddRq", "Desc", "x-y"])))
def test_message_sets_are_written_as_elementtree_writes_them(tree: ET.Element) -> None:
    assert to_text(tree) == ET.tostring(tree, encoding="unicode", short_empty_elements=True)


@settings(max_examples=100, deadline=None)
@given(tree=trees())
def test_a_tree_with_namespaces_is_written_by_elementtree_itself(tree: ET.Element) -> None:
    assert to_text(tree) == ET.tostring(tree, encoding="unicode", short_empty_elements=True)


def test_a_python_without_elementtrees_private_escaping_writes_with_tostring(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ledgersync_qbd.qbxml import serialize

    monkeypatch.setattr(serialize, "_escape_text", None)
    tree = ET.fromstring('<QBXML><Desc a="&lt;1&gt;">Dues &amp; fees</Desc><Empty/></QBXML>')

    assert to_text(tree) == ET.tostring(tree, encoding="unicode", short_empty_elements=True)


# -- the items of a sent set, checked when its answer comes -------------------------------------


def test_a_claimed_item_carries_the_stamp_its_claim_wrote(ledger: Ledger) -> None:
    ledger.record(sample_records())
    pulled = ledger.pull("club", owner="session-a").claim(5)
    assert pulled
    views = {v.id: v for v in ledger.items(ItemFilter(ids=[p.id for p in pulled]), limit=None)}
    assert all(p.claimed_at == views[p.id].updated_at for p in pulled)
    queue = ledger.pull("club", owner="session-a")
    assert queue.unchanged({p.id: p.claimed_at for p in pulled if p.claimed_at}) == {
        p.id for p in pulled}


def test_an_item_claimed_again_by_another_owner_at_the_same_instant_is_not_unchanged(
        make_ledger: LedgerFactory) -> None:
    """The row's stamp alone cannot tell (a frozen clock writes the same one): the owner
    is checked too."""
    ledger = make_ledger(clock=lambda: T0)
    ledger.record(sample_records())
    first = ledger.pull("club", owner="session-a")
    pulled = first.claim(1)[0]
    assert pulled.claimed_at is not None
    first.release(pulled, "the session ended")
    again = ledger.pull("club", owner="session-b").claim(1)[0]
    assert again.id == pulled.id
    assert again.claimed_at == pulled.claimed_at
    assert first.unchanged({pulled.id: pulled.claimed_at}) == set()
    assert ledger.pull("club", owner="session-b").unchanged({again.id: pulled.claimed_at}) == {
        again.id}


def test_an_item_whose_row_changed_since_its_claim_is_not_unchanged(
        make_ledger: LedgerFactory) -> None:
    now = [T0]
    ledger = make_ledger(clock=lambda: now[0])
    ledger.record([Member(mms_id=f"M-{n}", display_name=f"Member {n}") for n in (1, 2)])
    queue = ledger.pull("club", owner="session-a")
    pulled = queue.claim(2)
    stamps = {p.id: p.claimed_at for p in pulled if p.claimed_at is not None}
    assert len(stamps) == 2
    stamps[pulled[0].id] -= dt.timedelta(microseconds=1)  # as if claimed earlier
    assert queue.unchanged(stamps) == {pulled[1].id}


# -- the count of due items ---------------------------------------------------------------------


def test_due_items_are_counted_in_an_index_without_reading_their_rows(ledger: Ledger) -> None:
    """SQLite: its plan counts in the covering index. PostgreSQL chooses by its statistics
    (on a table this small, a sequential scan): with sequential scans priced out, the count
    must still be answerable from the partial index alone."""
    ledger.record(sample_records())
    seen: list[tuple[str, Any]] = []

    def executed(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "count(" in statement.lower():
            seen.append((statement, parameters))

    sa.event.listen(Engine, "after_cursor_execute", executed)
    try:
        due = ledger.pull("club", owner="probe").due()
    finally:
        sa.event.remove(Engine, "after_cursor_execute", executed)
    assert due == len(ledger.items(ItemFilter(status=[Status.PENDING]), limit=None))
    [(statement, parameters)] = seen
    with ledger._database.connect() as conn:
        if conn.dialect.name == "sqlite":
            plan = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            assert any("COVERING INDEX ix_sync_items_due" in str(row[-1]) for row in plan), plan
        else:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
            assert any("Index Only Scan using ix_sync_items_due" in row[0] for row in plan), plan
