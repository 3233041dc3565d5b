"""Hook specifications: the plugin author's reference.

Each hook is a module-level function whose body is its documentation: the parameters, the
return value and when the host calls it. Every hook is called with keyword arguments; an
implementation may accept any subset of them. Implement a hook in a module or class and mark
it with :data:`ledgersync.hookimpl`::

    from ledgersync import hookimpl

    @hookimpl
    def ledgersync_connectors():
        return [MyConnector]

Register the module through the ``ledgersync`` entry-point group in your distribution's
``pyproject.toml``::

    [project.entry-points.ledgersync]
    myconnector = "ledgersync_myconnector"

The host calls ``check_pending()`` after loading plugins, so a misspelled hook name
(``ledgersync_map_custmer``) fails loudly instead of being silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    import click

    from ._config import CompanyConfig
    from ._connector import Connector, CustomerMatch, ExportRequest, ExportResult, StagedResult
    from ._ledger_api import Ledger
    from ._records import Member, Record
    from ._resolution import GoNoGo, Resolution
    from ._webmount import CompanyTool, WebMount
    from .demo import DemoSandbox

PROJECT = "ledgersync"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def ledgersync_connectors() -> Sequence[type[Connector]]:
    """Register connector classes.

    :return: the :class:`~ledgersync.Connector` subclasses this plugin provides. Connector
        names must be unique across all plugins; a duplicate is reported as a plugin error
        and neither class is used.

    Called once when the host (a :class:`~ledgersync.Ledger`) loads its plugins.
    """


@hookspec(firstresult=True)
def ledgersync_map_customer(
    company: CompanyConfig, member: Member, connector: Connector
) -> CustomerMatch | None:
    """Find the accounting-side customer of a member before creating one.

    :param company: the company being synced.
    :param member: the member about to be exported as a customer.
    :param connector: the company's connector instance (use it to search the remote).
    :return: a :class:`~ledgersync.CustomerMatch` to link the member to an existing
        customer without writing anything, or ``None`` to let the next implementation
        decide. Stops at the first non-``None`` result.

    Called by the engine for each member item that has no stored link yet, just before the
    export. The connector's own ``map_customer`` runs last (``trylast``) as the default.
    Raise :class:`~ledgersync.ConnectorError` when two candidates match: never guess.
    """


@hookspec(firstresult=True)
def ledgersync_export(
    company: CompanyConfig, request: ExportRequest, connector: Connector
) -> ExportResult | StagedResult | None:
    """Export one ledger item (an invoice, or any of its siblings) as a remote write.

    :param company: the company being synced.
    :param request: the item to write: kind, operation, typed record, idempotency key,
        remote ids of everything it references.
    :param connector: the company's connector instance.
    :return: the :class:`~ledgersync.ExportResult` (remote id and version token), a
        :class:`~ledgersync.StagedResult` (two-stage connectors: the intermediary's id), or
        ``None`` to let the next implementation decide. Stops at the first non-``None``.

    Called once per attempt, after the engine committed the intent (status ``in_flight``)
    and never inside a database transaction. The default implementation (``trylast``)
    calls ``connector.export(request)``. Use ``@hookimpl(wrapper=True)`` to observe or
    adjust: the wrapper receives the result of ``yield`` and returns it (or another).
    Raise to report a failure; the error then goes through ``ledgersync_handle_error``.

    Every item passes this hook, however it travels. An item written in a batch
    (``export_batch``) or by a pull connector's remote side (reported through
    ``PullQueue.succeed``/``fail``) was already written when its answer arrives: the hook is
    then called with that answer standing in as the first implementation, so wrappers see
    the item with its own result or exception, exactly as for a single export, and may
    adjust it. A non-wrapper implementation that wants to make the write itself runs for
    single exports only (a ``tryfirst`` one would replace the remote's answer).
    """


@hookspec
def ledgersync_mark_go_no_go(company: CompanyConfig, record: Record) -> GoNoGo | None:
    """Vote on whether a transaction may be exported.

    :param company: the company the record is queued for.
    :param record: the MMS record being recorded.
    :return: :meth:`GoNoGo.no_go(reason) <ledgersync.GoNoGo.no_go>` to hold the record
        back, :meth:`GoNoGo.go` to approve, or ``None`` to abstain. Every plugin votes;
        any no-go wins and its reason is shown. A person's explicit mark
        (`ledgersync mark go`) overrides the votes.

    Called when a record is recorded (new or changed) for a company, inside the recording
    transaction: keep it fast and free of remote calls.
    """


@hookspec(firstresult=True)
def ledgersync_handle_error(
    company: CompanyConfig,
    request: ExportRequest,
    error: Exception,
    resolution: Resolution,
) -> Resolution | None:
    """Decide what to do about a failed export, or observe the decision.

    :param company: the company being synced.
    :param request: the export that failed.
    :param error: the exception raised by the connector or an export hook.
    :param resolution: what the connector's ``classify_error`` proposes.
    :return: a :class:`~ledgersync.Resolution` to override the proposal, or ``None`` to
        keep it (a notifier returns ``None``). Stops at the first non-``None`` result.

    Called after each failed attempt, outside any database transaction.
    """


@hookspec
def ledgersync_register_commands(cli: click.Group) -> None:
    """Add commands to the ``ledgersync`` command line.

    :param cli: the ``ledgersync`` click group. Add a top-level command with
        ``cli.add_command(cmd)``, or a subcommand of an existing group such as
        ``cli.commands["sandbox"].add_command(cmd)``. Do not reuse a name already taken.
    :return: nothing.

    Called once when the command line starts, after plugins are loaded from their entry
    points (the config file is not read yet, so only ``LEDGERSYNC_PLUGINS`` and
    ``LEDGERSYNC_DISABLE_PLUGINS`` decide which plugins load). Import heavy modules inside
    the command functions, not here, so ``ledgersync --help`` stays fast.
    """


@hookspec
def ledgersync_demo_sandbox(workdir: Path) -> DemoSandbox | None:
    """Offer this connector's sandbox to ``ledgersync demo``.

    :param workdir: the demo's folder; keep the sandbox's files there.
    :return: a :class:`ledgersync.demo.DemoSandbox` (not started yet), or ``None`` to
        stay out of the demo.

    Called once by ``ledgersync demo``, before it writes its config; every installed
    connector that answers gets a company in the demo.
    """


@hookspec
def ledgersync_web_mounts(ledger: Ledger, options: Mapping[str, Any]) -> Sequence[WebMount] | None:
    """Serve an ASGI app beside the Accounting Sync page (`ledgersync serve`, and
    :func:`ledgersync.web.create_app` for embedders).

    :param ledger: the open ledger the server uses.
    :param options: the values of the ``serve`` command's options; a plugin that added its
        own options to ``serve`` (in ``ledgersync_register_commands``, by appending
        ``click.Option`` objects to ``cli.commands["serve"].params``) finds them here by
        their parameter name. Embedders pass what they like (often nothing).
    :return: :class:`~ledgersync.WebMount` objects (e.g. the Web Connector endpoint at
        ``/qbwc``), or ``None``. A path already taken by the page or another plugin is
        refused as a plugin error.

    Called once when the web app is built. Import the ASGI app's modules here, not at the
    top of the plugin module.
    """


@hookspec
def ledgersync_web_company_tools(ledger: Ledger, company: CompanyConfig
                                 ) -> Sequence[CompanyTool] | None:
    """Offer forms on a company's tools page of the Accounting Sync page: set a connector's
    credentials, download its setup file.

    :param ledger: the open ledger the page uses.
    :param company: the company whose page is shown (offer tools only for your connector's
        companies).
    :return: :class:`~ledgersync.CompanyTool` objects, or ``None``. Each tool's ``run`` is
        called in a worker thread with the submitted values, after the page checked the
        operator's role and the CSRF token.

    Called whenever the tools page is shown or a tool is used; keep it cheap.
    """
