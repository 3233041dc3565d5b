"""What a plugin's commands share with the core's: the click state object (config path, the
open ledger), the consoles, JSON and table output, and company checks.

A plugin adds its commands through the ``ledgersync_register_commands`` hook and builds them
from these names only; everything else under ``ledgersync.cli`` is internal and may change::

    import click
    from ledgersync.cli.helpers import State, known_company, pass_state, table

    @click.command("balances")
    @click.argument("company", callback=known_company)
    @pass_state
    def balances(state: State, company: str) -> None:
        report = state.ledger().reconcile(company)
        table(company, ["member", "difference"],
              [(c.member_id, c.difference) for c in report.customers])
"""

from __future__ import annotations

from ._common import (
    CONFIG_ENV,
    State,
    actor,
    console,
    err_console,
    json_default,
    json_option,
    known_company,
    pass_state,
    print_json,
    table,
)

__all__ = [
    "CONFIG_ENV",
    "State",
    "actor",
    "console",
    "err_console",
    "json_default",
    "json_option",
    "known_company",
    "pass_state",
    "print_json",
    "table",
]
