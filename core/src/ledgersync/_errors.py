"""The one exception hierarchy of ledgersync.

Every error a user or an embedder can see derives from :class:`LedgerSyncError` and says what
happened, to which record, and what to do next (``remedy``)::

    LedgerSyncError
    ├── ConfigError                  the config file is wrong (each problem with its key path)
    ├── PluginError                  a plugin failed to load or declares something invalid
    │   └── UnknownConnectorError    a company names a connector that is not installed
    ├── RecordError                  a record was refused at the door (record id and field)
    ├── LedgerError                  the ledger database cannot be used as it is
    │   ├── SecretKeyError           LEDGERSYNC_SECRET_KEY is missing or cannot read the
    │   │                            stored secrets (also a ConfigError)
    │   ├── SchemaOutdatedError      the database needs `ledgersync db upgrade`
    │   └── ItemNotFoundError        no sync item matches the id or filter given
    ├── TransitionError              a status change that the state machine forbids
    ├── OperatorError                an operator account cannot be added, found or used
    └── ConnectorError               a remote system refused or failed a call (native code kept)
"""

from __future__ import annotations

from collections.abc import Sequence


class LedgerSyncError(Exception):
    """Base of every ledgersync error: a message, and a remedy in plain words when there is one."""

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def __str__(self) -> str:
        if self.remedy:
            return f"{self.message}. {self.remedy}"
        return self.message


class ConfigError(LedgerSyncError):
    """The configuration has problems; ``problems`` lists each as ``key.path: what is wrong``."""

    def __init__(self, problems: Sequence[str], *, source: str = "config") -> None:
        self.problems = list(problems)
        lines = "; ".join(self.problems)
        super().__init__(
            f"{source} has {len(self.problems)} problem(s): {lines}",
            remedy="Fix the keys named above, then run `ledgersync config check`",
        )


class PluginError(LedgerSyncError):
    """A plugin could not be loaded or declares something invalid."""


class UnknownConnectorError(PluginError):
    """A company refers to a connector name that no installed plugin provides."""

    def __init__(self, name: str, installed: Sequence[str], *, company: str | None = None) -> None:
        self.name = name
        self.installed = sorted(installed)
        where = f"company {company!r} uses " if company else ""
        available = ", ".join(self.installed) or "none"
        super().__init__(
            f"{where}unknown connector {name!r} (installed: {available})",
            remedy="Install the connector's distribution or correct the name",
        )


class RecordError(LedgerSyncError):
    """A record was refused: it names the record (kind and MMS id) and the field at fault."""

    def __init__(self, kind: str, mms_id: str | None, field: str, problem: str) -> None:
        self.kind = kind
        self.mms_id = mms_id
        self.field = field
        self.problem = problem
        who = f"{kind} {mms_id!r}" if mms_id else kind
        super().__init__(
            f"{who}: {field}: {problem}",
            remedy="Correct the record in the MMS and record it again",
        )


class LedgerError(LedgerSyncError):
    """The ledger database cannot be used as it is."""


class SecretKeyError(ConfigError, LedgerError):
    """``LEDGERSYNC_SECRET_KEY`` is missing or cannot read the stored secrets."""

    def __init__(self, problem: str, *, remedy: str | None = None) -> None:
        super().__init__([problem], source="the environment")
        self.message = problem
        self.remedy = remedy or (
            "Set LEDGERSYNC_SECRET_KEY to the key the secrets were stored with (several "
            "keys: comma-separated, newest first); nothing was synced or changed"
        )


class SchemaOutdatedError(LedgerError):
    """The database was made by an older ledgersync and needs migrating."""

    def __init__(self, url: str, current: str | None, head: str) -> None:
        self.current = current
        self.head = head
        super().__init__(
            f"the ledger at {url} is at schema revision {current or 'none'}, "
            f"this ledgersync needs {head}",
            remedy="Run `ledgersync db upgrade` (back the database up first)",
        )


class ItemNotFoundError(LedgerError):
    """No sync item matches what was asked for."""


class TransitionError(LedgerSyncError):
    """A status change the state machine forbids, e.g. approving an item that is already synced."""

    def __init__(self, item: str, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(
            f"{item}: cannot go from {current} to {target}",
            remedy="Check the item with `ledgersync status`; only the listed transitions apply",
        )


class OperatorError(LedgerSyncError):
    """An operator account (a person using the Accounting Sync page) cannot be added, found or
    used: an unknown role, a name taken, a password too short."""


class ConnectorError(LedgerSyncError):
    """A remote accounting system refused or failed a call.

    ``code`` keeps the native error code (a QBO Fault code, a qbXML statusCode, an Intacct
    errorno) so the connector can classify it into a resolution.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        remedy: str | None = None,
        retry_after: float | None = None,
        sent: bool = True,
    ) -> None:
        super().__init__(message, remedy=remedy)
        self.code = code
        self.retry_after = retry_after
        # False when the request provably never left this machine (so no doubt about the outcome).
        self.sent = sent
