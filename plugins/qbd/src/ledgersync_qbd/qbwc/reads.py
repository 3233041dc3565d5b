"""Reads `ledgersync reconcile` asks of the next Web Connector session, and their results.

QuickBooks Desktop answers only while a Web Connector session runs, so the connector's
``books_transactions`` and ``account_activity`` answer from the company's state: a read asked
for (``request``) waits in ``qbwc:reads:pending`` until a session runs it (after the session's
writes, so what it reads includes them); its answers, page by page, are gathered in
``qbwc:readparts:<key>`` and, once every query of the read is answered in full, turned into
rows kept in ``qbwc:read:<key>`` with the time they were read. A read QuickBooks refuses is
kept with its error and stays pending, so the next session tries again.

Keys: ``transactions`` (every date) and ``activity:<start or ->:<end>``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from ..qbxml import books
from ..qbxml.document import Rs
from ..qbxml.lists import WRITTEN_AT
from ..state import State
from .sessions import Entry, Session

log = logging.getLogger(__name__)

PENDING = "qbwc:reads:pending"
#: "No match" and "some named objects were not found": an answer, not a failure.
_NOT_FOUND = (1, 500)
#: How long a read is kept: it is of use until the next write, and each date asked for is a
#: read of its own, so old ones must not pile up in the company's state.
KEEP_SECONDS = 30 * 86400.0


#: The receivable transactions of every date: one read answers any "as of" (see
#: :meth:`ledgersync_qbd.connector.QbdConnector.books_transactions`).
TRANSACTIONS = "transactions"


def activity_key(start: dt.date | None, end: dt.date) -> str:
    return f"activity:{start.isoformat() if start else '-'}:{end.isoformat()}"


def spec(key: str) -> dict[str, Any]:
    """The read a key names."""
    kind, _sep, rest = key.partition(":")
    if kind == TRANSACTIONS:
        return {"kind": kind}
    start, _sep, end = rest.partition(":")
    return {"kind": "activity", "start": None if start == "-" else start, "end": end}


def request(state: State, key: str) -> None:
    """Ask the next Web Connector session for the read ``key`` (kept until it is answered)."""
    pending = pending_reads(state)
    if key not in pending:
        state.put(PENDING, [*pending, key])


def pending_reads(state: State) -> list[str]:
    found = state.get(PENDING)
    return [str(k) for k in found] if isinstance(found, list) else []


def result_key(key: str) -> str:
    return f"qbwc:read:{key}"


def _parts_key(key: str) -> str:
    return f"qbwc:readparts:{key}"


def start(state: State, key: str) -> None:
    """A session sends the read's first pages: answers of an earlier attempt are dropped."""
    state.delete(_parts_key(key))


def record_page(state: State, key: str, label: str, rows: list[dict[str, Any]], *,
                more: bool, now: str) -> bool:
    """Keep one answered page; when every query of the read is answered in full, keep the
    read's rows and consume the request. True when the read is complete."""
    stored = state.get(_parts_key(key))
    parts: dict[str, Any] = dict(stored) if isinstance(stored, dict) else {}
    earlier = parts.get(label)
    kept = list(earlier["rows"]) if isinstance(earlier, dict) else []
    parts[label] = {"rows": [*kept, *rows], "done": not more}
    read = spec(key)
    if not all(isinstance(parts.get(lb), dict) and parts[lb]["done"]
               for lb in books.labels_of(read)):
        state.put(_parts_key(key), parts, ttl=KEEP_SECONDS)
        return False
    answers = {label: part["rows"] for label, part in parts.items()}
    rows = (books.books_rows(answers) if read["kind"] == "transactions"
            else books.activity_rows(answers))
    state.put(result_key(key), {"read_at": now, "rows": rows}, ttl=KEEP_SECONDS)
    state.delete(_parts_key(key))
    left = [k for k in pending_reads(state) if k != key]
    if left:
        state.put(PENDING, left)
    else:
        state.delete(PENDING)
    return True


def record_answers(state: State, session: Session,
                   answered: list[tuple[Entry, Rs | None]], now: str) -> None:
    """The answers to a set of read queries: pages kept (continuations queued in the
    session); a query refused or unanswered fails its whole read, which stays pending so the
    next session reads it again from the start."""
    failed: set[str] = set()
    for entry, rs in answered:
        key = entry.detail or ""
        if rs is None or (not rs.ok and rs.status not in _NOT_FOUND):
            reason = ("QuickBooks gave no answer to it" if rs is None else
                      f"QuickBooks answered {rs.status} to {rs.tag.removesuffix('Rs')}Rq: "
                      f"{rs.message}")
            if key not in failed:
                record_failure(state, key, reason, now)
                log.error("company %s: the read %s failed: %s", session.company, key, reason)
            failed.add(key)
    session.queue = [e for e in session.queue if not (e.stage == "read" and e.detail in failed)]
    for entry, rs in answered:
        key, label = entry.detail or "", entry.label or ""
        if key in failed or rs is None:
            continue
        more = bool(rs.remaining > 0 and rs.iterator_id and label in books.ITERATED_LABELS)
        if more:
            session.queue.append(Entry(stage="read", label=label, detail=key,
                                       iterator=rs.iterator_id))
        record_page(state, key, label, books.answer_rows(label, rs.rets), more=more, now=now)


def record_failure(state: State, key: str, error: str, now: str) -> None:
    """QuickBooks refused (or never answered) a query of the read: keep the error (and any
    earlier good rows) for the connector to name; the request stays pending."""
    state.delete(_parts_key(key))
    last = state.get(result_key(key))
    kept = dict(last) if isinstance(last, dict) else {}
    state.put(result_key(key), {**kept, "error": error, "failed_at": now}, ttl=KEEP_SECONDS)


def fresh_rows(state: State, key: str) -> tuple[list[dict[str, Any]] | None, str]:
    """The read's rows when they can be trusted, else None and why not (in words)."""
    found = state.get(result_key(key))
    what = _describe(key)
    if not isinstance(found, dict) or not found.get("read_at"):
        if isinstance(found, dict) and found.get("error"):
            return None, f"QuickBooks refused the read of {what} ({found['error']})"
        return None, f"ledgersync has not read {what} yet"
    failed = found.get("failed_at")
    if failed and str(failed) > str(found["read_at"]) and found.get("error"):
        return None, f"the last read of {what} failed ({found['error']})"
    written = state.get(WRITTEN_AT)
    if isinstance(written, str) and dt.datetime.fromisoformat(written) > \
            dt.datetime.fromisoformat(str(found["read_at"])):
        return None, (f"ledgersync read {what} at {found['read_at']}, before the last update "
                      f"wrote to QuickBooks ({written})")
    rows = found.get("rows")
    return (list(rows) if isinstance(rows, list) else []), ""


def _describe(key: str) -> str:
    read = spec(key)
    if read["kind"] == TRANSACTIONS:
        return "QuickBooks' receivable transactions"
    if read["start"]:
        return f"QuickBooks' trial balance for {read['start']} to {read['end']}"
    return f"QuickBooks' trial balance as of {read['end']}"
