"""End to end: a club's records synced into the loopback QBO sandbox through the real command
line (`ledgersync connect`, `map`, `ingest`, `run --company harbor --once`, `requeue`, `qbo
drift`, `resync`), with throttling, expired tokens, a stale SyncToken and server errors
(including 500 and 503 answered after the write was made) injected. It ends with every record
present exactly once in the sandbox and every customer's balance equal to the MMS balance."""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ledgersync import (
    CreditMemo,
    EngineSettings,
    GLAccount,
    Invoice,
    InvoiceLine,
    Item,
    JournalEntry,
    JournalLine,
    Member,
    Payment,
    PaymentApplication,
    Record,
    Refund,
    TaxRate,
    Terms,
    record_to_json,
)
from ledgersync.cli import cli, register_plugin_commands
from ledgersync_qbo.sandbox import Sandbox, SandboxConfig, jsonio, run_in_thread
from ledgersync_qbo.testing import SandboxProbe, sample_seed

D = Decimal
DAY = dt.date(2026, 3, 2)
AR = "1200"


def _tax(amount: Decimal) -> Decimal:
    return (amount * D("0.0625")).quantize(D("0.01"), rounding=ROUND_HALF_UP)


def _line(item: str, qty: str, rate: str, *, taxed: bool = False) -> InvoiceLine:
    amount = (D(qty) * D(rate)).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    return InvoiceLine(item_id=item, quantity=D(qty), rate=D(rate), amount=amount,
                       description=f"{item} x {qty}",
                       tax_rate_id="TAX-6.25" if taxed else None,
                       tax_amount=_tax(amount) if taxed else D(0))


NAMES = [("Jordan", "Alvarez"), ("Ada", "Keel"), ("Siobhán", "O'Brien"), ("Marco", "Rossi"),
         ("Lena", "Fischer"), ("Tomás", "Ortega"), ("Priya", "Shah"), ("Noah", "Berg"),
         ("Maya", "Lund"), ("Omar", "Haddad"), ("Eva", "Novak"), ("Kai", "Tan")]


def dataset() -> dict[str, Record]:
    """A marina club's quarter: members (one already a QBO customer, matched by e-mail; one
    with ':' in the name; names with apostrophes and accents), invoices with sales tax,
    payments (full, partial, across two invoices, unapplied), credit memos (one applied to an
    invoice, one refunded), refunds and journal entries (an A/R write-off, cash dues)."""
    records: list[Record] = [
        GLAccount(mms_id="4000", number="4000", name="Dues income", account_type="income"),
        GLAccount(mms_id="4100", number="4100", name="Slip income", account_type="income"),
        GLAccount(mms_id="1000", number="1000", name="Operating bank", account_type="bank"),
        GLAccount(mms_id=AR, number=AR, name="Receivables", account_type="accounts_receivable"),
        GLAccount(mms_id="6900", number="6900", name="Bad debts", account_type="expense"),
        TaxRate(mms_id="TAX-6.25", name="State sales tax", rate=D("6.25")),
        Terms(mms_id="NET30", name="Net 30", due_days=30),
        Item(mms_id="DUES", name="Annual dues", income_account_id="4000", unit_price=D("450")),
        Item(mms_id="SLIP", name="Slip rental 30ft", income_account_id="4100",
             unit_price=D("180"), taxable=True),
        Item(mms_id="EVENT", name="Regatta entry", income_account_id="4000",
             unit_price=D("40")),
    ]
    for n, (first, last) in enumerate(NAMES, start=1):
        email = "jordan.alvarez@example.org" if n == 1 else f"member{n}@club.example"
        name = "Keel: Ada" if n == 2 else f"{first} {last}"
        records.append(Member(mms_id=f"M-{n}", display_name=name, first_name=first,
                              last_name=last, email=email, account_number=f"{n:04d}"))
        records.append(Invoice(
            mms_id=f"INV-{n}A", member_id=f"M-{n}", number=f"INV-{1000 + n}A", txn_date=DAY,
            due_date=DAY + dt.timedelta(days=30), currency="USD", terms_id="NET30",
            lines=(_line("DUES", "1", "450.00"), _line("SLIP", "1", "180.00", taxed=True))))
        records.append(Invoice(
            mms_id=f"INV-{n}B", member_id=f"M-{n}", number=f"INV-{1000 + n}B",
            txn_date=DAY + dt.timedelta(days=10), currency="USD",
            lines=(_line("EVENT", str(n % 3 + 1), "40.00"),
                   *([_line("SLIP", "0.5", "180.00", taxed=True)] if n % 2 else []))))
    records += [
        # full, partial, across two invoices, and unapplied (a credit on the account)
        Payment(mms_id="PAY-1", member_id="M-1", txn_date=DAY + dt.timedelta(days=5),
                currency="USD", amount=D("641.25"), method="card", deposit_account_id="1000",
                applications=(PaymentApplication(invoice_id="INV-1A", amount=D("641.25")),)),
        Payment(mms_id="PAY-3", member_id="M-3", txn_date=DAY + dt.timedelta(days=5),
                currency="USD", amount=D("300.00"), method="check", number="CHK-3003",
                applications=(PaymentApplication(invoice_id="INV-3A", amount=D("300.00")),)),
        Payment(mms_id="PAY-4", member_id="M-4", txn_date=DAY + dt.timedelta(days=12),
                currency="USD", amount=D("721.25"), method="card",
                applications=(PaymentApplication(invoice_id="INV-4A", amount=D("641.25")),
                              PaymentApplication(invoice_id="INV-4B", amount=D("80.00")))),
        Payment(mms_id="PAY-5", member_id="M-5", txn_date=DAY + dt.timedelta(days=6),
                currency="USD", amount=D("700.00"), method="card",
                applications=(PaymentApplication(invoice_id="INV-5A", amount=D("641.25")),)),
        Payment(mms_id="PAY-6", member_id="M-6", txn_date=DAY + dt.timedelta(days=7),
                currency="USD", amount=D("100.00"), method="cash"),
        CreditMemo(mms_id="CM-7", member_id="M-7", number="CM-7", currency="USD",
                   txn_date=DAY + dt.timedelta(days=8), applied_to_invoice_id="INV-7A",
                   lines=(_line("SLIP", "1", "50.00"),)),
        CreditMemo(mms_id="CM-8", member_id="M-8", number="CM-8", currency="USD",
                   txn_date=DAY + dt.timedelta(days=8), lines=(_line("EVENT", "1", "40.00"),)),
        Refund(mms_id="RF-8", member_id="M-8", number="RF-8", currency="USD",
               txn_date=DAY + dt.timedelta(days=9), amount=D("40.00"), method="check",
               from_account_id="1000", credit_memo_id="CM-8"),
        Refund(mms_id="RF-5", member_id="M-5", currency="USD",
               txn_date=DAY + dt.timedelta(days=9), amount=D("58.75"), method="check",
               from_account_id="1000", memo="overpayment returned"),
        JournalEntry(mms_id="JE-WO-9", number="WO-9", currency="USD",
                     txn_date=DAY + dt.timedelta(days=20), memo="Write-off", lines=(
                         JournalLine(account_id="6900", debit=D("60.00")),
                         JournalLine(account_id=AR, credit=D("60.00"), member_id="M-9",
                                     description="uncollectible regatta entry"))),
        JournalEntry(mms_id="JE-CASH", currency="USD", txn_date=DAY + dt.timedelta(days=21),
                     lines=(JournalLine(account_id="1000", debit=D("250.00")),
                            JournalLine(account_id="4000", credit=D("250.00"),
                                        dimensions={"class": "Marina"}))),
    ]
    return {f"{r.kind}:{r.mms_id}": r for r in records}


def mms_balances(records: Sequence[Record]) -> dict[str, Decimal]:
    """Receivable per member as the MMS counts it (ledgersync's reconcile rules)."""
    balance: dict[str, Decimal] = defaultdict(Decimal)
    for record in records:
        if getattr(record, "voided", False):
            continue
        if isinstance(record, JournalEntry):
            for line in record.lines:
                if line.account_id == AR and line.member_id:
                    balance[line.member_id] += line.debit - line.credit
            continue
        sign = {"invoice": 1, "refund": 1, "payment": -1, "credit_memo": -1}.get(record.kind)
        member = record.customer_mms_id()
        if sign and member:
            balance[member] += sign * D(record.total())  # type: ignore[attr-defined]
    return dict(balance)


def write_jsonl(path: Path, records: Sequence[Record]) -> Path:
    path.write_text("".join(json.dumps(record_to_json(r), default=str) + "\n"
                            for r in records), encoding="utf-8")
    return path


class Cli:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.runner = CliRunner()

    def __call__(self, *args: str, code: int = 0) -> Result:
        result = self.runner.invoke(cli, ["--config", str(self.config), *args])
        assert result.exit_code == code, (args, result.output, result.exception)
        return result


@pytest.fixture(scope="module", autouse=True)
def _plugin_commands() -> None:
    register_plugin_commands()


@pytest.fixture
def club(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, Cli]]:
    sandbox = Sandbox(SandboxConfig(seed=sample_seed(), throttle_retry_after=1))
    with run_in_thread(sandbox) as url:
        monkeypatch.setenv("QBO_CLIENT_SECRET", sandbox.config.client_secret)
        config = tmp_path / "ledgersync.toml"
        config.write_text(f"""
[ledger]
url = "sqlite:///{tmp_path / 'ledger.db'}"

[companies.harbor]
connector = "qbo"
schedule = "manual"

[companies.harbor.qbo]
realm_id = "{sandbox.default_realm_id}"
client_id = "{sandbox.config.client_id}"
client_secret = "env:QBO_CLIENT_SECRET"
environment = "{url}/.well-known/openid_configuration"
api_base_url = "{url}"
timeout_seconds = 10.0
payment_methods = {{ card = "3", check = "2", cash = "1" }}
""", encoding="utf-8")
        yield sandbox, Cli(config)


def run(ledgersync: Cli) -> None:
    ledgersync("run", "--company", "harbor", "--once", "--deadline", "8")


def statuses(ledgersync: Cli) -> dict[str, int]:
    counts = json.loads(ledgersync("status", "--company", "harbor", "--json").output)["counts"]
    return {c["status"]: c["count"] for c in counts}


@pytest.mark.parametrize("claim_batch", [25, 50, 200])
def test_a_club_syncs_exactly_once_and_ties_out_through_faults(
        club: tuple[Sandbox, Cli], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        claim_batch: int) -> None:
    # However many items a claim takes (at least a QBO batch's worth, 30, whatever this says;
    # 200 claims the whole quarter at once), the same faults are met, the same outcome.
    monkeypatch.setattr("ledgersync._ledger_api.EngineSettings",
                        functools.partial(EngineSettings, claim_batch=claim_batch))
    sandbox, ledgersync = club
    records = dataset()
    ledgersync("db", "upgrade")
    ledgersync("config", "check")
    ledgersync("connect", "harbor", "--refresh-token", sandbox.issue_tokens()["refresh_token"])
    for word, mms_id, qbo_id in (("account", "4000", "79"), ("account", "4100", "80"),
                                 ("account", "1000", "35"), ("account", AR, "84"),
                                 ("account", "6900", "91"), ("tax", "TAX-6.25", "6"),
                                 ("terms", "NET30", "3")):
        ledgersync("map", word, "harbor", mms_id, qbo_id)
    ledgersync("ingest", str(write_jsonl(tmp_path / "quarter.jsonl", list(records.values()))))

    # Run 1 meets: 429s (Retry-After 1 s), an expired token, 3200 twice in a row, system
    # faults, 500 after the write (resubmitted, replayed), and a 503 after a batch was
    # written (its items wait; the stored batch is what gets resent). The payment's and the
    # credit memo's faults fail whichever request carries them, alone or in a batch (the first
    # pending match is taken: the credit memo's comes before the batches'), so the scenario
    # holds however the engine's claims fall into batches.
    sandbox.inject(429, entity="customer")
    sandbox.inject(429, entity="batch")
    sandbox.inject("3200", entity="payment", times=2, in_batch=True)
    sandbox.inject(500, entity="creditmemo", after_write=True, in_batch=True)
    sandbox.inject(500, entity="batch", after_write=True)
    sandbox.inject(503, entity="batch", after_write=True)
    sandbox.inject("10000", entity="batch")
    sandbox.expire_access_tokens()
    run(ledgersync)
    assert statuses(ledgersync).get("retry_wait"), "the 503 after a written batch must wait"
    replays = sandbox.replays
    # What waits is requeued and run again. Faults are met in the order requests are made, so
    # which run meets the last of them depends on how the claims fell into batches: a fault
    # met in the second run leaves its items waiting once more.
    for _ in range(3):
        ledgersync("requeue", "--company", "harbor", "--status", "retry-wait")
        sandbox.expire_access_tokens()
        run(ledgersync)
        if "retry_wait" not in statuses(ledgersync):
            break
    assert sandbox.replays > replays  # the stored batch was resent, and QBO replayed it
    assert sandbox.injector.pending() == []  # every injected fault was met
    # GL accounts, tax rates and terms are mapped, not exported: 7 records are not queued.
    assert statuses(ledgersync) == {"synced": len(records) - 7}

    # A bookkeeper edits an invoice in QuickBooks (its SyncToken moves on), payments already
    # moved others'; then the MMS changes both, voids an invoice and a payment.
    invoice_3a = _linked(sandbox, records["invoice:INV-3A"])
    _bookkeeper_edit(sandbox, "Invoice", invoice_3a["Id"], {"CustomerMemo": {"value": "edit"}})
    edited = sandbox.get("Invoice", invoice_3a["Id"])
    assert edited is not None
    assert edited["SyncToken"] == "2"  # the payment and the edit: our SyncToken "0" is stale
    changed = [
        _evolve(records, "invoice:INV-3A", lines=(_line("DUES", "1", "450.00"),
                                                  _line("SLIP", "2", "180.00", taxed=True))),
        _evolve(records, "invoice:INV-4B", memo="regatta fee corrected"),
        _evolve(records, "invoice:INV-10B", voided=True),
        _evolve(records, "payment:PAY-6", voided=True),
        _evolve(records, "member:M-11", email="eva.novak@club.example"),
    ]
    ledgersync("ingest", str(write_jsonl(tmp_path / "changes.jsonl", changed)))
    sandbox.inject(429, entity="invoice")
    run(ledgersync)
    assert set(statuses(ledgersync)) == {"synced"}
    assert sandbox.injector.pending() == []

    # Drift: the bookkeeper changes a total in QuickBooks; the drift check flags it in the
    # sync log with the resync command, and a resync puts the MMS version back.
    invoice_2b = _linked(sandbox, records["invoice:INV-2B"])
    _bookkeeper_edit(sandbox, "Invoice", invoice_2b["Id"], {"Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": D("10.00"),
         "SalesItemLineDetail": {"ItemRef": invoice_2b["Line"][0]["SalesItemLineDetail"][
             "ItemRef"], "Qty": 1, "UnitPrice": D("10.00")}}]})
    flagged = ledgersync("qbo", "drift", "harbor", code=1).output
    assert f"Invoice {invoice_2b['Id']} (MMS INV-2B) changed in QuickBooks" in flagged
    assert "total 120.00 → 10.00" in flagged
    assert "ledgersync resync --company harbor --kind invoice --mms-id INV-2B" in flagged
    log = ledgersync("log", "--company", "harbor", "--limit", "1").output
    assert "INV-2B" in log
    ledgersync("resync", "--company", "harbor", "--kind", "invoice", "--mms-id", "INV-2B")
    run(ledgersync)
    assert "0 record(s) changed" in ledgersync("qbo", "drift", "harbor").output

    # Exactly once, and every balance ties out.
    final = {**records, **{f"{r.kind}:{r.mms_id}": r for r in changed}}
    probe = SandboxProbe(sandbox, final.values())
    exported = [r for r in final.values() if r.kind not in (
        "gl_account", "tax_rate", "terms")]
    for record in exported:
        assert probe.count(record.kind, record.mms_id) == 1, record
    # M-1 was matched (by e-mail) to the existing customer 58: eleven customers were created.
    assert len([w for w in sandbox.writes("Customer") if w.operation == "create"]) == 11
    for entity in ("Invoice", "Payment", "CreditMemo", "JournalEntry"):
        ours = [o for o in sandbox.objects(entity) if "mms:" in str(o.get("PrivateNote"))]
        assert len(ours) == len({str(o["PrivateNote"]) for o in ours}), entity
    links = _member_links(ledgersync)
    assert links["M-1"] == "58"
    for member, balance in mms_balances(list(final.values())).items():
        assert sandbox.customer_balance(links[member]) == balance, member
    assert all(sandbox.customer_balance(links[m]) == 0 for m in links
               if m not in mms_balances(list(final.values())))


def _evolve(records: dict[str, Record], key: str, **changes: Any) -> Record:
    import attrs

    return attrs.evolve(records[key], **changes)


def _linked(sandbox: Sandbox, record: Record) -> dict[str, Any]:
    objects = SandboxProbe(sandbox, [record]).objects(record.kind, record.mms_id)
    assert len(objects) == 1
    return objects[0]


def _bookkeeper_edit(sandbox: Sandbox, entity: str, id_: str, changes: dict[str, Any]) -> None:
    import httpx

    current = sandbox.get(entity, id_)
    assert current is not None
    with httpx.Client(base_url="http://unused", transport=_transport(sandbox),
                      headers=sandbox.auth_headers()) as client:
        response = client.post(
            f"/v3/company/{sandbox.default_realm_id}/{entity.lower()}",
            content=jsonio.dumps({"Id": id_, "SyncToken": current["SyncToken"], "sparse": True,
                                  **changes}),
            headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


def _transport(sandbox: Sandbox) -> Any:
    from ledgersync_qbo.sandbox import SandboxTransport

    return SandboxTransport(sandbox)


def _member_links(ledgersync: Cli) -> dict[str, str]:
    items = json.loads(ledgersync("status", "--company", "harbor", "--kind", "member",
                                  "--items", "--json").output)
    return {i["mms_id"]: i["external_id"] for i in items if i["operation"] == "create"}
