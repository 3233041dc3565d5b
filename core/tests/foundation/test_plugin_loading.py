"""Plugin loading from entry points: broken plugins skipped, misspelled hooks refused, allow and
block lists, unique connector names, one plugin manager per ledger, `ledgersync plugins`.

Each test installs fake distributions (a ``*.dist-info`` with ``entry_points.txt``, next to the
plugin module) in a directory put on ``sys.path``: exactly what pip leaves behind.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

import ledgersync
from ledgersync import (
    Connector,
    PluginError,
    UnknownConnectorError,
    connector_plugin,
    hookimpl,
)
from ledgersync._plugins import PluginHost
from ledgersync.testing import FakePlugin

Install = Callable[..., str]

GOOD_PLUGIN = """
from ledgersync import hookimpl
from ledgersync.testing import FakeConnector

class {cls}(FakeConnector):
    name = {connector!r}

@hookimpl
def ledgersync_connectors():
    return [{cls}]
"""

BROKEN_PLUGIN = """
raise ImportError("No module named 'intuitlib' (the SDK this plugin needs)")
"""

MISSPELLED_PLUGIN = """
from ledgersync import hookimpl

@hookimpl
def ledgersync_map_custmer(member, connector):
    return None
"""


@pytest.fixture
def install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Install]:
    """``install(name, source, version=..., connector=...)``: a distribution
    ``ledgersync-NAME`` whose entry point ``NAME`` in the group ``ledgersync`` is a module with
    ``source``. Returns the module's (test-unique) name."""
    site = tmp_path / "site-packages"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    prefix = f"lsplug_{abs(hash(str(tmp_path))):x}_"
    modules: list[str] = []

    def install_one(name: str, source: str = GOOD_PLUGIN, *, version: str = "1.0.0",
                    connector: str | None = None, cls: str = "Conn") -> str:
        module = prefix + name
        (site / f"{module}.py").write_text(
            textwrap.dedent(source).format(cls=cls, connector=connector or name),
            encoding="utf-8",
        )
        info = site / f"ledgersync_{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: ledgersync-{name}\nVersion: {version}\n",
            encoding="utf-8",
        )
        (info / "entry_points.txt").write_text(f"[ledgersync]\n{name} = {module}\n",
                                               encoding="utf-8")
        modules.append(module)
        return module

    yield install_one
    for module in modules:
        sys.modules.pop(module, None)


def _names(host: PluginHost) -> set[str]:
    return {info.name for info in host.describe() if info.error is None}


def _config(**extra: Any) -> ledgersync.Config:
    return ledgersync.parse_config({"ledger": {"url": "sqlite://"}, "companies": {}, **extra})


# -- broken plugins ------------------------------------------------------------------------------


def test_broken_plugin_is_recorded_in_load_errors(install: Install) -> None:
    install("broken", BROKEN_PLUGIN)
    host = PluginHost()
    assert "broken" in host.load_errors
    assert "ImportError" in host.load_errors["broken"]
    assert "intuitlib" in host.load_errors["broken"]


def test_broken_plugin_is_listed_with_its_error_and_distribution(install: Install) -> None:
    install("broken", BROKEN_PLUGIN, version="0.3.1")
    info = {i.name: i for i in PluginHost().describe()}["broken"]
    assert info.distribution == "ledgersync-broken"
    assert info.version == "0.3.1"
    assert info.error is not None
    assert "intuitlib" in info.error
    assert info.hooks == ()


def test_broken_plugin_does_not_stop_the_other_plugins(install: Install) -> None:
    install("broken", BROKEN_PLUGIN)
    install("alpha", connector="alpha")
    host = PluginHost()
    assert {"alpha", "fake"} <= set(host.connectors)
    assert "broken" not in _names(host)


def test_ledger_opens_and_syncs_with_a_broken_plugin_installed(
    install: Install, tmp_path: Path
) -> None:
    install("broken", BROKEN_PLUGIN)
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"club": {"connector": "fake",
                               "fake": {"books_path": str(tmp_path / "books.db")}}},
    })
    with ledgersync.open(config) as ledger:
        assert "broken" in ledger._plugins.load_errors
        ledger.record([ledgersync.Member(mms_id="M1", display_name="Ann")])
        summary = ledger.sync("club")
    assert summary.processed == 1


# -- misspelled hooks ----------------------------------------------------------------------------


def test_misspelled_hook_in_an_installed_plugin_fails_loading(install: Install) -> None:
    install("typo", MISSPELLED_PLUGIN)
    with pytest.raises(PluginError, match="ledgersync_map_custmer"):
        PluginHost()


def test_misspelled_hook_in_a_registered_plugin_fails_loading() -> None:
    class Typo:
        @hookimpl
        def ledgersync_map_custmer(self, member: object) -> None:
            return None

    with pytest.raises(PluginError, match="ledgersync_map_custmer") as raised:
        PluginHost([Typo()], load_entrypoints=False)
    assert raised.value.remedy is not None
    assert "ledgersync plugins" in raised.value.remedy


def test_misspelled_hook_fails_opening_a_ledger(install: Install) -> None:
    install("typo", MISSPELLED_PLUGIN)
    with pytest.raises(PluginError, match="ledgersync_map_custmer"):
        ledgersync.open(_config())


def test_helper_named_without_the_prefix_is_not_a_hook() -> None:
    class Helpers:
        @hookimpl
        def map_customer(self) -> None:  # not ledgersync_*: never taken for a hook
            return None

    helpers = Helpers()
    host = PluginHost([helpers], load_entrypoints=False)
    assert host.manager.get_hookcallers(helpers) == []


# -- allow and block lists -----------------------------------------------------------------------


def test_all_installed_plugins_load_without_lists(install: Install) -> None:
    install("alpha")
    install("beta")
    assert {"alpha", "beta", "fake"} <= _names(PluginHost())


def test_allow_list_from_the_environment_loads_only_those(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("alpha")
    install("beta")
    monkeypatch.setenv("LEDGERSYNC_PLUGINS", "alpha")
    assert _names(PluginHost()) == {"alpha"}


def test_empty_allow_list_loads_no_plugin(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("alpha")
    monkeypatch.setenv("LEDGERSYNC_PLUGINS", "")
    assert _names(PluginHost()) == set()


def test_block_list_from_the_environment_skips_those(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("alpha")
    install("beta")
    monkeypatch.setenv("LEDGERSYNC_DISABLE_PLUGINS", "beta, fake")
    names = _names(PluginHost())
    assert "alpha" in names
    assert not names & {"beta", "fake"}


def test_blocked_plugin_is_never_imported(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = install("broken", BROKEN_PLUGIN)
    monkeypatch.setenv("LEDGERSYNC_DISABLE_PLUGINS", "broken")
    host = PluginHost()
    assert host.load_errors == {}
    assert module not in sys.modules


def test_block_list_wins_over_allow_list(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("alpha")
    install("beta")
    monkeypatch.setenv("LEDGERSYNC_PLUGINS", "alpha,beta")
    monkeypatch.setenv("LEDGERSYNC_DISABLE_PLUGINS", "beta")
    assert _names(PluginHost()) == {"alpha"}


def test_config_plugins_enabled_decides_what_a_ledger_loads(install: Install) -> None:
    install("alpha")
    install("beta")
    with ledgersync.open(_config(plugins={"enabled": ["beta"]})) as ledger:
        assert _names(ledger._plugins) == {"beta"}


def test_config_plugins_disabled_keeps_a_plugin_out_of_a_ledger(install: Install) -> None:
    install("alpha")
    install("beta")
    with ledgersync.open(_config(plugins={"disabled": ["alpha"]})) as ledger:
        names = _names(ledger._plugins)
    assert "beta" in names
    assert "alpha" not in names


def test_environment_block_list_applies_on_top_of_the_config(
    install: Install, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("alpha")
    install("beta")
    monkeypatch.setenv("LEDGERSYNC_DISABLE_PLUGINS", "alpha")
    with ledgersync.open(_config(plugins={"enabled": ["alpha", "beta"]})) as ledger:
        assert _names(ledger._plugins) == {"beta"}


# -- connectors ----------------------------------------------------------------------------------


def test_duplicate_connector_names_from_two_distributions_are_refused(install: Install) -> None:
    install("alpha", connector="twin", cls="AlphaTwin")
    install("beta", connector="twin", cls="BetaTwin")
    host = PluginHost()
    with pytest.raises(PluginError, match="twin") as raised:
        host.connectors  # noqa: B018 - the property does the check
    assert raised.value.remedy is not None
    assert "LEDGERSYNC_DISABLE_PLUGINS" in raised.value.remedy


def test_duplicate_connector_name_is_refused_when_a_ledger_uses_it(tmp_path: Path) -> None:
    class Impostor(Connector):
        name: ClassVar[str] = "fake"

    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"club": {"connector": "fake",
                               "fake": {"books_path": str(tmp_path / "books.db")}}},
    })
    impostor = connector_plugin(Impostor)  # type: ignore[type-abstract]  # only its name matters
    with ledgersync.open(config, plugins=[FakePlugin(), impostor],
                         load_entrypoints=False) as ledger, \
            pytest.raises(PluginError, match="fake"):
        ledger.connector("club")


def test_unknown_connector_error_lists_the_installed_ones(install: Install) -> None:
    install("alpha", connector="alpha")
    with pytest.raises(UnknownConnectorError) as raised:
        PluginHost().connector_class("qbx", company="harbor")
    error = raised.value
    # Other connector distributions of this repository may be installed too.
    assert {"alpha", "fake"} <= set(error.installed)
    assert error.installed == sorted(error.installed)
    assert "'qbx'" in error.message
    assert "harbor" in error.message
    assert f"installed: {', '.join(error.installed)}" in error.message


def test_company_with_an_unknown_connector_fails_with_the_installed_list(
    tmp_path: Path,
) -> None:
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"club": {"connector": "qbx"}},
    })
    with ledgersync.open(config) as ledger, \
            pytest.raises(UnknownConnectorError, match=r"installed: .*fake"):
        ledger.connector("club")


# -- one plugin manager per ledger ---------------------------------------------------------------


def test_two_ledgers_have_separate_plugin_managers() -> None:
    class Voter:
        @hookimpl
        def ledgersync_mark_go_no_go(self, record: object) -> None:
            return None

    voter = Voter()
    with ledgersync.open("sqlite://", plugins=[voter], load_entrypoints=False) as first, \
            ledgersync.open("sqlite://", load_entrypoints=False) as second:
        assert first._plugins.manager is not second._plugins.manager
        assert first._plugins.manager.is_registered(voter)
        assert not second._plugins.manager.is_registered(voter)


def test_installed_plugins_load_into_each_ledger(install: Install) -> None:
    install("alpha", connector="alpha")
    with ledgersync.open("sqlite://") as first, ledgersync.open("sqlite://") as second:
        assert "alpha" in first._plugins.connectors
        assert "alpha" in second._plugins.connectors
        first._plugins.manager.unregister(name="alpha")
        assert not first._plugins.manager.has_plugin("alpha")
        assert second._plugins.manager.has_plugin("alpha")


# -- `ledgersync plugins` ------------------------------------------------------------------------


def test_plugins_json_lists_name_distribution_version_hooks_connectors(
    install: Install, invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    install("alpha", version="2.5.0", connector="alpha")
    result = invoke("plugins", "--json")
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listed["alpha"] == {
        "name": "alpha", "distribution": "ledgersync-alpha", "version": "2.5.0",
        "hooks": ["ledgersync_connectors"], "connectors": ["alpha"], "error": None,
    }
    assert listed["fake"]["distribution"] == "ledgersync"
    assert listed["fake"]["version"] == ledgersync.__version__
    assert listed["fake"]["connectors"] == ["fake"]


def test_plugins_json_shows_a_broken_plugin_with_its_error(
    install: Install, invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    install("broken", BROKEN_PLUGIN, version="0.3.1")
    result = invoke("plugins", "--json")
    assert result.exit_code == 0, result.output
    listed = {entry["name"]: entry for entry in json.loads(result.stdout)}
    assert listed["broken"]["version"] == "0.3.1"
    assert "intuitlib" in listed["broken"]["error"]
    assert listed["fake"]["error"] is None


def test_plugins_command_honours_the_config_allow_list(
    install: Install, invoke: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    install("alpha")
    (tmp_path / "ledgersync.toml").write_text('[plugins]\nenabled = ["alpha"]\n',
                                              encoding="utf-8")
    result = invoke("plugins", "--json")
    assert result.exit_code == 0, result.output
    assert [entry["name"] for entry in json.loads(result.stdout)] == ["alpha"]


# -- one host for the command line and its ledger --------------------------------------------------


def test_a_ledger_given_the_command_lines_host_uses_that_host(install: Install) -> None:
    install("alpha")
    host = PluginHost()
    with ledgersync.Ledger(_config(), _host=host) as ledger:
        assert ledger._plugins is host
        assert "alpha" in _names(host)


def test_the_config_lists_apply_to_a_host_loaded_before_the_config(install: Install) -> None:
    install("alpha")
    install("beta")
    host = PluginHost()  # as the command line loads it: before the config is read
    with ledgersync.Ledger(_config(plugins={"disabled": ["alpha"]}), _host=host):
        assert _names(host) == _names(PluginHost(block=["alpha"]))
        assert "alpha" not in _names(host)


def test_a_shared_host_follows_each_config_not_the_sum_of_them(install: Install) -> None:
    install("alpha")
    install("beta")
    host = PluginHost()
    host.restrict(["beta"])
    assert _names(host) == {"beta"}
    host.restrict(None)  # the next config names no list: every installed plugin again
    assert {"alpha", "beta"} <= _names(host)


def test_the_cli_state_opens_its_ledger_on_the_cli_host(tmp_path: Path) -> None:
    from ledgersync.cli.helpers import State

    config = tmp_path / "ledgersync.toml"
    config.write_text(f'[ledger]\nurl = "sqlite:///{(tmp_path / "l.db").as_posix()}"\n',
                      encoding="utf-8")
    ledgersync.open(str(config)).close()  # create the database the CLI then opens
    host = PluginHost(load_entrypoints=False)
    state = State(config_path=config, plugins=host)
    try:
        assert state.ledger()._plugins is host
    finally:
        state.close()


# -- connector_plugin ---------------------------------------------------------------------------


def test_connector_plugin_registers_the_classes_it_is_given(tmp_path: Path) -> None:
    from ledgersync.testing import FakeConnector

    class Other(FakeConnector):
        name: ClassVar[str] = "other"

    host = PluginHost([connector_plugin(FakeConnector, Other)], load_entrypoints=False)
    assert dict(host.connectors) == {"fake": FakeConnector, "other": Other}


def test_connector_plugin_without_a_class_is_refused() -> None:
    with pytest.raises(PluginError, match="at least one connector class"):
        connector_plugin()
