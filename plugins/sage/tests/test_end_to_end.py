"""End to end, once per transport (XML gateway, REST API): the demo club's year posted through
the real command line (`ledgersync config
check`, `map account`, `ingest`, `run --once`, `requeue`, `status`, `sage accounts`), run as a
separate process, into the sandbox served on loopback HTTP, with a closed period, a missing
dimension, an answer lost after the post, a late answer and a throttle injected. It ends with
every entry posted exactly once, debits equal to credits, and every account's balance in
Intacct equal to the MMS ledger's."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from ledgersync import (
    CreditMemo,
    Invoice,
    Item,
    JournalEntry,
    Payment,
    Record,
    Refund,
    record_to_json,
)
from ledgersync.demo.dataset import generate
from ledgersync_sage.sandbox import Sandbox, SandboxConfig
from ledgersync_sage.sandbox.server import run_in_thread

pytestmark = pytest.mark.slow
ZERO = Decimal("0.00")
AR, UNDEPOSITED, TAX = "1200", "1499", "2200"


def mms_balances(records: Sequence[Record]) -> dict[str, Decimal]:
    """Debits minus credits per account, as the MMS's own books have them."""
    income = {r.mms_id: r.income_account_id for r in records if isinstance(r, Item)}
    balance: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for record in records:
        if isinstance(record, Invoice | CreditMemo):
            sign = 1 if isinstance(record, Invoice) else -1
            for line in record.lines:
                account = income[line.item_id] if line.item_id else line.account_id
                assert account is not None
                balance[account] -= sign * line.amount
                balance[TAX] -= sign * line.tax_amount
                balance[AR] += sign * (line.amount + line.tax_amount)
        elif isinstance(record, Payment):
            balance[record.deposit_account_id or UNDEPOSITED] += record.amount
            balance[AR] -= record.amount
        elif isinstance(record, Refund):
            balance[AR] += record.amount
            balance[record.from_account_id] -= record.amount
        elif isinstance(record, JournalEntry):
            for jl in record.lines:
                balance[jl.account_id] += jl.debit - jl.credit
    return {account: amount for account, amount in balance.items() if amount}


class Cli:
    """`ledgersync` as a user runs it: a separate process, JSON where it is read back."""

    def __init__(self, config: Path) -> None:
        self.config = config

    def __call__(self, *args: str, codes: tuple[int, ...] = (0,)) -> str:
        env = {**os.environ, "COLUMNS": "200"}
        done = subprocess.run([sys.executable, "-m", "ledgersync.cli", "--config",
                               str(self.config), *args], capture_output=True, text=True,
                              env=env, timeout=300, check=False)
        assert done.returncode in codes, (args, done.stdout, done.stderr)
        return done.stdout

    def statuses(self) -> dict[str, int]:
        counts = json.loads(self("status", "--company", "harbor", "--json"))["counts"]
        return {c["status"]: c["count"] for c in counts}

    def run(self, seconds: int = 15, codes: tuple[int, ...] = (0,)) -> None:
        """`run --once`; it exits 3 while items need a person."""
        self("run", "--company", "harbor", "--once", "--deadline", str(seconds), codes=codes)


def transport_text(api: str, url: str) -> str:
    if api == "rest":
        return f"""api = "rest"
client_id = "ls-client"
client_secret = "env:SAGE_CLIENT_SECRET"
api_base_url = "{url}/ia/api/v1"
"""
    return f"""sender_id = "ls_sender"
sender_password = "env:SAGE_SENDER_PASSWORD"
user_id = "mms_api_user"
user_password = "env:SAGE_USER_PASSWORD"
endpoint_url = "{url}/ia/xml/xmlgw.phtml"
"""


def config_text(tmp_path: Path, url: str, api: str, extra: str = "") -> str:
    return f"""
[ledger]
url = "sqlite:///{tmp_path / 'ledger.db'}"

[companies.harbor]
connector = "sage"
schedule = "manual"

[companies.harbor.sage]
{transport_text(api, url)}company_id = "HARBORCLUB"
ar_account = "{AR}"
tax_payable_account = "{TAX}"
undeposited_funds_account = "{UNDEPOSITED}"
timeout_seconds = 1.0
{extra}
"""


@pytest.fixture(params=["xml", "rest"])
def club(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
         ) -> Iterator[tuple[Sandbox, Cli, str]]:
    sandbox = Sandbox(SandboxConfig(retry_after=1.0))
    monkeypatch.setenv("SAGE_SENDER_PASSWORD", "sender-pass")
    monkeypatch.setenv("SAGE_USER_PASSWORD", "user-pass")
    monkeypatch.setenv("SAGE_CLIENT_SECRET", "ls-client-secret")
    with run_in_thread(sandbox) as url:
        config = tmp_path / "ledgersync.toml"
        config.write_text(config_text(tmp_path, url, request.param), encoding="utf-8")
        cli = Cli(config)
        cli("db", "upgrade")
        yield sandbox, cli, f"{url} {request.param}"


def write_jsonl(path: Path, records: Sequence[Record]) -> Path:
    path.write_text("".join(json.dumps(record_to_json(r), default=str) + "\n"
                            for r in records), encoding="utf-8")
    return path


def test_the_demo_year_posts_exactly_once_and_ties_out_per_account(
        club: tuple[Sandbox, Cli, str], tmp_path: Path) -> None:
    sandbox, ledgersync, where = club
    url, api = where.split()
    dataset = generate(members=40)
    records = list(dataset.records)
    year = dataset.year
    books = sandbox.company()

    ledgersync("config", "check")
    listed = json.loads(ledgersync("sage", "accounts", "harbor", "--json"))
    numbers = {row.get("ACCOUNTNO") or row.get("id") for row in listed}
    assert numbers >= {"1000", "1200", "4000", "4200"}
    for account in ("1000", "1200", "1499", "2200", "4000", "4200"):
        ledgersync("map", "account", "harbor", account, account)
    ledgersync("ingest", str(write_jsonl(tmp_path / "year.jsonl", records)))

    # The problems of the first run.
    books.closed_through = dt.date(year, 1, 31)  # January is closed in Intacct
    books.accounts["4200"].requires.add("DEPARTMENT")  # event income needs a department
    post = "<create><GLBATCH>" if api == "xml" else '"glJournal"'
    sandbox.inject("lost", match=post)
    sandbox.inject("timeout", match=post, delay=3.0)
    sandbox.inject("throttle", match=post)
    sandbox.inject("http_503", match=post)
    ledgersync.run(codes=(3,))  # items need a person: the closed period, the dimension
    first = ledgersync.statuses()
    assert first.get("blocked"), "4100 is unmapped: the slip invoices wait for it"
    assert first.get("error"), "January and event income are refused"
    errors = json.loads(ledgersync("status", "--company", "harbor", "--json"))["errors"]
    text = json.dumps(errors)
    assert "Reopen the period" in text
    assert "default_dimensions.department" in text

    # The fixes, as the remedies say.
    ledgersync("map", "account", "harbor", "4100", "4100")
    books.closed_through = None
    Path(ledgersync.config).write_text(config_text(
        tmp_path, url, api, 'default_dimensions = { department = "EVENTS" }'),
        encoding="utf-8")
    ledgersync("requeue", "--company", "harbor", "--status", "error")
    for _ in range(6):
        if "retry_wait" in ledgersync.statuses():  # transient waits: no need to sit them out
            ledgersync("requeue", "--company", "harbor", "--status", "retry-wait")
        ledgersync.run(seconds=40, codes=(0, 3))
        if set(ledgersync.statuses()) == {"synced"}:
            break
    assert set(ledgersync.statuses()) == {"synced"}
    assert sandbox.faults.pending() == 0, "every injected fault was met"

    # Exactly once.
    for record in records:
        if record.kind in ("invoice", "payment", "credit_memo", "refund", "journal_entry",
                           "member"):
            assert sandbox.count(record.kind, record.mms_id) == 1, record
    references = [b.reference_no for b in books.batches.values()]
    assert len(references) == len(set(references))

    # Debits equal credits, entry by entry, and the books tie out per account.
    for batch in books.batches.values():
        signed = sum((Decimal(line["TRX_AMOUNT"]) * (1 if line["TR_TYPE"] == "1" else -1)
                      for line in batch.lines), ZERO)
        assert signed == 0, batch.reference_no
    expected = mms_balances(records)
    assert {a: v for a, v in sandbox.balances().items() if v} == expected
