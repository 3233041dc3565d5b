"""Mappings and companies: map account/item/tax/customer, companies list/resume/in-sync date."""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa

from .._engine.statuses import Status
from .._ledger.database import read_connection
from .._ledger.schema import mappings, sync_item_dependencies, sync_items
from ._common import (
    State,
    actor,
    console,
    json_option,
    known_company,
    pass_state,
    print_json,
    table,
)

_KINDS = {"account": "gl_account", "item": "item", "tax": "tax_rate", "customer": "member",
          "terms": "terms"}
#: The `ledgersync map WORD` of each record kind.
MAP_WORDS = {kind: word for word, kind in _KINDS.items()}


@click.group("map")
def map_group() -> None:
    """Map MMS accounts, items, tax rates and members to the accounting system's."""


def _map_command(word: str, kind: str) -> click.Command:
    @click.command(word, help=f"Link an MMS {word} to a remote one, or list mappings and what "
                   f"is unmapped (no ids). Example: ledgersync map {word} harbor 4000 81")
    @click.argument("company", callback=known_company)
    @click.argument("mms_id", required=False)
    @click.argument("external_id", required=False)
    @click.option("--name", help="The remote record's name, for display.")
    @click.option("--remove", is_flag=True, help="Remove the mapping of MMS_ID.")
    @json_option
    @pass_state
    def command(state: State, company: str, mms_id: str | None, external_id: str | None,
                name: str | None, remove: bool, as_json: bool) -> None:
        ledger = state.ledger()
        if remove:
            if mms_id is None:
                raise click.UsageError("--remove needs the MMS id")
            removed = ledger.unmap(company, kind, mms_id)
            console.print("removed" if removed else f"{word} {mms_id} was not mapped",
                          markup=False)
            return
        if mms_id is None:
            _list(state, company, kind, word, as_json)
            return
        if external_id is None:
            raise click.UsageError(f"give the remote id: ledgersync map {word} {company} "
                                   f"{mms_id} REMOTE_ID")
        released = ledger.map(company, kind, mms_id, external_id, external_name=name,
                              actor=actor())
        console.print(f"mapped {word} {mms_id} → {external_id}; {released} blocked item(s) "
                      "released", highlight=False, markup=False)

    return command


def _list(state: State, company: str, kind: str, word: str, as_json: bool) -> None:
    ledger = state.ledger()
    ledger._context.company(company)
    deps = sync_item_dependencies
    with read_connection(ledger._database) as conn:
        mapped = conn.execute(sa.select(mappings).where(
            mappings.c.company == company, mappings.c.kind == kind)
            .order_by(mappings.c.mms_id)).all()
        unmapped = conn.execute(
            sa.select(deps.c.mms_id, sa.func.count().label("blocked"))
            .join(sync_items, sync_items.c.id == deps.c.item_id)
            .where(deps.c.company == company, deps.c.kind == kind,
                   sync_items.c.status == Status.BLOCKED.value)
            .group_by(deps.c.mms_id).order_by(deps.c.mms_id)
        ).all()
    if as_json:
        print_json({
            "mapped": [{"mms_id": m.mms_id, "external_id": m.external_id,
                        "external_name": m.external_name, "mapped_by": m.mapped_by}
                       for m in mapped],
            "unmapped": [{"mms_id": u.mms_id, "blocked_items": u.blocked} for u in unmapped],
        })
        return
    table(f"{company}: {word} mappings", ["MMS id", "remote id", "remote name", "by"],
          [(m.mms_id, m.external_id, m.external_name, m.mapped_by) for m in mapped])
    if unmapped:
        table(f"{company}: unmapped {word}s that block items", ["MMS id", "blocked items"],
              [(u.mms_id, u.blocked) for u in unmapped])


for _word, _kind in _KINDS.items():
    map_group.add_command(_map_command(_word, _kind))


@click.group()
def companies() -> None:
    """Companies: state, pauses, in-sync dates."""


@companies.command("list")
@json_option
@pass_state
def companies_list(state: State, as_json: bool) -> None:
    """Each configured company, its connector and whether it is paused."""
    ledger = state.ledger()
    states = {c.name: c for c in ledger.companies()}
    rows = []
    for company in ledger.config.companies.values():
        s = states.get(company.name)
        rows.append({
            "name": company.name, "connector": company.connector, "enabled": company.enabled,
            "approval_required": company.approval_required,
            "in_sync_date": (s.in_sync_date if s and s.in_sync_date else company.in_sync_date),
            "paused": s.paused_reason if s else None,
            "what_to_do": s.paused_remedy if s else None,
        })
    if as_json:
        print_json(rows)
        return
    table("companies", ["name", "connector", "enabled", "approval", "in-sync date", "paused",
                        "what to do"], [tuple(r.values()) for r in rows])


@companies.command("resume")
@click.argument("company", callback=known_company)
@pass_state
def companies_resume(state: State, company: str) -> None:
    """Lift a pause after reconnecting or fixing the settings."""
    if state.ledger().resume(company, actor=actor()):
        console.print(f"{company} resumed")
    else:
        console.print(f"{company} was not paused")


@companies.command("set-in-sync-date")
@click.argument("company", callback=known_company)
@click.argument("date", type=click.DateTime(formats=["%Y-%m-%d"]))
@pass_state
def companies_set_in_sync_date(state: State, company: str, date: dt.datetime) -> None:
    """Transactions dated before DATE are not exported (the books agreed up to then)."""
    held, released = state.ledger().set_in_sync_date(company, date.date(), actor=actor())
    console.print(f"in-sync date of {company} is now {date.date()}: {held} item(s) marked "
                  f"no-go, {released} released", highlight=False)


COMMANDS = [map_group, companies]
