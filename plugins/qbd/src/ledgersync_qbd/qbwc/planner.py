"""``sendRequestXML``: what the next message set carries.

In this order, and only one of them per set:

1. a message set whose answer we never recorded (``qbwc:outstanding``): the recovery probe
   (an empty set with ``oldMessageSetID`` = ``newMessageSetID``), before anything is sent again;
2. list reads (first session of a company, or after `ledgersync qbd lists --refresh`), then
   their iterator continuations;
3. work: what the session holds from earlier answers (re-reads after 3200, writes after a
   look-up found nothing, items to send one by one after QuickBooks refused a whole set), then
   newly claimed items, up to ``message_set_size`` requests;
4. reads `ledgersync reconcile` asked for (:mod:`.reads`), then their iterator continuations:
   after the writes, so that what they read includes them;
5. nothing to do: a harmless ``HostQueryRq`` (never ``""``, which makes the Web Connector call
   ``getLastError`` and report an error), answered by 100 %.

The set, its ID and which item each ``requestID`` stands for are stored (``qbwc:outstanding``)
before the text is returned, so an answer that never comes is recovered by the next session.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ledgersync import Operation, PulledItem

from ..errors import QbdValidationError
from ..qbxml import books
from ..qbxml.document import message_set, probe
from ..qbxml.lists import LISTS, continue_request, start_request
from ..qbxml.lookups import find_request, reference_of, reference_request, reread_request
from ..qbxml.reissue import is_reissue
from ..qbxml.transactions import apply_credit_request
from ..qbxml.writes import build_write
from ..xmlsafe import Element
from . import drift, reads
from .sessions import CLEAR, Entry, Outstanding, Session, new_set_id
from .work import CompanyWork

#: Claims per set before giving up on filling it (claimed items may turn out blocked).
_CLAIM_ROUNDS = 4


def next_message_set(work: CompanyWork, session: Session) -> str:
    """The qbXML of the next set (see the module docstring); state saved before returning."""
    assert session.version is not None
    sessions = work.sessions
    outstanding = sessions.outstanding(work.name)
    if outstanding is not None:
        session.probing = True
        session.awaiting = outstanding.set_id
        session.noop = False
        return probe(session.version, outstanding.set_id)
    claimed: dict[int, PulledItem] = {}
    entries = (_list_entries(session) or _drift_entries(work, session)
               or _read_continuations(session) or _work_entries(work, session, claimed)
               or _read_entries(work, session))
    # Items claimed just now are at hand; only those held from earlier rounds are rebuilt.
    held = {**work.held(e for e in entries if e.item not in claimed), **claimed}
    requests: list[Element] = []
    sent: list[Entry] = []
    for entry in entries:
        element = _element(work, session, entry, held.get(entry.item or -1))
        if element is not None:
            entry.rid = _request_id(entry)
            element.set("requestID", entry.rid)
            requests.append(element)
            sent.append(entry)
    store = sessions.view(work.name)
    previous = store.get(CLEAR)
    set_id = new_set_id()
    if not requests:
        # Nothing to write: a read-only set QuickBooks may forget with the next one.
        session.noop = True
        session.awaiting = "noop"
        store.put(CLEAR, set_id)
        return message_set(session.version, [ET.Element("HostQueryRq", {"requestID": "noop"})],
                           new_id=set_id, old_id=previous)
    work.sent.keep(work.ledger, set_id, {e.item: held[e.item] for e in sent
                                         if e.item is not None and e.item in held})
    sessions.set_outstanding(work.name, Outstanding(set_id=set_id,
                                                    ticket_hash=session.ticket_hash,
                                                    sent_at=sessions.now().isoformat(),
                                                    entries=sent))
    if previous is not None:
        store.delete(CLEAR)
    session.noop = False
    session.awaiting = set_id
    session.sent += len(requests)
    return message_set(session.version, requests, new_id=set_id, old_id=previous)


def _request_id(entry: Entry) -> str:
    # Unique within a set (one entry per item or list per set), at most 50 characters.
    if entry.stage in ("list", "drift"):
        return f"{entry.stage}:{entry.label}"
    if entry.stage == "read":
        return f"{entry.label}@{entry.detail}"
    return f"{entry.item}:{entry.stage}:{entry.tries}"


def _list_entries(session: Session) -> list[Entry]:
    alone = next((e for e in session.queue if e.stage == "list" and e.alone), None)
    if alone is not None:
        # QuickBooks refused a set of list reads: one per set, to find the one it refuses.
        session.queue = [e for e in session.queue if e is not alone]
        return [alone]
    continuing = [e for e in session.queue if e.stage == "list"]
    if continuing:
        session.queue = [e for e in session.queue if e.stage != "list"]
        return continuing
    if session.lists:
        labels, session.lists = session.lists, []
        return [Entry(stage="list", label=label) for label in labels if label in LISTS]
    return []


def _drift_entries(work: CompanyWork, session: Session) -> list[Entry]:
    if not session.drift:
        return []
    session.drift = False
    start = drift.since(work.sessions.view(work.name))
    return [Entry(stage="drift", label=label, since=start) for label in drift.LABELS]


def _read_continuations(session: Session) -> list[Entry]:
    # A read under way is finished before anything else is written: no write may fall
    # between its pages, so that they all show the company file as it was at one moment.
    continuing = [e for e in session.queue if e.stage == "read"]
    if continuing:
        session.queue = [e for e in session.queue if e.stage != "read"]
    return continuing


def _read_entries(work: CompanyWork, session: Session) -> list[Entry]:
    keys, session.reads = session.reads, []
    state = work.sessions.state(work.name)
    entries = []
    for key in keys:
        reads.start(state, key)
        entries += [Entry(stage="read", label=label, detail=key)
                    for label in books.labels_of(reads.spec(key))]
    return entries


def _work_entries(work: CompanyWork, session: Session,
                  claimed: dict[int, PulledItem]) -> list[Entry]:
    size = work.settings.message_set_size
    queue = session.queue
    alone = next((e for e in queue if e.alone), None)
    if alone is not None:
        # QuickBooks refused a whole set: send its requests one by one to find the culprit.
        session.queue = [e for e in queue if e is not alone]
        return [alone]
    chosen, session.queue = queue[:size], queue[size:]
    pull = work.queue(session.owner)
    if not session.run_opened and pull.due() > 0:
        # The session came to read lists; what was recorded since gets a run of its own.
        pull.open_run(trigger="web connector")
        session.run_opened = True
    for _ in range(_CLAIM_ROUNDS):
        room = size - len(chosen)
        if room <= 0:
            break
        fresh = pull.claim(room, lease_seconds=work.settings.lease_seconds)
        if not fresh:
            break
        for pulled in fresh:
            entry = _admit(work, session, pulled)
            if entry is not None:
                chosen.append(entry)
                claimed[pulled.id] = pulled
    return chosen


def _admit(work: CompanyWork, session: Session, pulled: PulledItem) -> Entry | None:
    """The first step of a newly claimed item, or None when it was settled without a request."""
    request = pulled.request
    owner = pulled.owner
    if is_reissue(request):
        return Entry(stage="find", item=pulled.id, owner=owner)  # see qbxml.reissue
    create = request.operation is Operation.CREATE
    if create and pulled.needs_lookup:
        return Entry(stage="find", item=pulled.id, owner=owner)
    # New members were offered to the customer-mapping hook by the core's claim already.
    return Entry(stage="write", item=pulled.id, owner=owner)


def _element(work: CompanyWork, session: Session, entry: Entry,
             pulled: PulledItem | None) -> Element | None:
    """The request of ``entry``; None when there is nothing to send for it."""
    if entry.stage == "drift":
        assert entry.label is not None
        assert entry.since is not None
        return drift.request(entry.label, entry.since)
    if entry.stage == "read":
        assert entry.label is not None
        assert entry.detail is not None
        return books.request(reads.spec(entry.detail), entry.label, entry.iterator)
    if entry.stage == "list":
        assert entry.label is not None
        if entry.iterator:
            return continue_request(entry.label, entry.iterator)
        return start_request(entry.label)
    if pulled is None:
        return None  # no longer ours: it comes back in doubt and is looked up then
    try:
        write = build_write(pulled.request, work.build_context(entry))
    except QbdValidationError as exc:
        # Refused before sending: nothing left this machine.
        work.fail(session, pulled, exc)
        return None
    if entry.stage == "find" and write.finder is not None:
        entry.request_type = write.request_type
        return find_request(write.finder)
    if entry.stage == "why":
        reference = reference_of(entry.detail or "")
        assert reference is not None  # the recorder asks only for a named reference
        return reference_request(*reference)
    if entry.stage == "apply":
        assert entry.new_id is not None
        entry.request_type = "ReceivePaymentAddRq"
        return apply_credit_request(pulled.request, work.build_context(entry), entry.new_id)
    if entry.stage == "remove":
        assert write.then is not None
        entry.request_type = str(write.then.tag)
        return write.then
    if entry.stage == "reread":
        assert entry.request_type is not None
        assert pulled.request.external_id is not None
        return reread_request(entry.request_type, pulled.request.external_id)
    entry.stage = "write"
    entry.request_type = write.request_type
    entry.warnings = list(write.warnings)
    return write.element
