"""The entry point of the ``ledgersync`` plugin group: the connector and the CLI commands.

Light on purpose: `ledgersync plugins` imports this; zeep, uvicorn and the SOAP server are
imported only inside the commands that use them, and the demo sandbox only when
`ledgersync demo` asks for it.
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
    from .connector import QbdConnector

    return [QbdConnector]


@hookimpl
def ledgersync_register_commands(cli: click.Group) -> None:
    from .cli import qbd, sandbox_qbd, serve

    if "serve" not in cli.commands:
        cli.add_command(serve)
    if "qbd" not in cli.commands:
        cli.add_command(qbd)
    sandbox = cli.commands.get("sandbox")
    if sandbox is not None and hasattr(sandbox, "add_command"):
        sandbox.add_command(sandbox_qbd)


@hookimpl
def ledgersync_demo_sandbox(workdir: Path) -> DemoSandbox:
    from .demo import QbdDemoSandbox

    return QbdDemoSandbox(workdir)
