"""Web Connector sessions and the company's in-flight message set, kept in the ledger.

Nothing lives in process memory: any server process can answer any call, and a restart loses
nothing (DESIGN "The Web Connector endpoint"). Per company, in its StateStore:

* ``qbwc:session:<hash>``: one session (a ticket), with the work it holds for its next set;
* ``qbwc:active``: which session is live, for ``busy`` and for taking over from a dead one;
* ``qbwc:outstanding``: the message set QuickBooks may have run but whose answer we have not
  recorded. It outlives the session that sent it: the next session asks QuickBooks about it
  (``oldMessageSetID``) before sending anything else;
* ``qbwc:clear``: a set whose answer is recorded, to let QuickBooks forget on the next set.

Globally (pseudo-company ``~qbwc``), ``ticket:<hash>`` says which company a ticket belongs to.
Tickets are random (``secrets``), stored only as SHA-256 hashes, and expire.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

import attrs

from ledgersync import Ledger, StateStore

from .callstate import State
from .mutex import company_mutex

INDEX = "~qbwc"
OUTSTANDING = "qbwc:outstanding"
CLEAR = "qbwc:clear"
ACTIVE = "qbwc:active"
LAST_ERROR = "qbwc:last_error"
HOST = "qbwc:host"
INDEX_TTL = 7 * 86400.0
#: Tickets whose company a process keeps (:meth:`Sessions.company_of`).
COMPANIES_KEPT = 4096


@attrs.define
class Entry:
    """One request of a message set, or one piece of work waiting for the next set.

    ``stage``: ``write`` (the item's Add/Mod/Void), ``find`` (look the item up before writing:
    after a doubt or a name in use), ``reread`` (fetch the current EditSequence after 3200),
    ``list`` (a page of a list read), ``read`` (a page of a query `ledgersync reconcile` asked
    for, see :mod:`.reads`), ``remove`` (delete a reissued refund's old TxnID, see
    :mod:`ledgersync_qbd.qbxml.reissue`) or ``noop`` (nothing to do).
    Items are in flight under ``owner`` (the lease owner of the session that claimed them).
    """

    stage: str
    item: int | None = None
    owner: str | None = None
    tries: int = 0
    edit_sequence: str | None = None
    duplicate: bool = False
    alone: bool = False
    label: str | None = None
    iterator: str | None = None
    rid: str | None = None
    request_type: str | None = None
    warnings: list[str] = attrs.field(factory=list)
    #: A reissued refund's new TxnID, kept while the old one is deleted (stage ``remove``).
    new_id: str | None = None
    #: Where a drift query starts (stage ``drift``, see :mod:`.drift`).
    since: str | None = None
    #: QuickBooks' 3140 message while the refused reference is looked up (stage ``why``);
    #: the key of the read a query belongs to (stage ``read``, see :mod:`.reads`).
    detail: str | None = None


def _entries(raw: list[dict[str, Any]]) -> list[Entry]:
    return [Entry(**entry) for entry in raw]


@attrs.define
class Session:
    ticket_hash: str
    company: str
    owner: str
    created: str
    seen: str
    version: str | None = None
    country: str | None = None
    queue: list[Entry] = attrs.field(factory=list)
    awaiting: str | None = None
    probing: bool = False
    noop: bool = False
    sent: int = 0
    finished: int = 0
    synced: int = 0
    errors: int = 0
    rounds: int = 0
    last_error: str = ""
    lists: list[str] = attrs.field(factory=list)
    #: A drift check is due in this session (see :mod:`.drift`).
    drift: bool = False
    #: A run (sync log entry) was opened for this session's record work.
    run_opened: bool = False
    #: Reads asked for by `ledgersync reconcile` this session runs after its writes.
    reads: list[str] = attrs.field(factory=list)

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        data = dict(data)
        data["queue"] = _entries(data.get("queue", []))
        return cls(**data)


@attrs.define
class Outstanding:
    set_id: str
    ticket_hash: str
    sent_at: str
    entries: list[Entry]

    def to_json(self) -> dict[str, Any]:
        return attrs.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Outstanding:
        data = dict(data)
        data["entries"] = _entries(data["entries"])
        return cls(**data)


def ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8", "replace")).hexdigest()


def session_key(digest: str) -> str:
    return f"qbwc:session:{digest}"


def new_set_id() -> str:
    """At most 24 characters (QuickBooks answers 9004 beyond), unique per set."""
    return "ls" + secrets.token_hex(11)


class Sessions:
    """Create, find and save sessions; every read checks the ticket's company and expiry."""

    def __init__(self, ledger: Ledger, ttl_seconds: dict[str, float],
                 clock: Any = None) -> None:
        self._ledger = ledger
        self._ttl = ttl_seconds
        self._clock = clock
        self._index = self._store(INDEX)
        #: The calls this thread is inside, by company (see :meth:`call`).
        self._calls = threading.local()
        #: Ticket hash -> company, as the index said (a ticket's company never changes; the
        #: session itself is still read under the company's mutex on every call).
        self._companies: OrderedDict[str, str] = OrderedDict()
        self._companies_lock = threading.Lock()  # the server's worker threads share it

    def _store(self, company: str) -> StateStore:
        return self._ledger.state(company, clock=self._clock)

    def state(self, company: str) -> StateStore:
        """The company's state as stored (what a call wrote is there once the call ended)."""
        return self._store(company)

    def view(self, company: str) -> State:
        """The company's state as the Web Connector code reads and writes it: inside
        :meth:`call`, that call's view (:mod:`.callstate`); outside, the store."""
        calls: dict[str, State] | None = getattr(self._calls, "by_company", None)
        if calls is not None and company in calls:
            return calls[company]
        return self._store(company)

    @contextlib.contextmanager
    def call(self, company: str, *, ticket: str | None = None,
             load: Iterable[str] = ()) -> Iterator[State]:
        """One Web Connector call of ``company`` under its mutex: its state is read once and
        written when the call ends (:mod:`.callstate`). ``ticket`` and ``load``: what to read
        in the transaction that takes the mutex."""
        keys = [*load, *([session_key(ticket_hash(ticket))] if ticket is not None else [])]
        with company_mutex(self._store(company), load=keys, clock=self._clock) as state:
            calls: dict[str, State] = getattr(self._calls, "by_company", None) or {}
            self._calls.by_company = calls
            calls[company] = state
            try:
                yield state
            finally:
                del calls[company]

    def now(self) -> dt.datetime:
        return self._clock() if self._clock is not None else dt.datetime.now(dt.UTC)

    def create(self, company: str) -> tuple[str, Session]:
        ticket = secrets.token_urlsafe(32)
        digest = ticket_hash(ticket)
        stamp = self.now().isoformat()
        session = Session(ticket_hash=digest, company=company,
                          owner=f"qbwc:{company}:{digest[:12]}", created=stamp, seen=stamp)
        # The index only says which company to look in; the session itself expires sooner.
        self._index.put(f"ticket:{digest}", {"company": company}, ttl=INDEX_TTL)
        self.save(session)
        return ticket, session

    def company_of(self, ticket: str) -> str | None:
        """The company ``ticket`` was issued for: read from the index once per process (two
        statements a call saved), then kept. An ended or expired ticket still names its
        company here, but its session is gone, which every call checks under the mutex."""
        digest = ticket_hash(ticket)
        with self._companies_lock:
            company = self._companies.get(digest)
        if company is not None:
            return company
        found = self._index.get(f"ticket:{digest}")
        company = found.get("company") if isinstance(found, dict) else None
        if isinstance(company, str):
            with self._companies_lock:
                self._companies[digest] = company
                while len(self._companies) > COMPANIES_KEPT:
                    self._companies.popitem(last=False)
        return company

    def load(self, ticket: str) -> Session | None:
        """The live session of ``ticket``, or None (unknown, expired, or ended)."""
        company = self.company_of(ticket)
        if company is None:
            return None
        return self.load_hash(company, ticket_hash(ticket))

    def load_hash(self, company: str, digest: str) -> Session | None:
        data = self.view(company).get(session_key(digest))
        if not isinstance(data, dict):
            return None
        session = Session.from_json(data)
        # The binding is checked here again: a ticket opens its own company's work only.
        return session if session.company == company else None

    def save(self, session: Session) -> None:
        session.seen = self.now().isoformat()
        ttl = self._ttl.get(session.company, 1800.0)
        store = self.view(session.company)
        store.put(session_key(session.ticket_hash), session.to_json(), ttl=ttl)

    def end(self, session: Session) -> None:
        self.view(session.company).delete(session_key(session.ticket_hash))
        self._index.delete(f"ticket:{session.ticket_hash}")
        with self._companies_lock:
            self._companies.pop(session.ticket_hash, None)

    # -- company-level records -------------------------------------------------------------

    def outstanding(self, company: str) -> Outstanding | None:
        data = self.view(company).get(OUTSTANDING)
        return Outstanding.from_json(data) if isinstance(data, dict) else None

    def set_outstanding(self, company: str, outstanding: Outstanding | None) -> None:
        store = self.view(company)
        if outstanding is None:
            store.delete(OUTSTANDING)
        else:
            store.put(OUTSTANDING, outstanding.to_json())

    def seconds_since(self, stamp: str) -> float:
        return (self.now() - dt.datetime.fromisoformat(stamp)).total_seconds()
