"""ledgersync: keep an accounting system in step with a membership-management system.

Everything public is importable from here; every other module is internal and may change.
"""

from __future__ import annotations

from ._books import AccountActivity, AccountRole, BooksTransaction
from ._config import CompanyConfig, Config, Limits, load_config, parse_config
from ._connector import (
    Confirmation,
    ConfirmOutcome,
    Connector,
    ConnectorContext,
    ConnectorLimits,
    CustomerMatch,
    ExportRequest,
    ExportResult,
    Operation,
    PullConnector,
    PushConnector,
    StagedItem,
    StagedResult,
)
from ._engine.browse import (
    ItemDetail,
    ItemPage,
    ItemReference,
    MappedValue,
    MappingOverview,
    UnmappedValue,
)
from ._engine.confirm import ConfirmSummary
from ._engine.context import Clock, EngineSettings
from ._engine.filters import ItemFilter
from ._engine.items import ConfirmedItem
from ._engine.pull import PulledItem, PullQueue
from ._engine.queries import (
    CompanyView,
    EventView,
    ItemRef,
    ItemView,
    MessageView,
    RunView,
    SectionView,
)
from ._engine.reconcile import (
    AccountBalance,
    AccountsReport,
    Cause,
    CustomerBalance,
    DifferenceNote,
    Explanation,
    ReconcileReport,
    SignOff,
)
from ._engine.recording import RecordSummary
from ._engine.runs import WorkSummary
from ._engine.statuses import Status
from ._errors import (
    ConfigError,
    ConnectorError,
    ItemNotFoundError,
    LedgerError,
    LedgerSyncError,
    OperatorError,
    PluginError,
    RecordError,
    SchemaOutdatedError,
    TransitionError,
    UnknownConnectorError,
)
from ._hookspecs import hookimpl, hookspec
from ._ledger_api import Ledger, open
from ._login_throttle import LoginThrottle
from ._operators import Operator, OperatorAccounts, OperatorSession
from ._passwords import hash_password, verify_password
from ._plugins import PluginInfo, connector_plugin
from ._records import (
    AccountType,
    Address,
    CreditMemo,
    GLAccount,
    Invoice,
    InvoiceLine,
    Item,
    JournalEntry,
    JournalLine,
    Member,
    Payment,
    PaymentApplication,
    Record,
    Reference,
    Refund,
    TaxRate,
    Terms,
    record_from_json,
    record_to_json,
)
from ._resolution import Action, GoNoGo, Resolution, Vote
from ._secrets import SecretStore
from ._state import StateStore
from ._webmount import CompanyTool, ToolField, ToolResult, WebMount

#: The one version source of the distribution: pyproject.toml reads it (hatch dynamic version).
__version__ = "0.1.0"

__all__ = [
    "AccountActivity",
    "AccountBalance",
    "AccountRole",
    "AccountType",
    "AccountsReport",
    "Action",
    "Address",
    "BooksTransaction",
    "Cause",
    "Clock",
    "CompanyConfig",
    "CompanyTool",
    "CompanyView",
    "Config",
    "ConfigError",
    "ConfirmOutcome",
    "ConfirmSummary",
    "Confirmation",
    "ConfirmedItem",
    "Connector",
    "ConnectorContext",
    "ConnectorError",
    "ConnectorLimits",
    "CreditMemo",
    "CustomerBalance",
    "CustomerMatch",
    "DifferenceNote",
    "EngineSettings",
    "EventView",
    "Explanation",
    "ExportRequest",
    "ExportResult",
    "GLAccount",
    "GoNoGo",
    "Invoice",
    "InvoiceLine",
    "Item",
    "ItemDetail",
    "ItemFilter",
    "ItemNotFoundError",
    "ItemPage",
    "ItemRef",
    "ItemReference",
    "ItemView",
    "JournalEntry",
    "JournalLine",
    "Ledger",
    "LedgerError",
    "LedgerSyncError",
    "Limits",
    "LoginThrottle",
    "MappedValue",
    "MappingOverview",
    "Member",
    "MessageView",
    "Operation",
    "Operator",
    "OperatorAccounts",
    "OperatorError",
    "OperatorSession",
    "Payment",
    "PaymentApplication",
    "PluginError",
    "PluginInfo",
    "PullConnector",
    "PullQueue",
    "PulledItem",
    "PushConnector",
    "ReconcileReport",
    "Record",
    "RecordError",
    "RecordSummary",
    "Reference",
    "Refund",
    "Resolution",
    "RunView",
    "SchemaOutdatedError",
    "SecretStore",
    "SectionView",
    "SignOff",
    "StagedItem",
    "StagedResult",
    "StateStore",
    "Status",
    "TaxRate",
    "Terms",
    "ToolField",
    "ToolResult",
    "TransitionError",
    "UnknownConnectorError",
    "UnmappedValue",
    "Vote",
    "WebMount",
    "WorkSummary",
    "__version__",
    "connector_plugin",
    "hash_password",
    "hookimpl",
    "hookspec",
    "load_config",
    "open",
    "parse_config",
    "record_from_json",
    "record_to_json",
    "verify_password",
]
