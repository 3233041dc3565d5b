"""The ``ledgersync`` entry point (``quickbooks_legacy = "ledgersync_quickbooks_legacy.plugin"``).

Only the connector class (which imports nothing heavy) is loaded here; the client, OAuth
signing and sandbox load when a command or an export needs them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ledgersync import Connector, hookimpl

if TYPE_CHECKING:
    import click

    from ledgersync.demo import DemoSandbox


@hookimpl
def ledgersync_connectors() -> Sequence[type[Connector]]:
    from .connector import QuickBooksLegacyConnector

    return [QuickBooksLegacyConnector]


@hookimpl
def ledgersync_register_commands(cli: click.Group) -> None:
    from .commands import register

    register(cli)


@hookimpl
def ledgersync_demo_sandbox(workdir: Path) -> DemoSandbox:
    from .demo import LegacyDemoSandbox

    return LegacyDemoSandbox(workdir)
