"""The ``ledgersync`` entry point of the QBO connector (``qbo = "ledgersync_qbo.plugin"``).

Only the connector class (which imports nothing heavy) and click are loaded here; the API
client, OAuth library and sandbox load when a command or an export needs them.
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
    from .connector import QboConnector

    return [QboConnector]


@hookimpl
def ledgersync_register_commands(cli: click.Group) -> None:
    from .commands import register

    register(cli)


@hookimpl
def ledgersync_demo_sandbox(workdir: Path) -> DemoSandbox:
    from .demo import QboDemoSandbox

    return QboDemoSandbox(workdir)
