"""`ledgersync reconcile`: does the accounting system tie out with the MMS, per customer or per
GL account, as of a date; every difference explained; the monthly sign-off. `ledgersync note`
documents a difference (and may accept it)."""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import sys
from typing import Any

import click

from .._engine.filters import ItemFilter
from .._engine.reconcile import serialize
from .._engine.reconcile.model import (
    AccountBalance,
    AccountsReport,
    CustomerBalance,
    Explanation,
    ReconcileReport,
    SignOff,
)
from .._engine.reconcile.remedies import unmapped_account
from .._engine.statuses import Status
from .._ledger_api import Ledger
from ._common import (
    State,
    _parse_date,
    actor,
    console,
    err_console,
    json_option,
    known_company,
    pass_state,
    print_json,
    table,
)


def _parse_period(_ctx: click.Context, _param: click.Parameter, value: str | None
                  ) -> tuple[dt.date, dt.date] | None:
    if value is None:
        return None
    year, dash, month = value.partition("-")
    try:
        if not (dash and len(year) == 4 and len(month) == 2):
            raise ValueError(value)
        first = dt.date(int(year), int(month), 1)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a month like 2026-03") from None
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return first, last


@click.command()
@click.argument("company", callback=known_company)
@click.option("--as-of", callback=_parse_date, metavar="YYYY-MM-DD",
              help="Only transactions dated on or before this day.")
@click.option("--accounts", is_flag=True,
              help="Tie out per GL account (debits and credits) instead of per customer.")
@click.option("--from", "date_from", callback=_parse_date, metavar="YYYY-MM-DD",
              help="With --accounts: the period's first day (default: since the beginning).")
@click.option("--to", "date_to", callback=_parse_date, metavar="YYYY-MM-DD",
              help="With --accounts: the period's last day (default: --as-of, else today).")
@click.option("--period", callback=_parse_period, metavar="YYYY-MM",
              help="One month: with --accounts its activity, else receivable at its end.")
@click.option("--all", "show_all", is_flag=True,
              help="List every customer or account, not just differences.")
@click.option("--sign", "signed_by", metavar="NAME",
              help="Store this reconciliation as signed by NAME (needs --as-of or --period).")
@click.option("--history", is_flag=True, help="List the signed reconciliations instead.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (for a spreadsheet).")
@json_option
@pass_state
def reconcile(state: State, company: str, as_of: dt.date | None, accounts: bool,
              date_from: dt.date | None, date_to: dt.date | None,
              period: tuple[dt.date, dt.date] | None, show_all: bool, signed_by: str | None,
              history: bool, as_csv: bool, as_json: bool) -> None:
    """Compare the MMS with the accounting system; exit 1 unless it ties out.

    Per customer (receivable, as of a date) by default, per GL account with --accounts. Each
    difference is listed with the transactions behind it, its cause and what to do.
    """
    if as_csv and as_json:
        raise click.UsageError("choose --json or --csv, not both")
    if (date_from or date_to) and not accounts:
        raise click.UsageError("--from and --to are for --accounts; use --as-of per customer")
    if period and (date_from or date_to or as_of):
        raise click.UsageError("--period is one month: give it alone, without --as-of, "
                               "--from or --to")
    if signed_by is not None and not signed_by.strip():
        raise click.BadParameter("give the name of who signs", param_hint="'--sign'")
    if date_from and (date_to or as_of) and date_from > (date_to or as_of or date_from):
        raise click.BadParameter(f"{date_from} is after the period's end "
                                 f"{date_to or as_of}", param_hint="'--from'")
    ledger = state.ledger()
    if history:
        _history(ledger, company, "accounts" if accounts else None, as_json, as_csv)
        return
    if accounts:
        start, end = period if period else (date_from, date_to or as_of)
        if signed_by and end is None:
            raise click.UsageError("a sign-off covers a period: give --to (or --as-of, or "
                                   "--period) with --sign")
        report: ReconcileReport | AccountsReport = ledger.reconcile_accounts(
            company, start=start, end=end)
    else:
        day = period[1] if period else as_of
        if signed_by and day is None:
            raise click.UsageError("a sign-off is as of a date: give --as-of (the month end) "
                                   "or --period with --sign")
        report = ledger.reconcile(company, as_of=day)
    signed = ledger.sign_reconciliation(report, signed_by=signed_by) if signed_by else None
    if as_json:
        body = serialize.customers_report(report, every=show_all) \
            if isinstance(report, ReconcileReport) \
            else serialize.accounts_report(report, every=show_all)
        print_json({**body, "signed": serialize.signoff(signed)})
    elif as_csv:
        _csv(report, show_all)
    elif isinstance(report, ReconcileReport):
        _print_customers(ledger, report, show_all)
    else:
        _print_accounts(report, show_all)
    if signed is not None and not as_json and not as_csv:
        console.print(f"signed by {signed.signed_by} at {signed.signed_at:%Y-%m-%d %H:%M} UTC "
                      f"(`ledgersync reconcile {company} --history`)", highlight=False,
                      markup=False)
    if report.ties_out:
        if not as_json and not as_csv:
            console.print("[bold green]ties out to the cent[/]")
        return
    err_console.print("does not tie out: see the differences above", highlight=False)
    sys.exit(1)


# -- per customer --------------------------------------------------------------------------------


def _causes(row: CustomerBalance | AccountBalance) -> str:
    causes = list(dict.fromkeys(e.cause.value.replace("_", " ") for e in row.explanations))
    if row.unexplained:
        causes.append(f"unexplained {row.unexplained}")
    return ", ".join(causes) or ("ties out" if row.ties_out else "")


def _transaction(e: Explanation) -> str:
    name = e.kind.replace("_", " ")
    if e.item_id is None:
        return f"{name} {e.remote_id} (books only)"
    return f"{name} {e.mms_id} (item {e.item_id})"


def _what(e: Explanation) -> str:
    status = e.status.replace("_", " ") if e.status and e.cause.value == "not_synced" else ""
    noted = "; ".join(f"noted by {n}" for n in e.notes if e.cause.value != "accepted")
    return "; ".join(part for part in (": ".join(p for p in (status, e.reason) if p), noted)
                     if part)


def _starts_from(signoff: SignOff | None) -> None:
    if signoff is None:
        return
    console.print(f"starts from the reconciliation as of {signoff.as_of} signed by "
                  f"{signoff.signed_by} on {signoff.signed_at:%Y-%m-%d %H:%M} UTC: MMS "
                  f"{signoff.total_mms}, books {signoff.total_books}, "
                  f"{signoff.differences} difference(s)", highlight=False, markup=False)


def _print_customers(ledger: Ledger, report: ReconcileReport, show_all: bool) -> None:
    company = report.company
    _starts_from(report.starts_from)
    shown = report.customers if show_all else (*report.mismatches, *report.open_items)
    when = f" as of {report.as_of}" if report.as_of else ""
    if shown:
        table(f"{company}: receivable per customer{when}", [
            "member", "remote id", "MMS", "accounting", "difference", "cause"],
            [(c.member_id or "(no member)", c.external_id, c.mms, c.remote, c.difference,
              _causes(c) if c.explanations or report.source == "transactions"
              else _warned(ledger, company, c) or _explain(c)) for c in shown])
    explained = [(c, e) for c in shown for e in c.explanations]
    if explained:
        table("the transactions behind the differences", [
            "customer", "transaction", "date", "amount", "cause", "what happened",
            "what to do"],
            [(c.member_id or c.external_id, _transaction(e), e.date, e.amount,
              e.cause.value.replace("_", " "), _what(e), e.remedy or "") for c, e in explained])
    console.print(
        f"{company}{when}: MMS {report.total_mms} vs accounting {report.total_remote} "
        f"over {len(report.customers)} customers; {len(report.mismatches)} mismatch(es)"
        + (f", {len(report.open_items)} open item(s)" if report.open_items else "")
        + (f"; unexplained {report.unexplained}" if report.unexplained else ""),
        highlight=False)
    if report.source == "balances":
        console.print("the accounting system answered balances only: differences are "
                      "explained from the ledger's side", highlight=False)
    if report.not_exported:
        console.print(f"not exported on purpose (no-go or cleared): {report.not_exported}",
                      highlight=False)
    if report.awaiting_confirmation:
        console.print("staged, waiting for the accounting system to confirm (not in the "
                      f"books yet): {report.awaiting_confirmation}", highlight=False)


#: How a connector's export warning starts when the accounting system computed a different
#: sales tax than the MMS (QuickBooks Online computes it from the tax code it is given).
TAX_WARNING = "tax computed differently"


def _warned(ledger: Ledger, company: str, customer: Any) -> str | None:
    """A synced document of this customer whose export was warned that the accounting system
    computed a different tax: the difference is that, not an edit made there. (For a
    connector that answers balances only; with the books' transactions the tax difference
    is an explanation of its own.)"""
    if customer.ties_out or customer.explanations or customer.member_id is None:
        return None
    documents = ledger.items(ItemFilter(company=company, member=customer.member_id,
                                        status=[Status.SYNCED]), limit=None)
    for item in documents:  # a synced item's reason holds its export warnings
        if item.reason and TAX_WARNING in item.reason:
            return f"{item.kind} {item.mms_id}: {item.reason[item.reason.index(TAX_WARNING):]}"
    return None


def _explain(customer: Any) -> str:
    if getattr(customer, "ties_out", False):
        return "ties out"  # nothing to explain, nothing to do
    if getattr(customer, "member_id", None) is None:
        return "a customer in the accounting system no MMS member is linked to"
    return (f"unexplained {customer.unexplained}: everything is synced: changed or deleted "
            "in the accounting system? `ledgersync resync` or `ledgersync unlink` the "
            "records concerned")


# -- per account ---------------------------------------------------------------------------------


def _print_accounts(report: AccountsReport, show_all: bool) -> None:
    company = report.company
    _starts_from(report.starts_from)
    period = f"{report.start} to {report.end}" if report.start else f"up to {report.end}"
    shown = report.accounts if show_all else [a for a in report.accounts
                                              if not a.ties_out or a.explanations]
    if shown:
        table(f"{company}: GL accounts, {period}", [
            "account", "books id", "name", "MMS debit", "MMS credit", "books debit",
            "books credit", "difference", "cause"],
            [(a.account_id, a.external_id, a.name, a.mms_debit, a.mms_credit, a.books_debit,
              a.books_credit, a.difference, _causes(a)) for a in shown])
    explained = [(a, e) for a in shown for e in a.explanations]
    if explained:
        table("the transactions behind the differences", [
            "account", "transaction", "date", "amount", "cause", "what happened",
            "what to do"],
            [(a.account_id, _transaction(e), e.date, e.amount, e.cause.value.replace("_", " "),
              _what(e), e.remedy or "") for a, e in explained])
    for account_id, amount in report.unmapped:
        console.print(f"not compared: {account_id} ({amount} posted) has no account in the "
                      f"books: {_unmapped_remedy(company, account_id)}", highlight=False,
                      markup=False)
    console.print(f"{company} {period}: {len(report.accounts)} account(s), "
                  f"{len(report.mismatches)} differ, {len(report.unmapped)} not mapped",
                  highlight=False)


def _unmapped_remedy(company: str, account_id: str) -> str:
    if account_id.startswith("item "):
        return (f"give {account_id} an income_account_id in the MMS, or put an account on "
                "its lines")
    if account_id.startswith("("):
        return ("the accounting system named no such account: check the connector's "
                "account_activity answer")
    return unmapped_account(company, account_id)


# -- CSV and history -----------------------------------------------------------------------------


def _csv(report: ReconcileReport | AccountsReport, show_all: bool) -> None:
    writer = csv.writer(sys.stdout, lineterminator="\n")
    detail = ["cause", "transaction", "item_id", "remote_id", "date", "amount", "reason",
              "remedy"]
    rows: list[tuple[list[Any], tuple[Explanation, ...]]] = []
    if isinstance(report, ReconcileReport):
        head = ["member_id", "external_id", "mms", "books", "difference", "unexplained"]
        for c in report.customers:
            if show_all or not c.ties_out or c.explanations:
                rows.append(([c.member_id, c.external_id, c.mms, c.remote, c.difference,
                              c.unexplained], c.explanations))
    else:
        head = ["account_id", "external_id", "name", "mms_debit", "mms_credit", "books_debit",
                "books_credit", "difference", "unexplained"]
        for a in report.accounts:
            if show_all or not a.ties_out or a.explanations:
                rows.append(([a.account_id, a.external_id, a.name, a.mms_debit, a.mms_credit,
                              a.books_debit, a.books_credit, a.difference, a.unexplained],
                             a.explanations))
    writer.writerow(head + detail)
    for fields, explanations in rows:
        if not explanations:
            writer.writerow([*fields, *[""] * len(detail)])
        for e in explanations:
            writer.writerow([*fields, e.cause.value, _transaction(e), e.item_id, e.remote_id,
                             e.date, e.amount, e.reason, e.remedy])


def _history(ledger: Ledger, company: str, kind: str | None, as_json: bool,
             as_csv: bool) -> None:
    signoffs = ledger.reconciliations(company, kind=kind)
    if as_json:
        print_json([serialize.signoff(s) for s in signoffs])
        return
    rows = [(s.kind, f"{s.period_start} to {s.as_of}" if s.period_start else str(s.as_of),
             s.total_mms, s.total_books, s.differences, s.signed_by,
             f"{s.signed_at:%Y-%m-%d %H:%M} UTC") for s in signoffs]
    columns = ["kind", "as of", "MMS", "accounting", "differences", "signed by", "signed at"]
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
        return
    table(f"{company}: signed reconciliations", columns, rows)


# -- notes ---------------------------------------------------------------------------------------


@click.command()
@click.argument("company", callback=known_company)
@click.argument("target", metavar="ITEM")
@click.argument("text")
@click.option("--accept", is_flag=True,
              help="Accept the difference: reconcile shows it as accepted from now on.")
@pass_state
def note(state: State, company: str, target: str, text: str, accept: bool) -> None:
    """Note a reconciliation difference: ITEM is an item id, or KIND:REMOTE_ID for a
    transaction that is in the books only (e.g. invoice:1017). A note on an item is also
    kept in its history."""
    noted = state.ledger().note_difference(company, target, text, accept=accept,
                                           actor=actor())
    what = f"item {noted.item_id}" if noted.item_id is not None \
        else f"{noted.remote_kind} {noted.remote_id} in the books"
    console.print(f"noted on {what}" + (" (accepted)" if noted.accepted else ""),
                  highlight=False, markup=False)


COMMANDS = [reconcile, note]
