"""The public surface: exactly ``ledgersync.__all__``, and every hook documented as reference."""

from __future__ import annotations
import __future__

import ast
import importlib
import inspect
import re
import textwrap
import types

import pytest

import ledgersync
from ledgersync import _hookspecs

EXPECTED_ALL = [
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

#: Public subpackages: importable as ``ledgersync.cli`` / ``ledgersync.testing``, not re-exported.
# fakebooks: the stand-in books (the `fake` entry point, the demo), importable without pytest.
# http: the total request deadline HTTP connectors send through (send_within).
PUBLIC_SUBPACKAGES = {"cli", "demo", "fakebooks", "http", "testing", "web"}

HOOKS = [
    "ledgersync_connectors",
    "ledgersync_demo_sandbox",
    "ledgersync_export",
    "ledgersync_handle_error",
    "ledgersync_map_customer",
    "ledgersync_mark_go_no_go",
    "ledgersync_register_commands",
    "ledgersync_web_company_tools",
    "ledgersync_web_mounts",
]


def test_all_is_exactly_the_expected_list() -> None:
    assert ledgersync.__all__ == EXPECTED_ALL


def test_all_is_sorted() -> None:
    assert ledgersync.__all__ == sorted(ledgersync.__all__)


@pytest.mark.parametrize("name", EXPECTED_ALL)
def test_every_exported_name_is_importable(name: str) -> None:
    namespace: dict[str, object] = {}
    exec(f"from ledgersync import {name}", namespace)
    assert namespace[name] is getattr(ledgersync, name)


def test_no_exported_name_is_private_or_a_module() -> None:
    leaks = [
        name for name in ledgersync.__all__
        if (name.startswith("_") and name != "__version__")
        or isinstance(getattr(ledgersync, name), types.ModuleType)
    ]
    assert leaks == []


def test_the_namespace_holds_nothing_public_beyond_all() -> None:
    # Private modules (``_engine``, ``_records`` ...) may be attributes, but nothing without an
    # underscore may be reachable unless it is exported (or is a public subpackage).
    importlib.import_module("ledgersync.testing")
    importlib.import_module("ledgersync.cli")
    importlib.import_module("ledgersync.web")
    extra = {
        name for name, value in vars(ledgersync).items()
        if not name.startswith("_")
        # pytest rewrites the asserts of a distribution that registers a pytest11 plugin,
        # leaving "@py_builtins"-style names: not identifiers, so never importable.
        and name.isidentifier()
        and not isinstance(value, __future__._Feature)
        and name not in ledgersync.__all__
        and name not in PUBLIC_SUBPACKAGES
    }
    assert extra == set()


def test_version_matches_the_installed_distribution() -> None:
    from importlib.metadata import version

    assert ledgersync.__version__ == version("ledgersync")


def test_every_hook_has_a_specification() -> None:
    specs = sorted(name for name in dir(_hookspecs) if name.startswith("ledgersync_"))
    assert specs == HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_is_a_module_function_whose_body_is_its_docstring(name: str) -> None:
    function = getattr(_hookspecs, name)
    assert isinstance(function, types.FunctionType)
    [definition] = ast.parse(textwrap.dedent(inspect.getsource(function))).body
    assert isinstance(definition, ast.FunctionDef)
    assert [type(statement) for statement in definition.body] == [ast.Expr]
    assert ast.get_docstring(definition)


def _spec(name: str) -> tuple[str, inspect.Signature]:
    function = getattr(_hookspecs, name)
    assert getattr(function, f"{_hookspecs.PROJECT}_spec", None) is not None, (
        f"{name} is not marked with @hookspec"
    )
    return inspect.getdoc(function) or "", inspect.signature(function)


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_documents_every_parameter(name: str) -> None:
    doc, signature = _spec(name)
    parameters = [p for p in signature.parameters if p != "self"]
    missing = [p for p in parameters if f":param {p}:" not in doc]
    assert missing == [], f"{name}: undocumented parameters {missing}"


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_documents_no_parameter_it_does_not_take(name: str) -> None:
    doc, signature = _spec(name)
    documented = set(re.findall(r":param (\w+):", doc))
    assert documented <= set(signature.parameters) - {"self"}


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_documents_its_return_value(name: str) -> None:
    doc, _ = _spec(name)
    assert ":return:" in doc


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_says_when_it_is_called(name: str) -> None:
    doc, _ = _spec(name)
    assert re.search(r"\bCalled\b", doc), f"{name}: say when the hook is called"
