"""The connector API: what a plugin implements to carry ledger items into one accounting system.

A connector is a class registered through the ``ledgersync_connectors`` hook. The engine makes
one instance per company and calls it from worker threads or processes; an instance is used by
one worker at a time. See docs/plugin-authoring.md for a complete one-file example.
"""

from __future__ import annotations

import abc
import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal

import attrs
from typing_extensions import TypeVar

from ._books import AccountActivity, BooksTransaction
from ._errors import ConnectorError
from ._resolution import Resolution

if TYPE_CHECKING:
    from ._config import CompanyConfig
    from ._records import Member, Record
    from ._secrets import SecretStore
    from ._state import StateStore


class Operation(enum.StrEnum):
    """What a sync item asks of the remote side."""

    CREATE = "create"
    UPDATE = "update"
    VOID = "void"


@attrs.frozen(kw_only=True)
class ExportRequest:
    """One remote write the engine asks a connector to make.

    ``idempotency_key`` is stable across retries of the same item version: send it as QBO
    ``requestid``, as Intacct ``controlid``, or keep it beside the qbXML request, so that a
    retry replays instead of duplicating. ``references`` maps each (kind, MMS id) the record
    depends on to the remote id it was linked or mapped to; the engine guarantees every
    reference of ``record.references()`` is present before calling ``export``.
    """

    item_id: int
    company: str
    kind: str
    operation: Operation
    record: Record
    idempotency_key: str
    attempt: int
    external_id: str | None = None
    version_token: str | None = None
    references: Mapping[tuple[str, str], str] = attrs.field(factory=dict)
    #: Two-stage connectors: the intermediary's id of this record when an earlier version
    #: was staged (send a modification of it, not a second add).
    intermediary_id: str | None = None
    #: The references that are intermediary ids of staged records, not desktop ids (only for
    #: kinds in the connector's ``staged_references``).
    staged_references: frozenset[tuple[str, str]] = frozenset()

    def ref(self, kind: str, mms_id: str) -> str:
        """The remote id of a referenced record (the engine resolved it before the call)."""
        return self.references[(kind, mms_id)]

    def describe(self) -> str:
        """A short human name of the item, e.g. ``invoice 'INV-1001'``."""
        return f"{self.kind} {self.record.mms_id!r}"


@attrs.frozen(kw_only=True)
class ExportResult:
    """The remote outcome of a successful write (or of a lookup that found the record)."""

    external_id: str
    version_token: str | None = None
    warnings: tuple[str, ...] = ()
    #: Remote requests this item cost (its claim counted one): more for lookups or refreshes,
    #: 0 when it rode in a batch request another item of the batch reports.
    requests_made: int = 1


@attrs.frozen(kw_only=True)
class StagedResult:
    """Stage one of a two-stage write: an intermediary accepted the record and gave its own
    id; the accounting system has not confirmed it yet (see :meth:`PushConnector.confirm`)."""

    intermediary_id: str
    version_token: str | None = None
    warnings: tuple[str, ...] = ()
    requests_made: int = 1


class ConfirmOutcome(enum.StrEnum):
    """What the accounting system made of a staged record."""

    STAGED = "staged"  # still waiting (optionally with a message, e.g. a stalled write-back)
    SYNCED = "synced"  # confirmed; ``external_id`` is the accounting system's id
    REJECTED = "rejected"  # refused: a person changes the data
    CONFLICT = "conflict"  # fix it in the intermediary, then requeue
    ORPHANED = "orphaned"  # it was confirmed once and is gone now (a restore from backup)


@attrs.frozen(kw_only=True)
class StagedItem:
    """A staged (or confirmed) record whose outcome the engine asks a connector about."""

    item_id: int
    kind: str
    mms_id: str
    operation: Operation
    intermediary_id: str
    idempotency_key: str
    staged_at: dt.datetime | None


@attrs.frozen(kw_only=True)
class Confirmation:
    """The accounting system's answer about one staged record, keyed by intermediary id.

    A connector may also report records it was not asked about (an errored-objects query
    finds orphans among confirmed records): the engine applies every answer whose
    intermediary id belongs to a staged or confirmed item of the company.
    """

    intermediary_id: str
    outcome: ConfirmOutcome
    external_id: str | None = None
    version_token: str | None = None
    code: str | None = None
    message: str | None = None
    remedy: str | None = None


@attrs.frozen(kw_only=True)
class CustomerMatch:
    """An existing remote customer a member was matched to, and how it was matched."""

    external_id: str
    display_name: str
    matched_by: str


@attrs.frozen(kw_only=True)
class ConnectorLimits:
    """A remote system's limits per company: requests at once and requests per minute."""

    max_in_flight: int
    requests_per_minute: int | None


@attrs.frozen(kw_only=True)
class ConnectorContext:
    """What the host lends a connector: the company's encrypted secrets, its state in the
    ledger (shared by every worker; with ``state.exclusive(name)`` locks), and the clock."""

    secrets: SecretStore
    state: StateStore
    now: Any = attrs.field(default=None)

    def utcnow(self) -> dt.datetime:
        if self.now is not None:
            result: dt.datetime = self.now()
            return result
        return dt.datetime.now(dt.UTC)


#: The connector's settings type; a bare ``Connector`` means settings of any type.
SettingsT = TypeVar("SettingsT", default=Any)


class Connector(abc.ABC, Generic[SettingsT]):
    """What every connector shares; subclass :class:`PushConnector` or :class:`PullConnector`.

    Class attributes describe the connector to the host; ``settings_type`` is an attrs class
    built from the company's ``[companies.NAME.<connector name>]`` table (``env:NAME`` secrets
    resolved), so `ledgersync config check` can name every missing or wrong key. The instance's
    ``settings`` are of that type: write ``class MyConnector(PushConnector[MySettings])``.
    """

    name: ClassVar[str]
    display_name: ClassVar[str]
    supported_kinds: ClassVar[frozenset[str]]
    settings_type: ClassVar[type[Any]]
    default_schedule_minutes: ClassVar[int] = 60
    default_limits: ClassVar[ConnectorLimits] = ConnectorLimits(
        max_in_flight=4, requests_per_minute=None
    )
    #: "push" or "pull": set by :class:`PushConnector` and :class:`PullConnector`.
    mode: ClassVar[Literal["push", "pull"]]
    #: Two-stage push connectors (an intermediary first, then the accounting system): True
    #: when :meth:`PushConnector.export` may return a :class:`StagedResult`; the engine then
    #: polls :meth:`PushConnector.confirm` (bounded per run, with back-off per company).
    two_stage: ClassVar[bool] = False
    #: Kinds whose staged records dependents may reference by intermediary id before the
    #: accounting system confirms them; other dependents wait for the confirmed id.
    staged_references: ClassVar[frozenset[str]] = frozenset()
    #: True when the books have no items of their own and a mapped MMS item is the account
    #: its lines post to (Sage Intacct): `ledgersync reconcile --accounts` then posts an item
    #: line to the item's mapping instead of the item's MMS income account.
    items_are_accounts: ClassVar[bool] = False

    def __init__(
        self, company: CompanyConfig, settings: SettingsT, context: ConnectorContext
    ) -> None:
        self.company = company
        self.settings: SettingsT = settings
        self.context = context

    @classmethod
    def batch_size_for(cls, settings: SettingsT) -> int:
        """Items one remote request may carry for a company with these settings (1 unless the
        connector batches). Read from the settings, without building an instance."""
        return 1

    @abc.abstractmethod
    def classify_error(self, error: Exception, request: ExportRequest) -> Resolution:
        """Turn a native failure into a :class:`Resolution` with plain-words message/remedy."""

    def map_customer(self, member: Member) -> CustomerMatch | None:
        """Find an existing remote customer for ``member``; None means create one.

        Match by stored link first (the engine does that), then by a configurable rule such as
        account number, email or display name. Never guess between two candidates: raise a
        ConnectorError with a remedy naming them instead.
        """
        return None

    def refresh_auth(self) -> None:
        """Refresh expired credentials (e.g. an OAuth access token)."""
        raise ConnectorError(
            f"connector {self.name!r} has no credentials to refresh",
            remedy="Check the company's connector settings",
            sent=False,
        )

    def check(self) -> str:
        """Verify that the company can be reached; return a one-line description."""
        return f"{self.display_name}: configured"

    def setup_problems(self) -> list[str]:
        """What keeps the company from syncing that can be found without calling the remote
        system (e.g. no password stored yet), each as ``key.path: what is wrong (what to
        do)``; `ledgersync config check` lists them. None by default."""
        return []

    def attention(self) -> Sequence[tuple[str, str]]:
        """Problems of the company outside any one item, shown by `ledgersync status`: pairs of
        (what happened, what to do). Read only local state: status must not call out."""
        return ()

    def customer_balances(self, as_of: dt.date | None = None) -> Mapping[str, Decimal]:
        """Accounts-receivable balance per remote customer id, for `ledgersync reconcile`."""
        raise ConnectorError(
            f"connector {self.name!r} cannot report customer balances",
            remedy="Reconcile this company by hand or use a connector that supports it",
            sent=False,
        )

    def books_transactions(self, as_of: dt.date | None = None) -> Sequence[BooksTransaction]:
        """Every transaction in the books dated on or before ``as_of`` (None: all of them,
        future-dated ones too, as the ledger side counts every document) that moves a
        customer's receivable, voided ones included (``voided=True``), for `ledgersync
        reconcile`. The engine sums them per customer and compares each with the ledger's
        item linked to its ``remote_id``, so it can say which were edited or deleted in the
        books, entered by hand, or applied to another invoice. Read only; retry reads.

        A connector that cannot list them leaves this unimplemented: the engine falls back to
        :meth:`customer_balances` and explains differences from the ledger side alone.
        """
        raise ConnectorError(
            f"connector {self.name!r} cannot list the books' receivable transactions",
            remedy="Reconcile with the customer balances only, or compare the books' A/R "
                   "report by hand", sent=False,
        )

    def account_activity(
        self, start: dt.date | None, end: dt.date
    ) -> Sequence[AccountActivity]:
        """Debits and credits per account of the books for transactions dated from ``start``
        (None: since the beginning, i.e. balances as of ``end``) to ``end`` inclusive, for
        `ledgersync reconcile --accounts`: at least the accounts ledgersync posts to (income,
        tax payable, undeposited funds, receivable and any account a record names), each
        with its :class:`AccountRole` when it is one of the implicit ones."""
        raise ConnectorError(
            f"connector {self.name!r} cannot report account activity",
            remedy="Compare the books' trial balance with `ledgersync reconcile --accounts "
                   "--json` by hand", sent=False,
        )

    def close(self) -> None:
        """Release connections; called when the engine is done with the instance."""


class PushConnector(Connector[SettingsT]):
    """A connector the engine calls: workers claim the company's items and call
    :meth:`export` (or :meth:`export_batch`) for each, :meth:`lookup` after a doubt."""

    mode: ClassVar[Literal["push", "pull"]] = "push"
    #: Items one :meth:`export_batch` call may carry; 1 means the connector does not batch.
    #: For a batching connector, ``max_in_flight`` counts requests (of up to this many items).
    #: A company may choose fewer: override :meth:`batch_size_for` to read its settings.
    batch_size: ClassVar[int] = 1

    @classmethod
    def batch_size_for(cls, settings: SettingsT) -> int:
        return cls.batch_size

    @abc.abstractmethod
    def export(self, request: ExportRequest) -> ExportResult | StagedResult:
        """Make the remote write; raise an exception (ideally ConnectorError) on failure."""

    def export_batch(
        self, requests: Sequence[ExportRequest]
    ) -> Sequence[ExportResult | StagedResult | Exception]:
        """Export several items in one remote call (e.g. QuickBooks Online's batch endpoint).

        Called instead of :meth:`export` when the company's batch size is above 1, with at most
        that many requests that passed their dependency checks and need no lookup. Return one
        entry per request, in order: its result, or the exception that failed it (classified
        one by one with :meth:`classify_error`). An exception raised by the call itself fails
        them all. Derive the remote idempotency key of the batch from its requests' keys, so a
        retry of the same items replays. Each item's answer then passes through the
        ``ledgersync_export`` hook's wrappers like a single export's (see the hookspec).
        """
        results: list[ExportResult | StagedResult | Exception] = []
        for request in requests:
            try:
                results.append(self.export(request))
            except Exception as exc:  # noqa: BLE001 - reported per request, as documented
                results.append(exc)
        return results

    @abc.abstractmethod
    def lookup(self, request: ExportRequest) -> ExportResult | StagedResult | None:
        """Find the record a previous attempt may have written (after a crash or a timeout).

        Look it up by the idempotency key (replaying it where the remote supports replay) or by
        a reference stored on the remote record (DocNumber, RefNumber, REFERENCENO). For an
        update or a void, answer only if the remote holds that change (QuickBooks Online's
        connector compares what it reads back); the engine otherwise sends it again. Return
        None only when the remote certainly does not have it.
        """

    def current_version(self, request: ExportRequest) -> str | None:
        """The version token the remote holds now for the record an update or void changes,
        asked after the remote refused the request's token as stale (``Action.REREAD``): the
        engine retries at once with it. None when unknown: the item then waits and retries.

        The default asks :meth:`lookup`, which suits a lookup that answers with the record as
        it is. Override it when :meth:`lookup` answers only for the very change (as it should
        for an update or void), or when the export re-reads a stale token itself.
        """
        found = self.lookup(request)
        return found.version_token if isinstance(found, ExportResult) else None

    def confirm(self, items: Sequence[StagedItem]) -> Sequence[Confirmation]:
        """Ask the accounting system what became of staged records (two-stage connectors).

        Called by the engine on schedule with at most a bounded number of staged items (the
        oldest first). Return an answer for each item whose state is known, plus any other
        record of the company whose state changed (an orphan); leave out what is unknown.
        """
        raise ConnectorError(
            f"connector {self.name!r} does not stage records",
            remedy="Only two-stage connectors are asked for confirmations", sent=False,
        )


class PullConnector(Connector[SettingsT]):
    """A connector the remote side calls for work (QuickBooks Desktop's Web Connector).

    Workers never claim its items and schedules do not open its runs: the connector's own
    endpoint takes work through :meth:`ledgersync.Ledger.pull` (claim, send, then report each
    answer with ``succeed``/``fail``; looking a record up after a doubt is part of its own
    exchange with the remote). The engine still calls :meth:`classify_error` for failures and
    ``map_customer`` (through the hook) for new members before they are handed out.
    """

    mode: ClassVar[Literal["push", "pull"]] = "pull"
