"""The Web Connector's methods, independent of SOAP.

Every method that touches a company's work runs under the company mutex and re-reads the
session inside it, so two server processes (or a superseded Web Connector still talking) can
never record over each other. A ticket opens its own company's session only: the ticket index
names the company, and the session stored under that company must name it too.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Callable

from ledgersync import Ledger, LedgerSyncError, LoginThrottle, PulledItem, __version__

from .. import __version__ as qbd_version
from ..connector import QbdConnector
from ..errors import QbdInDoubt
from ..qbxml.lists import labels_to_read
from ..qbxml.versions import NoCommonVersion, negotiate
from . import drift
from .auth import Account, Directory
from .mutex import company_mutex
from .planner import next_message_set
from .recorder import record_answer
from .sessions import ACTIVE, HOST, LAST_ERROR, Session, Sessions
from .throttle import loggable, login_keys
from .work import CompanyWork

log = logging.getLogger(__name__)

FILE_ID = "qbwc:file_id"
_UNKNOWN_TICKET = ("ledgersync: this Web Connector session has ended or expired. Run "
                   "'Update Selected' again.")
CLIENT_POLICIES = {"warn": "W", "error": "E", "upgrade": "O"}


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for part in text.strip().split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)


class QbwcService:
    """The QuickBooks Desktop companies of one ledger, served to their Web Connectors."""

    def __init__(self, ledger: Ledger, *, min_client_version: str = "",
                 client_version_policy: str = "warn",
                 clock: Callable[[], dt.datetime] | None = None,
                 on_item: Callable[[PulledItem, str], None] | None = None,
                 login_throttle: LoginThrottle | None = None) -> None:
        """``on_item`` is told of every item a session records, with its new status."""
        if client_version_policy not in CLIENT_POLICIES:
            raise ValueError(f"client_version_policy must be one of {sorted(CLIENT_POLICIES)}")
        self.ledger = ledger
        self.login_throttle = login_throttle or LoginThrottle()
        self.min_client_version = min_client_version
        self.client_version_policy = client_version_policy
        self.companies: dict[str, CompanyWork] = {}
        accounts: list[Account] = []
        ttl: dict[str, float] = {}
        self.sessions = Sessions(ledger, ttl, clock)
        for company in ledger.config.enabled_companies():
            if company.connector != QbdConnector.name:
                continue
            try:
                settings = ledger.connector(company.name).settings
            except LedgerSyncError as exc:
                # One company's bad settings must not take the others' Web Connectors down.
                log.error("company %s is not served: %s", company.name, exc)
                continue
            ttl[company.name] = settings.ticket_ttl_seconds
            accounts.append(Account(company, settings, ledger.secrets(company.name)))
            self.companies[company.name] = CompanyWork(ledger, self.sessions, company, settings,
                                                       on_item)
        self.directory = Directory(accounts)

    # -- the handshake -------------------------------------------------------------------------

    def server_version(self) -> str:
        return f"ledgersync {__version__} (QuickBooks Desktop connector {qbd_version})"

    def client_version(self, version: str) -> str:
        """"" = go on; ``W:`` warn, ``E:`` refuse, ``O:<version>`` ask for an upgrade."""
        minimum = self.min_client_version
        if not minimum or _version_tuple(version) >= _version_tuple(minimum):
            return ""
        code = CLIENT_POLICIES[self.client_version_policy]
        if code == "O":
            return f"O:{minimum}"
        return (f"{code}:This QuickBooks Web Connector is version {version}; ledgersync "
                f"needs {minimum} or later. Download the current Web Connector from Intuit.")

    def authenticate(self, username: str, password: str,
                     address: str | None = None) -> list[str]:
        """``address`` is the client's IP address, for the failed-login throttle."""
        decoy = secrets.token_urlsafe(32)  # a ticket that opens nothing, for nvu/none/busy
        keys = login_keys(username, address)
        if not self.login_throttle.allowed(*keys):
            log.warning("Web Connector login refused for user %s from %s: too many failed "
                        "logins; wait %d minutes", loggable(username), address or "?",
                        self.login_throttle.lockout_seconds // 60)
            return [decoy, "nvu"]
        account = self.directory.authenticate(username, password)
        if account is None:
            self.login_throttle.failed(*keys)
            log.warning("Web Connector login refused for user %s from %s", loggable(username),
                        address or "?")
            return [decoy, "nvu"]
        self.login_throttle.succeeded(*keys)
        work = self.companies[account.company.name]
        state = self.sessions.state(work.name)
        with company_mutex(state):
            adopted = []
            active = state.get(ACTIVE)
            if isinstance(active, dict):
                old = self.sessions.load_hash(work.name, str(active.get("ticket")))
                if old is not None:
                    if self.sessions.seconds_since(old.seen) < work.settings.busy_seconds:
                        return [decoy, "busy"]
                    # The old session stopped answering: take its pending work over.
                    adopted = old.queue
                    self.sessions.end(old)
                state.delete(ACTIVE)
            if self._paused(work):
                # Nothing can be claimed until a person resumes the company; say so in the log
                # (the Web Connector shows "none" as "no work").
                log.warning("company %s is paused; its Web Connector was told there is no "
                            "work (see `ledgersync companies`)", work.name)
                return [decoy, "none"]
            lists = self._lists_to_read(work)
            check = drift.due(state, work.settings, self.sessions.now())
            pull = work.queue("probe")
            records = (bool(adopted) or self.sessions.outstanding(work.name) is not None
                       or pull.due() > 0)
            if not (records or lists or check):
                return [decoy, "none"]
            ticket, session = self.sessions.create(work.name)
            session.queue, session.lists, session.drift = adopted, lists, check
            if records:
                # A session that only reads lists leaves no empty run in the sync log.
                work.queue(session.owner).open_run(trigger="web connector")
                session.run_opened = True
            state.put(ACTIVE, {"ticket": session.ticket_hash})
            self.sessions.save(session)
        log.info("Web Connector session opened for company %s", work.name)
        return [ticket, work.settings.company_file]

    def _paused(self, work: CompanyWork) -> bool:
        return any(c.name == work.name and c.paused_reason for c in self.ledger.companies())

    def _lists_to_read(self, work: CompanyWork) -> list[str]:
        # Asked-for reads stay pending until a session has them answered (the recorder
        # consumes them): a session refused later (wrong FileID, no common version) or cut
        # off must not use them up.
        return labels_to_read(self.sessions.state(work.name))

    # -- the work ------------------------------------------------------------------------------

    def _session(self, ticket: str) -> tuple[CompanyWork, Session] | None:
        session = self.sessions.load(ticket)
        if session is None or session.company not in self.companies:
            return None
        return self.companies[session.company], session

    def send_request_xml(self, ticket: str, hcp: str, company_file: str, country: str,
                         major: int, minor: int) -> str:
        found = self._session(ticket)
        if found is None:
            return ""
        work, _ = found
        with company_mutex(self.sessions.state(work.name)):
            session = self.sessions.load(ticket)  # again, under the lock
            if session is None:
                return ""
            try:
                if session.version is None and not self._negotiate(work, session, hcp,
                                                                   company_file, country,
                                                                   major, minor):
                    return ""
                session.rounds += 1
                return next_message_set(work, session)
            finally:
                self.sessions.save(session)

    def _negotiate(self, work: CompanyWork, session: Session, hcp: str, company_file: str,
                   country: str, major: int, minor: int) -> bool:
        state = self.sessions.state(work.name)
        try:
            host = negotiate(hcp, country=country, major=major, minor=minor,
                             maximum=work.settings.max_qbxml_version)
        except NoCommonVersion as exc:
            session.last_error = f"ledgersync: {exc}"
            state.put(LAST_ERROR, {"at": self.sessions.now().isoformat(), "error": str(exc)})
            return False
        expected = state.get(FILE_ID)
        if host.file_id and isinstance(expected, str) and host.file_id.lower() != \
                expected.lower():
            session.last_error = (
                f"ledgersync: the open company file ({company_file or host.company_name}) is "
                f"not the one registered for company {work.name!r} (FileID {host.file_id}, "
                f"expected {expected}). Open the right company file, or add this .qwc again "
                "for this file")
            return False
        session.version, session.country = host.version, host.country
        state.put(HOST, {"version": host.version, "country": host.country,
                         "product": host.product, "company_name": host.company_name,
                         "file": company_file, "at": self.sessions.now().isoformat()})
        return True

    def receive_response_xml(self, ticket: str, response: str, hresult: str,
                             message: str) -> int:
        found = self._session(ticket)
        if found is None:
            return -1
        work, _ = found
        with company_mutex(self.sessions.state(work.name)):
            session = self.sessions.load(ticket)
            if session is None:
                return -1
            try:
                return record_answer(work, session, response, hresult, message)
            finally:
                self.sessions.save(session)

    # -- errors and the end --------------------------------------------------------------------

    def get_last_error(self, ticket: str) -> str:
        found = self._session(ticket)
        if found is None:
            return _UNKNOWN_TICKET
        _, session = found
        # Never "NoOp" or "Interactive mode" by accident: those words steer the Web Connector.
        return session.last_error or "ledgersync: no error recorded for this session"

    def connection_error(self, ticket: str, hresult: str, message: str) -> str:
        found = self._session(ticket)
        if found is not None:
            work, session = found
            text = (f"QuickBooks could not open the company file ({hresult}: {message}). Open "
                    "QuickBooks with the company file on the Web Connector's computer")
            session.last_error = text
            self.sessions.save(session)
            self.sessions.state(work.name).put(
                LAST_ERROR, {"at": self.sessions.now().isoformat(), "error": text})
            log.warning("company %s: %s", work.name, text)
        return "done"  # retrying a file that did not open rarely helps

    def close_connection(self, ticket: str) -> str:
        found = self._session(ticket)
        if found is None:
            return "ledgersync: session closed"
        work, _ = found
        state = self.sessions.state(work.name)
        with company_mutex(state):
            session = self.sessions.load(ticket)
            if session is None:
                return "ledgersync: session closed"
            self._give_back(work, session)
            work.queue(session.owner).finish_run()
            active = state.get(ACTIVE)
            if isinstance(active, dict) and active.get("ticket") == session.ticket_hash:
                state.delete(ACTIVE)
            self.sessions.end(session)
        summary = f"ledgersync: {session.synced} written"
        if session.errors:
            summary += f", {session.errors} need attention (`ledgersync status`)"
        return summary

    def _give_back(self, work: CompanyWork, session: Session) -> None:
        """Items the session still held: a doubtful one stays in doubt, the rest go back."""
        held = work.held(session.queue)
        for entry in session.queue:
            pulled = held.get(entry.item or -1)
            if pulled is None:
                continue
            if entry.stage == "find":
                work.fail(session, pulled, QbdInDoubt("the session ended before the look-up"))
            else:
                work.release(pulled, "the Web Connector session ended")
        session.queue = []

    # -- interactive mode: not used by ledgersync -------------------------------------------

    def get_interactive_url(self, ticket: str, session_id: str) -> str:
        return ""

    def interactive_done(self, ticket: str) -> str:
        return "Done"

    def interactive_rejected(self, ticket: str, reason: str) -> str:
        return "ledgersync does not use interactive mode; nothing to do"
