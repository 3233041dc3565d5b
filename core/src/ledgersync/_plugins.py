"""Plugin loading and the typed facade over the hooks.

Each :class:`PluginHost` owns its own pluggy ``PluginManager`` (no module-level global), so tests
and embedders register plugins directly and two ledgers in one process never share plugins.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import attrs
import pluggy

from . import _hookspecs
from ._connector import PullConnector, PushConnector
from ._errors import ConnectorError, PluginError, UnknownConnectorError
from ._hookspecs import PROJECT, hookimpl

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from ._config import CompanyConfig
    from ._connector import (
        Connector,
        CustomerMatch,
        ExportRequest,
        ExportResult,
        StagedResult,
    )
    from ._ledger_api import Ledger
    from ._records import Member, Record
    from ._resolution import GoNoGo, Resolution
    from ._webmount import CompanyTool, WebMount
    from .demo import DemoSandbox

log = logging.getLogger(__name__)

ALLOW_ENV = "LEDGERSYNC_PLUGINS"
BLOCK_ENV = "LEDGERSYNC_DISABLE_PLUGINS"


@attrs.frozen(kw_only=True)
class PluginInfo:
    """One plugin as `ledgersync plugins` shows it."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    connectors: tuple[str, ...]
    error: str | None = None


class _ConnectorPlugin:
    """A plugin whose only hook registers the given connector classes."""

    def __init__(self, classes: tuple[type[Connector], ...]) -> None:
        self._classes = classes

    @hookimpl
    def ledgersync_connectors(self) -> list[type[Connector]]:
        return list(self._classes)

    def __repr__(self) -> str:
        return f"connector_plugin({', '.join(cls.__name__ for cls in self._classes)})"


def connector_plugin(*classes: type[Connector]) -> object:
    """A plugin object that registers ``classes`` through ``ledgersync_connectors``.

    For tests and embedders that register a connector directly instead of through an entry
    point: ``ledgersync.open(config, plugins=[connector_plugin(MyConnector)])``.
    """
    if not classes:
        raise PluginError("connector_plugin() needs at least one connector class",
                          remedy="Pass the Connector subclass(es) the plugin should register")
    return _ConnectorPlugin(tuple(classes))


class _DefaultBehaviour:
    """The core's own implementations: defaults that delegate to the company's connector.

    Registered ``trylast`` so every policy plugin may decide first or wrap them.
    """

    @hookimpl(trylast=True)
    def ledgersync_map_customer(self, member: Member, connector: Connector) -> CustomerMatch | None:
        return connector.map_customer(member)

    @hookimpl(trylast=True)
    def ledgersync_export(
        self, request: ExportRequest, connector: Connector
    ) -> ExportResult | StagedResult:
        if not isinstance(connector, PushConnector):
            raise ConnectorError(
                f"{request.describe()}: connector {connector.name!r} is pull-mode; its remote "
                "side asks for work, so it cannot be called to export", sent=False,
                remedy="Let the connector's endpoint hand the item out (ledgersync serve)")
        return connector.export(request)


class _Manager(pluggy.PluginManager):
    """A plugin manager that counts the changes to its hooks' implementations, so that a
    hook only the core implements can be called without pluggy's machinery per call
    (:meth:`PluginHost.only_default`)."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        #: Bumped by every registration, unregistration, block and new hookspec.
        self.changes = 0
        #: Set for good once anyone monitors or traces hook calls (they see every call).
        self.monitored = False

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        self.changes += 1
        return super().register(plugin, name)

    def unregister(self, plugin: Any | None = None, name: str | None = None) -> Any | None:
        self.changes += 1
        return super().unregister(plugin, name)

    def set_blocked(self, name: str) -> None:
        self.changes += 1
        super().set_blocked(name)

    def add_hookspecs(self, module_or_class: Any) -> None:
        self.changes += 1
        super().add_hookspecs(module_or_class)

    def add_hookcall_monitoring(self, before: Any, after: Any) -> Any:
        # enable_tracing() comes here too.
        self.monitored = True
        return super().add_hookcall_monitoring(before, after)

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> pluggy.HookimplOpts | None:
        # Only ``ledgersync_*`` attributes can be hooks, so a helper named like a hook in a
        # plugin module is never picked up by accident.
        if not name.startswith("ledgersync_"):
            return None
        return super().parse_hookimpl_opts(plugin, name)


def _names_from_env(variable: str) -> set[str] | None:
    raw = os.environ.get(variable)
    if raw is None:
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


class PluginHost:
    """Loads plugins and calls hooks with types the rest of the core can check."""

    def __init__(
        self,
        plugins: Iterable[object] = (),
        *,
        load_entrypoints: bool = True,
        allow: Iterable[str] | None = None,
        block: Iterable[str] = (),
    ) -> None:
        self.manager = _Manager(PROJECT)
        self.manager.add_hookspecs(_hookspecs)
        self._defaults = _DefaultBehaviour()
        self.manager.register(self._defaults, name="ledgersync.defaults")
        #: Hook name -> (the manager's change count when checked, only the core implements it).
        self._only_default: dict[str, tuple[int, bool]] = {}
        self.load_errors: dict[str, str] = {}
        self._distributions: dict[str, tuple[str, str]] = {}
        self._connectors: dict[str, type[Connector]] | None = None
        self._loaded_entrypoints = False
        self._env_allow = _names_from_env(ALLOW_ENV)
        self._env_block = _names_from_env(BLOCK_ENV) or set()
        self._allow = set(allow) if allow is not None else self._env_allow
        self._block = set(block) | self._env_block
        for plugin in plugins:
            self.register(plugin)
        if load_entrypoints:
            self.load_entrypoints()
        self.check()

    # -- loading -----------------------------------------------------------------------------

    def register(self, plugin: object, name: str | None = None) -> None:
        """Register a plugin object (module, class instance) directly."""
        try:
            self.manager.register(plugin, name=name)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise PluginError(f"plugin {name or plugin!r} cannot be registered: {exc}") from exc
        self._connectors = None

    def load_entrypoints(self, group: str = PROJECT) -> None:
        """Load every ``ledgersync`` entry point; a broken one is recorded and skipped."""
        self._loaded_entrypoints = True
        for dist in importlib.metadata.distributions():
            for ep in dist.entry_points:
                if ep.group != group:
                    continue
                if self._allow is not None and ep.name not in self._allow:
                    continue
                if ep.name in self._block or self.manager.has_plugin(ep.name):
                    continue
                dist_name = dist.metadata["Name"]
                self._distributions[ep.name] = (dist_name, dist.version)
                try:
                    plugin = ep.load()
                    self.manager.register(plugin, name=ep.name)
                except Exception as exc:  # noqa: BLE001 - one broken plugin must not stop the host
                    self.load_errors[ep.name] = f"{type(exc).__name__}: {exc}"
                    log.warning("plugin %s (%s) failed to load: %s", ep.name, dist_name, exc)
        self._connectors = None

    def restrict(self, allow: Iterable[str] | None, block: Iterable[str] = ()) -> None:
        """Apply a config file's plugin lists to a host that loaded its entry points before the
        config was read (the command line does, to register plugin commands): the lists then
        mean what they mean to a new host. Plugins registered directly are kept."""
        self._allow = set(allow) if allow is not None else self._env_allow
        self._block = set(block) | self._env_block
        for name in list(self._distributions):
            if (self._allow is not None and name not in self._allow) or name in self._block:
                if self.manager.has_plugin(name):
                    self.manager.unregister(name=name)
                del self._distributions[name]
                self.load_errors.pop(name, None)
        if self._loaded_entrypoints:
            self.load_entrypoints()
            self.check()
        self._connectors = None

    def check(self) -> None:
        """Fail loudly on hook implementations whose name matches no hook specification."""
        try:
            self.manager.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginError(
                f"{exc}: a plugin implements a hook that does not exist",
                remedy="Check the spelling against `ledgersync plugins` and "
                "docs/plugin-authoring.md",
            ) from exc

    # -- connectors --------------------------------------------------------------------------

    @property
    def connectors(self) -> Mapping[str, type[Connector]]:
        """Every registered connector class by name (duplicates refused)."""
        if self._connectors is None:
            found: dict[str, type[Connector]] = {}
            duplicates: set[str] = set()
            for group in self.manager.hook.ledgersync_connectors():
                for cls in group:
                    if cls.name in found and found[cls.name] is not cls:
                        duplicates.add(cls.name)
                    found[cls.name] = cls
            if duplicates:
                raise PluginError(
                    f"connector name(s) {', '.join(sorted(duplicates))} registered twice",
                    remedy="Uninstall or disable one of the plugins (LEDGERSYNC_DISABLE_PLUGINS)",
                )
            for cls in found.values():
                if not issubclass(cls, (PushConnector, PullConnector)):
                    raise PluginError(
                        f"connector {cls.name!r} ({cls.__module__}.{cls.__qualname__}) is "
                        "neither a PushConnector nor a PullConnector",
                        remedy="Derive the class from ledgersync.PushConnector (the engine "
                        "calls it) or ledgersync.PullConnector (its remote side calls in)",
                    )
            self._connectors = found
        return self._connectors

    def connector_class(self, name: str, *, company: str | None = None) -> type[Connector]:
        try:
            return self.connectors[name]
        except KeyError:
            raise UnknownConnectorError(name, list(self.connectors), company=company) from None

    def describe(self) -> list[PluginInfo]:
        """What `ledgersync plugins` lists: every plugin, its version, hooks and connectors."""
        infos: list[PluginInfo] = []
        for name, plugin in self.manager.list_name_plugin():
            if plugin is None or name == "ledgersync.defaults":
                continue
            hooks = tuple(sorted(c.name for c in self.manager.get_hookcallers(plugin) or ()))
            connectors: tuple[str, ...] = ()
            impl = getattr(plugin, "ledgersync_connectors", None)
            if impl is not None:
                connectors = tuple(cls.name for cls in impl())
            dist, version = self._distributions.get(name, (None, None))
            infos.append(
                PluginInfo(
                    name=name, distribution=dist, version=version, hooks=hooks,
                    connectors=connectors,
                )
            )
        for name, error in self.load_errors.items():
            dist, version = self._distributions.get(name, (None, None))
            infos.append(
                PluginInfo(
                    name=name, distribution=dist, version=version, hooks=(), connectors=(),
                    error=error,
                )
            )
        return sorted(infos, key=lambda info: info.name)

    # -- typed hook calls ----------------------------------------------------------------------

    def only_default(self, hook_name: str) -> bool:
        """Whether the core's own implementation is the hook's only one and nobody monitors
        hook calls: calling it directly then does exactly what pluggy would (one
        implementation, no wrappers, its result or exception as is), without pluggy's cost
        per call (two of them per exported item). Re-checked after every change of plugins."""
        manager = self.manager
        if manager.monitored:
            return False
        known = self._only_default.get(hook_name)
        if known is not None and known[0] == manager.changes:
            return known[1]
        impls = getattr(manager.hook, hook_name).get_hookimpls()
        only = (len(impls) == 1 and impls[0].plugin is self._defaults
                and not impls[0].hookwrapper and not impls[0].wrapper)
        self._only_default[hook_name] = (manager.changes, only)
        return only

    def map_customer(
        self, company: CompanyConfig, member: Member, connector: Connector
    ) -> CustomerMatch | None:
        if self.only_default("ledgersync_map_customer"):
            return self._defaults.ledgersync_map_customer(member, connector)
        return cast(
            "CustomerMatch | None",
            self.manager.hook.ledgersync_map_customer(
                company=company, member=member, connector=connector
            ),
        )

    def export(
        self, company: CompanyConfig, request: ExportRequest, connector: Connector
    ) -> ExportResult | StagedResult:
        if self.only_default("ledgersync_export"):
            return self._defaults.ledgersync_export(request, connector)
        result = self.manager.hook.ledgersync_export(
            company=company, request=request, connector=connector
        )
        return cast("ExportResult | StagedResult", result)

    def export_answered(
        self,
        company: CompanyConfig,
        request: ExportRequest,
        connector: Connector,
        answer: ExportResult | StagedResult | Exception,
    ) -> ExportResult | StagedResult:
        """Pass an answer the remote already gave (an item of a batch, or of a pulled message
        set) through the ``ledgersync_export`` hook, the answer standing in as the first
        implementation: wrappers see the item and its result (or exception) exactly as for a
        single export, and may adjust it."""

        def answered() -> ExportResult | StagedResult:
            if isinstance(answer, Exception):
                raise answer
            return answer

        result = self.manager.hook.ledgersync_export.call_extra(
            [answered], {"company": company, "request": request, "connector": connector})
        return cast("ExportResult | StagedResult", result)

    def votes(self, company: CompanyConfig, record: Record) -> list[GoNoGo]:
        return cast(
            "list[GoNoGo]",
            self.manager.hook.ledgersync_mark_go_no_go(company=company, record=record),
        )

    def demo_sandboxes(self, workdir: Path) -> list[DemoSandbox]:
        return cast("list[DemoSandbox]",
                    self.manager.hook.ledgersync_demo_sandbox(workdir=workdir))

    def web_mounts(self, ledger: Ledger, options: Mapping[str, Any]) -> list[WebMount]:
        """Every plugin's web mounts, in registration order."""
        found: list[WebMount] = []
        for mounts in self.manager.hook.ledgersync_web_mounts(ledger=ledger, options=options):
            found.extend(mounts or ())
        return found

    def web_company_tools(self, ledger: Ledger, company: CompanyConfig) -> list[CompanyTool]:
        """Every plugin's tools for ``company``, in registration order."""
        found: list[CompanyTool] = []
        for tools in self.manager.hook.ledgersync_web_company_tools(ledger=ledger,
                                                                    company=company):
            found.extend(tools or ())
        return found

    def register_commands(self, cli: click.Group) -> None:
        self.manager.hook.ledgersync_register_commands(cli=cli)

    def handle_error(
        self,
        company: CompanyConfig,
        request: ExportRequest,
        error: Exception,
        resolution: Resolution,
    ) -> Resolution:
        override = self.manager.hook.ledgersync_handle_error(
            company=company, request=request, error=error, resolution=resolution
        )
        return cast("Resolution", override) if override is not None else resolution

