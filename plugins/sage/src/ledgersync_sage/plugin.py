"""The ``ledgersync`` entry point of the Sage Intacct connector (``ledgersync_sage.plugin``).

Only what the hooks need is imported; the gateway client and the sandbox load on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ledgersync import Connector, hookimpl

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from ledgersync.demo import DemoSandbox


@hookimpl
def ledgersync_connectors() -> Sequence[type[Connector]]:
    from .connector import SageConnector

    return [SageConnector]


@hookimpl
def ledgersync_register_commands(cli: click.Group) -> None:
    from .commands import register

    register(cli)


@hookimpl
def ledgersync_demo_sandbox(workdir: Path) -> DemoSandbox:
    from .demo import SageDemoSandbox

    return SageDemoSandbox(workdir)
