"""QuickBooks Desktop in `ledgersync demo`: the real Web Connector endpoint over loopback.

What runs is what runs in production, minus the Windows machine: the SOAP endpoint of
`ledgersync serve` (:class:`~ledgersync_qbd.qbwc.app.QbwcApp` under uvicorn, in a thread, on a
free loopback port) over the demo's own ledger, and a simulated Web Connector
(:class:`~ledgersync_qbd.sandbox.webconnector.SimulatedWebConnector`, zeep over HTTP) that runs
updates against a simulated company file (:class:`~ledgersync_qbd.sandbox.CompanyFile`). The
bookkeeper's moves (an item made inactive, a customer deleted) are the qbXML changes QuickBooks
itself makes for them, with QuickBooks' rules (a customer can be deleted only while it has no
transactions).

The Web Connector password is given as ``env:`` (see :meth:`QbdDemoSandbox.notes`): a stored
hash needs ``LEDGERSYNC_SECRET_KEY``, which a fresh machine does not have.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ledgersync import ConnectorError, ItemFilter, ItemRef, Ledger, LedgerSyncError, PulledItem
from ledgersync.demo import DemoSandbox

from .extras import SANDBOX_EXTRA, SANDBOX_MODULES
from .testing import CLUB_MAPPINGS, prepare_company_file

if TYPE_CHECKING:
    from .sandbox import CompanyFile
    from .sandbox.webconnector import SimulatedWebConnector
    from .server import ServerThread

#: The Web Connector user of the demo company, and where its password comes from.
USERNAME = "demo-qbwc"
PASSWORD_ENV = "LEDGERSYNC_DEMO_QBWC_PASSWORD"
COMPANY_NAME = "Harbor Marina Club"
#: Requests per message set (per sendRequestXML round trip). The connector's default (25)
#: keeps each answer small for a real QuickBooks on a bookkeeper's PC; the simulated company
#: file answers a year of a club's books in a few round trips at this size.
MESSAGE_SET_SIZE = 100
#: Updates one sync may take before the demo says something is wrong.
MAX_UPDATES = 50
_QBXML = ('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n<QBXML>'
          '<QBXMLMsgsRq onError="stopOnError">{}</QBXMLMsgsRq></QBXML>')


class _Deferred:
    """An ASGI app that answers 503 until the real one is plugged in (the server starts with
    the sandbox; the endpoint needs the demo's ledger, which is opened later)."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.app is not None:
            await self.app(scope, receive, send)
        elif scope["type"] == "http":
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
            await send({"type": "http.response.body",
                        "body": b"the demo has not opened its ledger yet\n"})


class QbdDemoSandbox(DemoSandbox):
    connector: ClassVar[str] = "qbd"
    title: ClassVar[str] = "QuickBooks Desktop (sandbox)"
    extra: ClassVar[str | None] = SANDBOX_EXTRA
    extra_modules: ClassVar[tuple[str, ...]] = SANDBOX_MODULES

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.password = secrets.token_urlsafe(12)
        self.company_file: CompanyFile | None = None
        self._front = _Deferred()
        self._server: ServerThread | None = None
        self._web_connector: SimulatedWebConnector | None = None
        self._tell: Callable[[PulledItem, str], None] | None = None
        self._saved_env: str | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        from .sandbox import CompanyFile
        from .server import ServerThread

        self._saved_env = os.environ.get(PASSWORD_ENV)
        os.environ[PASSWORD_ENV] = self.password
        self.company_file = CompanyFile(edition="US", company_name=COMPANY_NAME)
        prepare_company_file(self.company_file)
        self._server = ServerThread(self._front).start()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"{self._server.url}/qbwc"

    def company_table(self) -> dict[str, Any]:
        return {"connector": "qbd", "schedule": "1h",
                "qbd": {"username": USERNAME, "password": f"env:{PASSWORD_ENV}",
                        "message_set_size": MESSAGE_SET_SIZE}}

    def notes(self) -> list[str]:
        return [
            f"a simulated company file ({COMPANY_NAME}, US edition) and a simulated Web "
            f"Connector calling the real endpoint of `ledgersync serve` at {self.url} (SOAP "
            "over HTTP, zeep)",
            f"Web Connector user {USERNAME!r}, password from env:{PASSWORD_ENV} (set for this "
            f"run only; to serve this folder later: export {PASSWORD_ENV}={self.password}). "
            "A real company keeps only a hash: `ledgersync qbd set-password COMPANY`",
            f"{MESSAGE_SET_SIZE} requests per message set (the connector's default is 25, "
            "kind to a real QuickBooks); each sync ends with the update that runs the reads "
            "`ledgersync reconcile` asks for (QuickBooks Desktop answers only during an "
            "update): the receivable transactions and the year's trial balance",
        ]

    def prepare(self, ledger: Ledger, company: str) -> None:
        from .qbwc.app import QbwcApp
        from .sandbox.webconnector import SimulatedWebConnector

        for (kind, mms_id), remote in CLUB_MAPPINGS.items():
            ledger.map(company, kind, mms_id, remote, actor="demo")
        self._front.app = QbwcApp(ledger, on_item=self._dispatch)
        assert self.company_file is not None
        self._web_connector = SimulatedWebConnector(self.url, USERNAME, self.password,
                                                    self.company_file)

    def close(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._saved_env is None:
            os.environ.pop(PASSWORD_ENV, None)
        else:
            os.environ[PASSWORD_ENV] = self._saved_env

    # -- syncing --------------------------------------------------------------------------

    def _dispatch(self, pulled: PulledItem, status: str) -> None:
        # Called in the server's worker thread for every item a session records.
        tell = self._tell
        if tell is not None:
            tell(pulled, status)

    def sync(self, ledger: Ledger, company: str,
             on_item: Callable[[ItemRef, str], None]) -> int:
        """Web Connector updates until the server has nothing to do (each update works
        until its queue is empty), then one more that runs the reads reconciliation asks for.
        """
        processed = 0

        def tell(pulled: PulledItem, status: str) -> None:
            nonlocal processed
            processed += 1
            on_item(pulled.ref, status)

        self._tell = tell
        try:
            self._until_idle()
            if self._ask_for_reads(ledger, company):
                self._until_idle()
        finally:
            self._tell = None
        return processed

    @staticmethod
    def _ask_for_reads(ledger: Ledger, company: str) -> bool:
        """What an operator sees: `ledgersync reconcile` asks the next update for QuickBooks'
        receivable transactions (every date), and with --accounts for the trial balance of
        the period and the transactions up to its end, when what was read is older than the
        last write; it refuses until that update has run. The demo reconciles its accounts
        over the calendar year of its documents. True when a read was asked for."""
        connector = ledger.connector(company)
        years = {item.document_date.year for item in ledger.items(
            ItemFilter(company=company), limit=None) if item.document_date is not None}
        reads: list[Callable[[], object]] = [connector.books_transactions]
        if years:
            first, last = dt.date(max(years), 1, 1), dt.date(max(years), 12, 31)
            reads += [lambda: connector.account_activity(first, last),
                      lambda: connector.books_transactions(last)]
        asked = False
        for read in reads:
            try:
                read()
            except ConnectorError:
                asked = True
        return asked

    def _until_idle(self) -> None:
        assert self._web_connector is not None, "prepare() first"
        for _ in range(MAX_UPDATES):
            report = self._web_connector.run_update()
            if report.outcome == "none":
                return
            if report.outcome != "done":
                raise LedgerSyncError(
                    f"the simulated Web Connector's update ended with {report.outcome!r}: "
                    + "; ".join(report.log[-3:]),
                    remedy="Look at `ledgersync status` and `ledgersync log` in the demo folder")
        raise LedgerSyncError(f"the Web Connector still had work after {MAX_UPDATES} updates",
                              remedy="Look at `ledgersync status` in the demo folder")

    # -- the bookkeeper in QuickBooks -----------------------------------------------------

    def _process(self, request: str) -> Any:
        """Run one request in the company file; its ``*Rs`` (raises if QuickBooks refused)."""
        from .sandbox.xml import parse_xml

        assert self.company_file is not None
        answer = parse_xml(self.company_file.process(_QBXML.format(request)))
        rs = next(iter(answer.find("QBXMLMsgsRs") or []))
        if rs.get("statusCode") != "0":
            raise LedgerSyncError(f"QuickBooks refused it: {rs.get('statusCode')} "
                                  f"{rs.get('statusMessage')}")
        return rs

    def _set_item_active(self, item_id: str, active: bool) -> str:
        from .sandbox.lists import ITEM_TYPES

        assert self.company_file is not None
        name = CLUB_MAPPINGS[("item", item_id)]
        item = self.company_file.store.find_list(ITEM_TYPES, full_name=name)
        if item is None:
            raise LedgerSyncError(f"the company file has no item {name!r}")
        kind = item.list_type
        self._process(f"<{kind}ModRq><{kind}Mod><ListID>{item.list_id}</ListID><EditSequence>"
                      f"{item.edit_sequence}</EditSequence><IsActive>"
                      f"{'true' if active else 'false'}</IsActive></{kind}Mod></{kind}ModRq>")
        return name

    def deactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        name = self._set_item_active(item_id, False)
        return (f"{self.title}: the bookkeeper made item {name!r} (MMS {item_id}) inactive "
                "(Item List > Make Item Inactive)")

    def reactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        name = self._set_item_active(item_id, True)
        return (f"{self.title}: item {name!r} made active again (Item List > Include inactive "
                "> clear its X), as the remedy says")

    def _customer_of(self, ledger: Ledger, company: str, member_id: str) -> str:
        for item in ledger.items(ItemFilter(company=company, kind="member", mms_id=member_id),
                                 limit=None):
            if item.external_id:
                return item.external_id
        raise LedgerSyncError(f"member {member_id} has no customer in QuickBooks yet")

    def delete_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        list_id = self._customer_of(ledger, company, member_id)
        rs = self._process(f"<ListDelRq><ListDelType>Customer</ListDelType><ListID>{list_id}"
                           "</ListID></ListDelRq>")
        name = rs.findtext("FullName") or list_id
        return (f"{self.title}: the bookkeeper deleted customer {name!r} ({list_id}); "
                "QuickBooks allows it while a customer has no transactions")

    def fix_deleted_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        ledger.unlink(ItemFilter(company=company, kind="member", mms_id=member_id),
                      actor="demo")
        ledger.requeue(ItemFilter(company=company, member=member_id), actor="demo")
        return (f"`ledgersync unlink --company {company} --kind member --mms-id {member_id}` "
                "(the next update creates the customer again), then `ledgersync requeue "
                f"--company {company} --member {member_id}`")
