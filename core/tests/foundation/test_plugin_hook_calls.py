"""The export and customer-mapping hooks as the engine calls them once per item: while only the
core implements a hook it is called without pluggy's machinery (PluginHost.only_default), and
every plugin registered, unregistered or monitoring later is seen at the next call, exactly as
pluggy would do it."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest import mock

import pytest

from ledgersync import CustomerMatch, ExportResult, PushConnector, hookimpl
from ledgersync._plugins import PluginHost

COMPANY: Any = object()
REQUEST: Any = object()


def _connector() -> Any:
    connector = mock.Mock(spec=PushConnector)
    connector.export.return_value = ExportResult(external_id="core")
    connector.map_customer.return_value = None
    return connector


class Exporter:
    @hookimpl
    def ledgersync_export(self, request: Any) -> ExportResult:
        return ExportResult(external_id="plugin")


class Wrapper:
    def __init__(self) -> None:
        self.seen = 0

    @hookimpl(wrapper=True)
    def ledgersync_export(self) -> Generator[None, ExportResult, ExportResult]:
        self.seen += 1
        return (yield)


class Matcher:
    @hookimpl
    def ledgersync_map_customer(self, member: Any) -> CustomerMatch:
        return CustomerMatch(external_id="c-1", display_name="Ann", matched_by="email")


def test_the_core_implementation_alone_answers_as_through_pluggy() -> None:
    host = PluginHost(load_entrypoints=False)
    connector = _connector()

    assert host.only_default("ledgersync_export")
    assert host.export(COMPANY, REQUEST, connector) == ExportResult(external_id="core")
    connector.export.assert_called_once_with(REQUEST)
    member: Any = object()
    assert host.map_customer(COMPANY, member, connector) is None
    connector.map_customer.assert_called_once_with(member)


def test_a_failure_of_the_core_implementation_propagates_unchanged() -> None:
    host = PluginHost(load_entrypoints=False)
    connector = _connector()
    failure = RuntimeError("books closed")
    connector.export.side_effect = failure

    with pytest.raises(RuntimeError) as raised:
        host.export(COMPANY, REQUEST, connector)

    assert raised.value is failure


def test_a_plugin_registered_after_calls_is_called_from_the_next_one() -> None:
    host = PluginHost(load_entrypoints=False)
    connector = _connector()
    host.export(COMPANY, REQUEST, connector)
    host.map_customer(COMPANY, object(), connector)  # type: ignore[arg-type]

    host.register(Exporter(), name="exporter")
    host.register(Matcher(), name="matcher")

    assert not host.only_default("ledgersync_export")
    assert host.export(COMPANY, REQUEST, connector) == ExportResult(external_id="plugin")
    assert host.map_customer(COMPANY, object(), connector).external_id == "c-1"  # type: ignore[arg-type, union-attr]

    host.manager.unregister(name="exporter")
    assert host.export(COMPANY, REQUEST, connector) == ExportResult(external_id="core")


def test_a_wrapper_registered_after_calls_sees_the_next_one() -> None:
    host = PluginHost(load_entrypoints=False)
    connector = _connector()
    host.export(COMPANY, REQUEST, connector)
    wrapper = Wrapper()

    host.register(wrapper, name="wrapper")
    host.export(COMPANY, REQUEST, connector)

    assert wrapper.seen == 1


def test_hook_call_monitoring_sees_calls_only_the_core_implements() -> None:
    host = PluginHost(load_entrypoints=False)
    connector = _connector()
    host.export(COMPANY, REQUEST, connector)
    called: list[str] = []
    host.manager.add_hookcall_monitoring(
        lambda name, impls, kwargs: called.append(name), lambda *args: None)

    host.export(COMPANY, REQUEST, connector)
    host.map_customer(COMPANY, object(), connector)  # type: ignore[arg-type]

    assert called == ["ledgersync_export", "ledgersync_map_customer"]
