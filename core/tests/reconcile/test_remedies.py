"""Every command a reconciliation remedy names exists and parses with the real command line
(as `tests/test_docs_commands.py` checks the documentation's commands)."""

from __future__ import annotations

import datetime as dt
import re
import shlex
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
import pytest

from ledgersync import Ledger
from ledgersync.cli import cli
from ledgersync.cli.helpers import State

from .conftest import explanations, invoice

D = Decimal
_COMMAND = re.compile(r"`(ledgersync [^`]+)`")


@pytest.fixture
def every_cause(harbor: Ledger, world: Any) -> Ledger:
    books = world.books()
    books.edit("invoice", "I2", amount=D("70.00"))
    books.void("invoice", "I3")
    books.reapply("payment", "P1", ["I2"])
    books.enter_by_hand("invoice", "M3", D("25.00"), txn_date=dt.date(2026, 3, 4))
    books.set_tax_rate(books.find("tax_rate", "TX").external_id, D("9"))
    harbor.record([invoice("I4", "M3", "200.00", tax="16.50")])
    harbor.sync("harbor")
    books.set_active("gl_account", "4000", False)
    harbor.record([invoice("I5", "M3", "30.00"), invoice("I7", "M2", "1.00", account="4999")])
    harbor.sync("harbor")
    harbor.record([invoice("I6", "M3", "12.00")])
    books.edit("invoice", "I1", amount=D("108.26"))
    return harbor


def _parse(words: list[str], config: Path) -> None:
    state = State(config_path=config)
    context = click.Context(cli, info_name="ledgersync", obj=state)
    rest: list[str] = words[1:]
    command: click.Command = cli
    with context:
        while isinstance(command, click.Group):
            name, found, rest = command.resolve_command(context, rest)
            assert found is not None, words
            assert name is not None, words
            if not rest:
                return  # prose naming a command ("map it with `ledgersync map account`")
            context = found.make_context(name, rest, parent=context)
            command = found
            if isinstance(found, click.Group):
                rest = [*context._protected_args, *context.args]


def test_every_remedy_names_commands_that_parse(every_cause: Ledger, world: Any,
                                               tmp_path: Path) -> None:
    config = tmp_path / "ledgersync.toml"
    config.write_text('[companies.harbor]\nconnector = "fake"\n[companies.harbor.fake]\n'
                      'books_path = "b.db"\n', encoding="utf-8")
    customers = every_cause.reconcile("harbor")
    accounts = every_cause.reconcile_accounts("harbor", end=dt.date(2026, 3, 31))
    found = explanations(customers) + explanations(accounts)
    causes = {e.cause.value for e in found}
    assert causes >= {"edited_in_books", "deleted_in_books", "tax_differs", "applied_elsewhere",
                      "posted_outside", "not_synced", "rounding"}
    commands = {command for e in found for command in _COMMAND.findall(e.remedy or "")}
    assert {c.split()[1] for c in commands} >= {"run", "requeue", "resync", "unlink", "map",
                                                "note"}
    for command in sorted(commands):
        _parse(shlex.split(command.replace("REMOTE_ID", "99")), config)
