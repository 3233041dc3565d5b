"""``receiveResponseXML``: record what QuickBooks did with the set, item by item.

Each ``*Rs`` is matched to its item by ``requestID`` and recorded through the pull queue under
the lease owner that claimed it (fencing: an item whose lease ran out is not touched; it comes
back in doubt and is looked up). What needs another round trip stays with the session:

* 3200 on a Mod: re-read the record's EditSequence, then send the Mod again (twice at most);
* 3100 on a new customer: look the name up; ours (a lost earlier answer) or the member's own
  hand-made customer (same AccountNumber) is linked, anyone else's needs a person;
* a lock or busy status (3170-3180, 1000, 1010): try once more in the same session;
* a look-up that found nothing: the write is sent;
* no answer for a request: a write is looked up before anything is sent again.

An HRESULT instead of a response: for a parse error QuickBooks ran nothing, so the requests
are sent again one per set to find the one it cannot read; for anything else nobody knows what
ran, so the set stays outstanding and the next session asks QuickBooks about it.
"""

from __future__ import annotations

import datetime as dt
import logging

from ledgersync import ExportResult, Operation, PulledItem

from ..errors import (
    HRESULT_PARSE_ERROR,
    TRANSIENT,
    QbdInDoubt,
    QbdValidationError,
    QbwcHresultError,
    QbxmlStatusError,
)
from ..qbxml.document import ResponseSet, Rs, read_response
from ..qbxml.lists import (
    ITERATED,
    LISTS,
    WRITTEN_AT,
    record_failure,
    record_read,
    row,
)
from ..qbxml.lookups import can_reread, match, reference_of, remote_id
from ..qbxml.reissue import is_reissue
from ..qbxml.transactions import needs_applying
from ..qbxml.writes import build_write
from ..xmlsafe import XmlRejected, text_of
from . import drift, reads
from .sessions import CLEAR, Entry, Outstanding, Session
from .work import CompanyWork

log = logging.getLogger(__name__)

_NOT_FOUND = (1, 500)  # "no match" and "some named objects were not found"


def record_answer(work: CompanyWork, session: Session, response: str, hresult: str,
                  message: str) -> int:
    """Record the answer to the set the session is waiting for; returns the progress to give
    the Web Connector (0-99 more to do, 100 done, -1 error: it calls getLastError)."""
    if session.awaiting == "noop":
        session.awaiting = None
        return 100
    sessions = work.sessions
    outstanding = sessions.outstanding(work.name)
    probing, awaiting = session.probing, session.awaiting
    session.probing, session.awaiting = False, None
    if outstanding is None or outstanding.set_id != awaiting:
        session.last_error = ("ledgersync was not waiting for this answer (the session was "
                              "taken over, or it was already recorded); nothing was changed")
        return -1
    if hresult.strip():
        error = QbwcHresultError(hresult.strip(), message)
        session.last_error = str(error)
        if hresult.strip().lower() == HRESULT_PARSE_ERROR and not probing:
            _isolate(work, session, outstanding, error)
            sessions.set_outstanding(work.name, None)
            return progress(work, session)
        session.last_error += "; the next update asks QuickBooks what happened to the set"
        return -1
    try:
        answer = read_response(response)
    except XmlRejected as exc:
        session.last_error = (f"QuickBooks' answer could not be read ({exc}); the next update "
                              "asks QuickBooks what happened to the set")
        return -1
    if probing and not answer.responses:
        # QuickBooks keeps no answer for the set (9002/600): it never ran it, or forgot.
        _doubt_all(work, session, outstanding)
    else:
        synced = session.synced
        _record(work, session, outstanding, answer)
        state = sessions.view(work.name)
        state.put(CLEAR, outstanding.set_id)
        if session.synced > synced:
            state.put(WRITTEN_AT, sessions.now().isoformat())
    sessions.set_outstanding(work.name, None)
    return progress(work, session)


def progress(work: CompanyWork, session: Session) -> int:
    """A true percentage: items finished in this session against what is left now."""
    remaining = (work.queue(session.owner).due() + len(session.queue) + len(session.lists)
                 + int(session.drift) + len(session.reads))
    if remaining == 0:
        return 100
    done = session.finished
    return max(0, min(99, (100 * done) // (done + remaining)))


def _record(work: CompanyWork, session: Session, outstanding: Outstanding,
            answer: ResponseSet) -> None:
    by_rid = answer.by_request_id()
    held = work.held(outstanding.entries, set_id=outstanding.set_id)
    checks = {e.label or "": by_rid.get(e.rid or "") for e in outstanding.entries
              if e.stage == "drift"}
    if checks:
        _drift_answers(work, session, checks, outstanding.sent_at)
    answered = [(e, by_rid.get(e.rid or "")) for e in outstanding.entries if e.stage == "read"]
    if answered:
        reads.record_answers(work.sessions.view(work.name), session, answered,
                             work.sessions.now().isoformat())
    with work.one_answer():
        for entry in outstanding.entries:
            _record_entry(work, session, entry, by_rid.get(entry.rid or ""), held)


def _record_entry(work: CompanyWork, session: Session, entry: Entry, rs: Rs | None,
                  held: dict[int, PulledItem]) -> None:
    if entry.stage in ("drift", "read"):
        return
    if entry.stage == "list":
        _list_page(work, session, entry, rs)
        return
    pulled = held.get(entry.item or -1)
    if pulled is None:
        return
    if rs is None:
        _unanswered(work, session, entry, pulled)
    elif entry.stage == "write":
        _write_answer(work, session, entry, pulled, rs)
    elif entry.stage == "find":
        _find_answer(work, session, entry, pulled, rs)
    elif entry.stage == "reread":
        _reread_answer(work, session, entry, pulled, rs)
    elif entry.stage == "remove":
        _remove_answer(work, session, entry, pulled, rs)
    elif entry.stage == "apply":
        _apply_answer(work, session, entry, pulled, rs)
    elif entry.stage == "why":
        _why_answer(work, session, entry, pulled, rs)


def _again(session: Session, entry: Entry, stage: str, **changes: object) -> None:
    values: dict[str, object] = {"stage": stage, "item": entry.item, "owner": entry.owner,
                                 "tries": entry.tries, "request_type": entry.request_type,
                                 "edit_sequence": entry.edit_sequence, "new_id": entry.new_id,
                                 "warnings": list(entry.warnings), "detail": entry.detail}
    values.update(changes)
    session.queue.append(Entry(**values))  # type: ignore[arg-type]


def _is_create(pulled: PulledItem) -> bool:
    """A write that adds a record: after a doubt it is looked up, never blindly resent."""
    return pulled.request.operation is Operation.CREATE or is_reissue(pulled.request)


def _unanswered(work: CompanyWork, session: Session, entry: Entry, pulled: PulledItem) -> None:
    if entry.tries >= 3:
        work.fail(session, pulled, QbdInDoubt("QuickBooks did not answer this request"))
    elif entry.stage == "write" and _is_create(pulled):
        _again(session, entry, "find", tries=entry.tries + 1)
    else:
        _again(session, entry, entry.stage, tries=entry.tries + 1)


def _status_error(entry: Entry, rs: Rs) -> QbxmlStatusError:
    return QbxmlStatusError(rs.status, rs.message,
                            request_type=entry.request_type or rs.tag.removesuffix("Rs") + "Rq")


def _write_answer(work: CompanyWork, session: Session, entry: Entry, pulled: PulledItem,
                  rs: Rs) -> None:
    request = pulled.request
    if rs.ok:
        ret = rs.rets[0] if rs.rets else None
        external = (remote_id(ret) if ret is not None else None) or request.external_id
        if external is None:
            _again(session, entry, "find", tries=entry.tries + 1)
            return
        warnings = list(entry.warnings)
        if rs.status >= 500 or rs.severity == "Warn":
            warnings.append(f"QuickBooks warned ({rs.status}): {rs.message}")
        if needs_applying(request):
            _again(session, entry, "apply", tries=0, new_id=external, warnings=warnings)
            return
        version = text_of(ret, "EditSequence") if ret is not None else None
        work.succeed(session, pulled, ExportResult(external_id=external, version_token=version,
                                                   warnings=tuple(warnings)))
        return
    if rs.status == 3200 and can_reread(entry.request_type or "") and entry.tries < 2:
        _again(session, entry, "reread", tries=entry.tries + 1)
    elif (rs.status == 3100 and request.kind == "member" and _is_create(pulled)
          and not entry.duplicate):
        _again(session, entry, "find", duplicate=True)
    elif rs.status in TRANSIENT and entry.tries < 1:
        _again(session, entry, "write", tries=entry.tries + 1)
    elif rs.status == 3140 and reference_of(rs.message) is not None:
        _again(session, entry, "why", detail=rs.message)  # deleted, or made inactive?
    else:
        work.fail(session, pulled, _status_error(entry, rs))


def _why_answer(work: CompanyWork, session: Session, entry: Entry, pulled: PulledItem,
                rs: Rs) -> None:
    """The 3140's reference looked up: say whether it was deleted or made inactive."""
    message = entry.detail or ""
    reference = reference_of(message)
    assert reference is not None
    state = None
    if rs.ok and rs.rets and any(text_of(r, "IsActive") == "false" for r in rs.rets):
        state = "inactive"
    elif not rs.rets and (rs.ok or rs.status in _NOT_FOUND):
        state = "deleted"
    work.fail(session, pulled, QbxmlStatusError(
        3140, message, request_type=entry.request_type or "request",
        reference=(reference[0], reference[1], state) if state else None))


def _find_answer(work: CompanyWork, session: Session, entry: Entry, pulled: PulledItem,
                 rs: Rs) -> None:
    request = pulled.request
    if not rs.ok and rs.status not in _NOT_FOUND:
        if entry.tries < 1:
            _again(session, entry, "find", tries=entry.tries + 1)
        else:
            work.fail(session, pulled, QbdInDoubt(f"the look-up failed: {rs.message}"))
        return
    finder = build_write(request, work.build_context(entry)).finder
    assert finder is not None  # only creates are looked up
    found = match(finder, rs)
    if is_reissue(request):
        # Found: only the old one is left to delete; not found: delete it, then write.
        new_id = remote_id(found.record) if found.record is not None else None
        _again(session, entry, "remove", tries=0, new_id=new_id)
    elif found.record is not None and needs_applying(request):
        _again(session, entry, "apply", tries=0, new_id=remote_id(found.record))
    elif found.record is not None:
        external = remote_id(found.record)
        assert external is not None
        work.succeed(session, pulled, ExportResult(
            external_id=external, version_token=text_of(found.record, "EditSequence")))
    elif found.ambiguous:
        work.fail(session, pulled, QbdValidationError(
            f"{request.describe()}: several records in QuickBooks carry this record's "
            f"ExternalGUID {finder.guid}",
            remedy="Delete the duplicates in QuickBooks, keep one, then requeue"))
    elif found.other is not None and request.kind == "member":
        work.fail(session, pulled, QbxmlStatusError(
            3100, f'The name "{found.other}" of the list element is already in use by a '
            "customer that is not this member.", request_type="CustomerAddRq"))
    else:
        _again(session, entry, "write", duplicate=entry.duplicate)


def _reread_answer(work: CompanyWork, session: Session, entry: Entry, pulled: PulledItem,
                   rs: Rs) -> None:
    if rs.ok and rs.rets:
        fresh = text_of(rs.rets[0], "EditSequence")
        _again(session, entry, "write", edit_sequence=fresh)
    elif rs.status in (*_NOT_FOUND, 3120) or rs.ok:
        work.fail(session, pulled, QbxmlStatusError(
            3120, f"{pulled.request.describe()} no longer exists in QuickBooks "
            f"({pulled.request.external_id})", request_type=entry.request_type or "Mod"))
    else:
        work.fail(session, pulled, _status_error(entry, rs))


def _drift_answers(work: CompanyWork, session: Session, answers: dict[str, Rs | None],
                   sent_at: str) -> None:
    state = work.sessions.view(work.name)
    found = drift.record(work.ledger, work.name, work.settings, state, answers,
                         dt.datetime.fromisoformat(sent_at))
    if found is None:
        log.warning("company %s: the drift check was not answered in full; the next session "
                    "checks again", work.name)
        drift.request_check(state)
    elif found:
        session.last_error = (f"{len(found)} record(s) changed or deleted in QuickBooks after "
                              "sync: see `ledgersync status`")


def _apply_answer(work: CompanyWork, session: Session, entry: Entry, pulled: PulledItem,
                  rs: Rs) -> None:
    """The credit memo is written; applying it to its invoice succeeded or, refused, is said in
    a warning (the credit then stays open on the customer: the balance is right either way)."""
    assert entry.new_id is not None
    warnings = list(entry.warnings)
    if rs.status in TRANSIENT and entry.tries < 1:
        _again(session, entry, "apply", tries=entry.tries + 1)
        return
    if not rs.ok:
        warnings.append(f"the credit was not applied to its invoice in QuickBooks ({rs.status}: "
                        f"{rs.message}); it stays open on the customer: apply it in Receive "
                        "Payments if the invoice should show it")
    work.succeed(session, pulled, ExportResult(external_id=entry.new_id,
                                               warnings=tuple(warnings)))


def _remove_answer(work: CompanyWork, session: Session, entry: Entry, pulled: PulledItem,
                   rs: Rs) -> None:
    """The old refund of a reissue deleted (or already gone): write the new one, or, when the
    look-up found it written already, the item is done."""
    if (rs.ok or rs.status == 3120) and entry.new_id is None:
        _again(session, entry, "write", tries=0)
    elif rs.ok or rs.status == 3120:
        assert entry.new_id is not None
        work.succeed(session, pulled, ExportResult(external_id=entry.new_id,
                                                   warnings=tuple(entry.warnings)))
    elif rs.status in TRANSIENT and entry.tries < 1:
        _again(session, entry, "remove", tries=entry.tries + 1, new_id=entry.new_id)
    else:
        work.fail(session, pulled, QbdValidationError(
            f"{pulled.request.describe()}: the old refund ({pulled.request.external_id}) could "
            f"not be deleted to write the changed one: QuickBooks answered {rs.status}: "
            f"{rs.message}",
            remedy="Delete the old refund in QuickBooks (or close what holds it), then "
            "`ledgersync requeue` this item: it writes the changed refund exactly once"))


def _doubt_all(work: CompanyWork, session: Session, outstanding: Outstanding) -> None:
    held = work.held(outstanding.entries)
    for entry in outstanding.entries:
        if entry.stage == "drift":
            session.drift = True
            continue
        if entry.stage == "read":
            if entry.detail is not None and entry.detail not in session.reads:
                session.reads.append(entry.detail)  # iterators die with the session
            continue
        if entry.stage == "list":
            if entry.label is not None and entry.label not in session.lists:
                session.lists.append(entry.label)  # iterators die with the session
            continue
        pulled = held.get(entry.item or -1)
        if pulled is None:
            continue
        stage = "find" if entry.stage == "write" and _is_create(pulled) else entry.stage
        _again(session, entry, stage)


def _isolate(work: CompanyWork, session: Session, outstanding: Outstanding,
             error: QbwcHresultError) -> None:
    held = work.held(outstanding.entries)
    items = [(e, held[e.item]) for e in outstanding.entries if e.item in held]
    lists = [e for e in outstanding.entries if e.stage == "list"]
    if any(e.stage == "drift" for e in outstanding.entries):
        log.error("company %s: QuickBooks refused the drift check (%s)", work.name, error)
    state = work.sessions.view(work.name)
    for key in {e.detail for e in outstanding.entries if e.stage == "read" and e.detail}:
        # Reads are sets of their own; QuickBooks could not parse one of its queries: the
        # read stays pending and `ledgersync reconcile` names the error.
        reads.record_failure(state, key, f"QuickBooks refused the request ({error})",
                             work.sessions.now().isoformat())
        log.error("company %s: QuickBooks refused the read %s (%s)", work.name, key, error)
    if all(e.stage == "read" for e in outstanding.entries):
        return
    if len(outstanding.entries) == 1:
        for _entry, pulled in items:
            work.fail(session, pulled, error)
        for entry in lists:
            _list_refused(work, entry, error)
        return
    log.warning("QuickBooks refused a set of %d requests (%s); sending them one by one",
                len(outstanding.entries), error)
    for entry, _pulled in items:
        _again(session, entry, entry.stage, alone=True)
    for entry in lists:
        # Iterators die with a refused set: the list is read again from its start.
        session.queue.append(Entry(stage="list", label=entry.label, alone=True))


def _list_refused(work: CompanyWork, entry: Entry, error: QbwcHresultError) -> None:
    label = entry.label or ""
    store = work.sessions.view(work.name)
    store.delete(f"qbwc:listbuf:{label}")
    record_failure(store, label, f"QuickBooks refused the request ({error})",
                   "ledgersync reads it again at every Web Connector update; if this stays, "
                   "the request is one this QuickBooks cannot parse: send the Web Connector "
                   "log (QWCLog.txt) with `ledgersync qbd lists COMPANY --json` to support, "
                   "and map by hand meanwhile (`ledgersync map`)",
                   work.sessions.now().isoformat())
    log.error("company %s: QuickBooks refused the read of list %r (%s)", work.name, label,
              error)


def _list_page(work: CompanyWork, session: Session, entry: Entry, rs: Rs | None) -> None:
    label = entry.label or ""
    store = work.sessions.view(work.name)
    buffer_key = f"qbwc:listbuf:{label}"
    rows = (store.get(buffer_key) or []) if entry.iterator else []
    now = work.sessions.now().isoformat()
    if rs is None or (not rs.ok and rs.status not in _NOT_FOUND):
        if rs is None:
            reason, remedy = "QuickBooks gave no answer for it", "It is read again at the " \
                "next Web Connector update"
        else:
            error = _status_error(entry, rs)
            reason = f"QuickBooks answered {rs.status}: {rs.message}"
            remedy = error.remedy or "It is read again at the next Web Connector update"
        record_failure(store, label, reason, remedy, now)
        store.delete(buffer_key)
        return
    rows.extend(row(ret) for ret in rs.rets)
    if rs.remaining > 0 and rs.iterator_id and LISTS.get(label) in ITERATED:
        store.put(buffer_key, rows)
        session.queue.append(Entry(stage="list", label=label, iterator=rs.iterator_id))
    else:
        record_read(store, label, rows, now)
        store.delete(buffer_key)
