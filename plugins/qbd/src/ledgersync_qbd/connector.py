"""The QuickBooks Desktop connector as the engine sees it: a pull-mode connector.

QuickBooks Desktop cannot be called: the Web Connector on the bookkeeper's computer calls our
SOAP endpoint (:mod:`ledgersync_qbd.qbwc`), which takes the company's work from
``Ledger.pull``: a :class:`~ledgersync.PullConnector`, with no ``export`` or ``lookup`` for
workers to call. What the engine does use is :meth:`classify_error` (through ``PullQueue.fail``)
and :meth:`map_customer` (new members matched against the customer list read from QuickBooks,
when the core claims them for a message set).

This module stays light: it is imported whenever `ledgersync` lists its plugins.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from ledgersync import (
    AccountActivity,
    AccountRole,
    BooksTransaction,
    ConnectorError,
    ConnectorLimits,
    CustomerMatch,
    ExportRequest,
    Member,
    PullConnector,
    Resolution,
)

from .errors import QbdValidationError, classify
from .qbwc import reads
from .qbxml.customers import customer_name
from .qbxml.lists import WRITTEN_AT, list_problems, request_refresh
from .qbxml.writes import SUPPORTED_KINDS
from .settings import QbdSettings

CUSTOMER_LIST = "qbwc:list:customers"


class QbdConnector(PullConnector[QbdSettings]):
    name: ClassVar[str] = "qbd"
    display_name: ClassVar[str] = "QuickBooks Desktop (Web Connector)"
    supported_kinds: ClassVar[frozenset[str]] = SUPPORTED_KINDS
    settings_type: ClassVar[type[QbdSettings]] = QbdSettings
    # The Web Connector polls on its own schedule.
    default_schedule_minutes: ClassVar[int] = 60
    # A message set holds many requests at once; QuickBooks has no rate limit to respect.
    default_limits: ClassVar[ConnectorLimits] = ConnectorLimits(max_in_flight=2000,
                                                                requests_per_minute=None)

    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        return classify(error, request)

    def map_customer(self, member: Member) -> CustomerMatch | None:
        """Match a new member to a customer of the last customer-list read (no remote call)."""
        rule = self.settings.match_customers_by
        cached = self.context.state.get(CUSTOMER_LIST)
        if rule == "none" or not isinstance(cached, dict):
            return None
        rows: list[dict[str, Any]] = cached.get("rows", [])
        if rule == "account_number":
            if not member.account_number:
                return None
            key, wanted = "account_number", member.account_number
        else:
            key, wanted = "name", customer_name(member, self.settings.customer_name)
        # Customers ledgersync wrote carry our ExternalGUID: they belong to other members.
        candidates = [r for r in rows if not r.get("external_guid")
                      and str(r.get(key) or "").casefold() == wanted.casefold()]
        if len(candidates) > 1:
            names = ", ".join(repr(r["name"]) for r in candidates[:5])
            raise QbdValidationError(
                f"member {member.mms_id!r} matches several QuickBooks customers by {key} "
                f"({names})",
                remedy="Link the right one with `ledgersync map customer MEMBER 'Name'` "
                "(ledgersync never guesses between two)")
        if not candidates:
            return None
        found = candidates[0]
        return CustomerMatch(external_id=str(found["list_id"]), display_name=str(found["name"]),
                             matched_by=key.replace("_", " "))

    def customer_balances(self, as_of: dt.date | None = None) -> Mapping[str, Decimal]:
        """Balance per customer ListID. Today's from the last customer-list read
        (``TotalBalance``: QuickBooks' open balance including jobs; jobs themselves are left
        out); as of a past date, the sum of the receivable transactions a Web Connector update
        read, dated up to then (see :meth:`books_transactions`).

        QuickBooks Desktop is read only during a Web Connector session, so when the read is
        missing or older than the last write to QuickBooks, a fresh read is asked of the next
        update and the reconciliation is refused until it has run. While a transactions read
        `ledgersync reconcile` asked for is pending, that read is what the refusal names: the
        engine falls back to balances only when the transactions cannot be listed, and here
        they can, after the next update.
        """
        if as_of is not None or reads.TRANSACTIONS in reads.pending_reads(self.context.state):
            totals: dict[str, Decimal] = {}
            for txn in self.books_transactions(as_of):
                if not txn.voided:
                    totals[txn.customer_id] = totals.get(txn.customer_id, Decimal(0)) \
                        + txn.receivable
            return totals
        state = self.context.state
        cached = state.get(CUSTOMER_LIST)
        rows: list[dict[str, Any]] = cached.get("rows", []) if isinstance(cached, dict) else []
        problem = self._balance_problem(cached, rows, state.get(WRITTEN_AT))
        if problem is not None:
            request_refresh(state, ["customers"])
            raise ConnectorError(
                f"company {self.company.name!r}: {problem}", sent=False,
                remedy="The next Web Connector update reads them (ledgersync asked for it): "
                "run it with Update Selected in the Web Connector, or wait for its schedule, "
                "then reconcile again")
        balances: dict[str, Decimal] = {}
        for found in rows:
            if found.get("sublevel", 0) or not found.get("list_id"):
                continue
            try:
                balances[str(found["list_id"])] = Decimal(str(found["balance"]))
            except (KeyError, InvalidOperation):
                continue  # _balance_problem made sure balances were read
        return balances

    def books_transactions(self, as_of: dt.date | None = None) -> Sequence[BooksTransaction]:
        """Every receivable transaction in QuickBooks dated on or before ``as_of`` (None:
        every date), from the transaction queries a Web Connector update ran (see
        :mod:`ledgersync_qbd.qbwc.reads`; one read of every date answers any date). ``remote_id`` is
        the TxnID ledgersync linked; a voided one (zero amounts, a ``VOID:`` memo) comes with
        ``voided=True``.

        When that read is missing, failed, or is older than the last write to QuickBooks, the
        next update is asked for it and reconciliation is refused until it has run.
        """
        rows = self._read(reads.TRANSACTIONS)
        found = [BooksTransaction(
            remote_id=str(r["remote_id"]), kind=str(r["kind"]),
            customer_id=str(r["customer_id"]), date=dt.date.fromisoformat(str(r["date"])),
            receivable=Decimal(str(r["receivable"])), tax=Decimal(str(r["tax"])),
            applied_to=tuple(str(t) for t in r.get("applied_to", ())),
            number=r.get("number"), voided=bool(r.get("voided")),
        ) for r in rows]
        return [t for t in found if as_of is None or t.date <= as_of]

    def account_activity(self, start: dt.date | None, end: dt.date
                         ) -> Sequence[AccountActivity]:
        """Debit and credit per QuickBooks account for ``start``..``end`` from the Trial
        Balance a Web Connector update read (two reports when there is a start: balance-sheet
        accounts are the difference of the balances before and at the end). ``account_id`` is
        the account's full name, which is how accounts are mapped (`ledgersync map
        gl_account`); the role comes from the account's type (Accounts Receivable) or
        QuickBooks' special account type (Undeposited Funds, Sales Tax Payable)."""
        if start is not None and start > end:
            raise ConnectorError(
                f"company {self.company.name!r}: the period starts on {start} after it ends on "
                f"{end}", sent=False, remedy="Give a start date on or before the end date")
        rows = self._read(reads.activity_key(start, end))
        return [AccountActivity(
            account_id=str(r["account_id"]), name=str(r["name"]),
            debit=Decimal(str(r["debit"])), credit=Decimal(str(r["credit"])),
            role=AccountRole(r["role"]) if r.get("role") else None,
        ) for r in rows]

    def _read(self, key: str) -> list[dict[str, Any]]:
        """The rows of a fresh read ``key``; otherwise ask the next update for it and refuse."""
        state = self.context.state
        rows, problem = reads.fresh_rows(state, key)
        if rows is None:
            reads.request(state, key)
            raise ConnectorError(
                f"company {self.company.name!r}: {problem}", sent=False,
                remedy="The next Web Connector update reads it (ledgersync asked for it): "
                "run it with Update Selected in the Web Connector, or wait for its schedule, "
                "then reconcile again")
        return rows

    @staticmethod
    def _balance_problem(cached: Any, rows: list[dict[str, Any]], written: Any) -> str | None:
        if not isinstance(cached, dict) or not cached.get("read_at"):
            return "QuickBooks' customer balances have not been read yet"
        if cached.get("error"):
            return f"the last read of QuickBooks' customer list failed ({cached['error']})"
        if any("balance" not in found for found in rows):
            return "the last customer-list read has no balances (read by an older ledgersync)"
        if isinstance(written, str) and dt.datetime.fromisoformat(written) > \
                dt.datetime.fromisoformat(str(cached["read_at"])):
            return (f"QuickBooks' customer balances were read at {cached['read_at']}, before "
                    f"the last update wrote to QuickBooks ({written})")
        return None

    def setup_problems(self) -> list[str]:
        from .qbwc.auth import SECRET_NAME

        if self.settings.password or self.context.secrets.get(SECRET_NAME) is not None:
            return []
        name = self.company.name
        return [f"companies.{name}.qbd: no Web Connector password, so every login of "
                f"{self.settings.username!r} is refused (set one with `ledgersync qbd "
                f"set-password {name}`, or password = \"env:NAME\" here)"]

    def attention(self) -> list[tuple[str, str]]:
        """Lists QuickBooks refused to read, and records changed or deleted in QuickBooks
        after sync (drift), shown by `ledgersync status`."""
        from .qbwc.drift import problems

        return list_problems(self.context.state) + problems(self.context.state)

    def check(self) -> str:
        host: Mapping[str, Any] | None = self.context.state.get("qbwc:host")
        seen = (f"; last session with {host.get('product') or 'QuickBooks'} "
                f"({host.get('company_name') or 'company file'}), qbXML {host.get('version')}"
                if isinstance(host, dict) else "; no Web Connector session yet")
        return f"{self.display_name}: user {self.settings.username!r}{seen}"
