"""Commands: `ledgersync qbd set-password|qwc|lists|drift`, `ledgersync sandbox qbd`, and the
Web Connector's options of the core's `ledgersync serve`.

Heavy imports (uvicorn, zeep, the SOAP server) happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ledgersync import LedgerSyncError
from ledgersync.cli.helpers import State, console, known_company, pass_state

from .qbxml.lists import LISTS

#: Options the Web Connector endpoint adds to the core's `ledgersync serve`; their values
#: reach ``ledgersync_web_mounts`` (plugin.py) as ``options``.
SERVE_OPTIONS = [
    click.Option(["--qbwc-path", "qbwc_path"], default="/qbwc", show_default=True,
                 help="Where the QuickBooks Web Connector endpoint is served."),
    click.Option(["--public-url", "qbwc_public_url"],
                 help="The URL the Web Connector uses, for the WSDL (default: taken from each "
                 "request)."),
    click.Option(["--min-client-version", "qbwc_min_client_version"], default="",
                 help="Oldest Web Connector version to accept, e.g. 2.1.0.30."),
    click.Option(["--client-version-policy", "qbwc_client_version_policy"],
                 type=click.Choice(["warn", "error", "upgrade"]), default="warn",
                 show_default=True,
                 help="What an older Web Connector is told: W: warn, E: refuse, O: upgrade."),
]


@click.group()
def qbd() -> None:
    """QuickBooks Desktop: Web Connector passwords, .qwc files, QuickBooks lists."""


def _qbd_company(state: State, company: str) -> Any:
    ledger = state.ledger()
    config = ledger.config.companies[company]
    if config.connector != "qbd":
        raise click.BadParameter(f"company {company!r} uses connector {config.connector!r}, "
                                 "not qbd")
    return ledger


@qbd.command("set-password")
@click.argument("company", callback=known_company)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_state
def set_password(state: State, company: str, password_stdin: bool) -> None:
    """Store the company's Web Connector password (as a scrypt hash, never in clear)."""
    from .qbwc.auth import SECRET_NAME, hash_password

    ledger = _qbd_company(state, company)
    ledger.secrets(company).check_key()  # before the prompt, not after the typing
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Web Connector password", hide_input=True,
                                confirmation_prompt=True)
    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters")
    ledger.secrets(company).set(SECRET_NAME, hash_password(password))
    console.print(f"password set for company {company!r}; type the same one into the Web "
                  "Connector", highlight=False)


@qbd.command("qwc")
@click.argument("company", callback=known_company)
@click.option("--url", required=True, help="The endpoint URL, e.g. https://sync.example.org/qbwc")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              help="Write here (default: COMPANY.qwc).")
@click.option("--support-url", help="AppSupport (default: the URL's site root).")
@click.option("--every", type=click.IntRange(0, 1440), default=None,
              help="Minutes between automatic updates (0: none; default: the company's "
              "schedule, else 60).")
@pass_state
def qwc(state: State, company: str, url: str, output: Path | None, support_url: str | None,
        every: int | None) -> None:
    """Write the .qwc file to open in the Web Connector for COMPANY."""
    from .qwc import file_id, qwc_text, url_problem

    ledger = _qbd_company(state, company)
    config = ledger.config.companies[company]
    settings = ledger.connector(company).settings
    problem = url_problem(url)
    if problem is not None:
        console.print(f"[bold yellow]warning:[/] {problem}", highlight=False)
    minutes = every if every is not None else (config.schedule_minutes or 60)
    text = qwc_text(company=company, url=url, username=settings.username,
                    file_guid=file_id(ledger.state(company)),
                    support_url=support_url, every_minutes=minutes)
    target = output or Path(f"{company}.qwc")
    target.write_text(text, encoding="utf-8")
    console.print(f"wrote {target}: open it in the QuickBooks Web Connector (File > Add an "
                  "application) with the company file open", highlight=False)


@qbd.command("lists")
@click.argument("company", callback=known_company)
@click.option("--refresh", is_flag=True, help="Read the lists again at the next update.")
@click.option("--list", "labels", multiple=True, type=click.Choice(sorted(LISTS)),
              help="Only this list (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def lists(state: State, company: str, refresh: bool, labels: tuple[str, ...],
          as_json: bool) -> None:
    """Show the QuickBooks lists read at the last update (names to `ledgersync map` to)."""
    from .qbxml.lists import request_refresh

    ledger = _qbd_company(state, company)
    store = ledger.state(company)
    chosen = list(labels) or list(LISTS)
    if refresh:
        request_refresh(store, chosen)
        console.print(f"the next Web Connector update reads: {', '.join(chosen)}",
                      highlight=False)
        return
    found = {label: store.get(f"qbwc:list:{label}") for label in chosen}
    if as_json:
        click.echo(json.dumps(found, indent=2, sort_keys=True))
        return
    for label, data in found.items():
        if not isinstance(data, dict):
            console.print(f"{label}: not read yet (use --refresh)", highlight=False)
            continue
        rows = data.get("rows", [])
        if data.get("error"):
            when = data.get("read_at") or "never"
            console.print(f"[bold]{label}[/] [red]last read failed[/] ({data['error']}); "
                          f"{len(rows)} from the read of {when}", highlight=False)
            console.print(f"  what to do: {data.get('remedy') or 'read again: --refresh'}",
                          highlight=False, markup=False)
        else:
            console.print(f"[bold]{label}[/] read {data.get('read_at')}: {len(rows)}",
                          highlight=False)
        for row in rows:
            extra = " ".join(str(row[k]) for k in ("account_type", "account_number")
                             if row.get(k))
            inactive = "" if row.get("active", True) else " (inactive)"
            console.print(f"  {row.get('name')}  [dim]{row.get('list_id')} {extra}[/]"
                          f"{inactive}", highlight=False)


@qbd.command("drift")
@click.argument("company", callback=known_company)
@click.option("--accept", nargs=2, metavar="KIND MMS_ID",
              help="Keep the QuickBooks edit of this record: its finding leaves `status`.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_state
def drift_cmd(state: State, company: str, accept: tuple[str, str] | None,
              as_json: bool) -> None:
    """Check at the next Web Connector update what changed or was deleted in QuickBooks after
    sync; show what the last check found."""
    from .qbwc import drift

    ledger = _qbd_company(state, company)
    store = ledger.state(company)
    if accept:
        kind, mms_id = accept
        if not drift.accept(store, kind, mms_id):
            raise LedgerSyncError(f"no drift finding for {kind} {mms_id!r} of {company!r}",
                                  remedy=f"`ledgersync qbd drift {company}` lists them")
        console.print(f"{kind} {mms_id}: the QuickBooks version is kept", highlight=False)
        return
    drift.request_check(store)
    found = drift.problems(store)
    if as_json:
        click.echo(json.dumps({"checked_at": store.get(drift.CHECKED_AT),
                               "findings": [{"problem": p, "remedy": r} for p, r in found]},
                              indent=2))
        return
    console.print(f"last check: {store.get(drift.CHECKED_AT) or 'never'}; the next Web "
                  "Connector update checks again", highlight=False)
    for problem, remedy in found:
        console.print(f"- {problem}", highlight=False, markup=False)
        console.print(f"  what to do: {remedy}", highlight=False, markup=False)
    if not found:
        console.print("no differences found", highlight=False)


@click.command("qbd")
@click.option("--url", required=True, help="The endpoint, e.g. http://127.0.0.1:8080/qbwc")
@click.option("--username", required=True)
@click.option("--password", required=True, envvar="LEDGERSYNC_QBWC_PASSWORD")
@click.option("--edition", type=click.Choice(["US", "CA", "UK"]), default="US",
              show_default=True)
@click.option("--state-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Keep the simulated company file here between runs (a pickle: only load "
              "files you made).")
@click.option("--drop-response", is_flag=True, help="Lose QuickBooks' answer to the first set.")
@click.option("--die-before-run", is_flag=True, help="Die after receiving the first set.")
@click.option("--timeout", "timeout_fault", is_flag=True,
              help="Stop waiting for the server after delivering the first answer.")
@click.option("--hresult", help="Fail the first set in the request processor with this "
              "HRESULT, e.g. 0x80040402.")
def sandbox_qbd(url: str, username: str, password: str, edition: str, state_file: Path | None,
                drop_response: bool, die_before_run: bool, timeout_fault: bool,
                hresult: str | None) -> None:
    """Run one update of a simulated Web Connector and QuickBooks company file against URL."""
    from ledgersync.demo import require_extra

    from .extras import SANDBOX_EXTRA, SANDBOX_MODULES

    require_extra(SANDBOX_EXTRA, SANDBOX_MODULES, needed_by="`ledgersync sandbox qbd`")
    from .sandbox import CompanyFile
    from .sandbox.webconnector import SimulatedWebConnector

    if state_file is not None and state_file.exists():
        company = CompanyFile.restore(state_file.read_bytes())
    else:
        company = CompanyFile(edition=edition)
    connector = SimulatedWebConnector(url, username, password, company)
    for flag, kind in ((drop_response, "drop_response"), (die_before_run, "die_before_run"),
                       (timeout_fault, "timeout_after_receive")):
        if flag:
            connector.inject(kind)
    if hresult:
        connector.inject("hresult", hresult=hresult)
    try:
        report = connector.run_update()
    except Exception as exc:
        raise LedgerSyncError(f"the simulated Web Connector could not talk to {url}: {exc}",
                              remedy="Check that `ledgersync serve` runs there") from exc
    for line in report.log:
        console.print(line, highlight=False, markup=False)
    if report.outcome == "nvu":
        raise LedgerSyncError(
            f"the endpoint at {url} refused user {username!r}: wrong user name or password "
            "(authenticate answered nvu)",
            remedy="Use the company's qbd.username and the password set with `ledgersync qbd "
            "set-password COMPANY` (or its password = \"env:NAME\")")
    if report.outcome == "client refused":
        raise LedgerSyncError(f"the endpoint at {url} refused this Web Connector version",
                              remedy="See the clientVersion answer above")
    console.print(f"outcome: {report.outcome}; {report.rounds} round trip(s), "
                  f"{report.requests} request(s); progress {report.progress}",
                  highlight=False)
    customers = company.store.lists_of(("Customer",))
    txns = len(company.store.txns)
    console.print(f"company file: {len(customers)} customer(s), {txns} transaction(s)",
                  highlight=False)
    if state_file is not None:
        state_file.write_bytes(company.snapshot())
