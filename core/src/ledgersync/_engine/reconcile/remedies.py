"""The remedy of each cause: what a person does, as commands that exist (the test
``core/tests/reconcile/test_remedies.py`` parses every command a remedy names)."""

from __future__ import annotations

import shlex
from typing import Any

from ..statuses import Status


def quote(word: str) -> str:
    return shlex.quote(word)


def note_command(company: str, target: str, why: str = "why") -> str:
    """`ledgersync note` marking a difference accepted: ``target`` is an item id or the books'
    ``kind:remote_id``."""
    return f"`ledgersync note {quote(company)} {quote(target)} {quote(why)} --accept`"


def accept(company: str, target: str) -> str:
    return f"or note it as accepted: {note_command(company, target)}"


def not_synced(company: str, item: Any) -> str:
    """What makes an item that is not in the books yet get there, by its status."""
    run = f"`ledgersync run --company {quote(company)}`"
    status = item.status
    if status in (Status.PENDING.value, Status.RETRY_WAIT.value, Status.IN_DOUBT.value,
                  Status.IN_FLIGHT.value):
        return f"the next run sends it: {run}"
    if status == Status.AWAITING_APPROVAL.value:
        return f"approve it: `ledgersync approve {quote(company)} --ids {item.id}`"
    if status == Status.BLOCKED.value:
        return (f"sync or map what it waits for ({item.status_reason or 'see its history'}), "
                f"then {run}")
    if status == Status.STAGED.value:
        return ("wait for the accounting system to confirm it (each run asks: "
                f"{run})")
    fix = item.error_remedy or "fix the cause shown by `ledgersync history " \
        f"{item.id}`"
    requeue = f"`ledgersync requeue {item.id}`"
    if "requeue" in fix.lower():  # the connector's remedy already ends with "then requeue"
        return f"{fix.rstrip('.')}: {requeue}"
    return f"{fix.rstrip('.')}; then {requeue}"


def edited(company: str, item_id: int) -> str:
    return (f"send the MMS version again: `ledgersync resync {item_id}`, "
            + accept(company, str(item_id)))


def deleted(company: str, item_id: int) -> str:
    return (f"create it again: `ledgersync unlink {item_id}` then "
            f"`ledgersync run --company {quote(company)}`, " + accept(company, str(item_id)))


def tax(company: str, item_id: int, tax_rate_ids: list[str]) -> str:
    if tax_rate_ids:
        maps = " and ".join(f"`ledgersync map tax {quote(company)} {quote(t)} REMOTE_ID`"
                            for t in tax_rate_ids)
        step = f"map the tax code that computes the MMS rate: {maps}"
    else:
        step = "give the line the tax code the MMS means in the books"
    return f"{step}, then `ledgersync resync {item_id}`, " + accept(company, str(item_id))


def applied_elsewhere(company: str, item_id: int) -> str:
    return (f"apply it in the books as the MMS does, or send the MMS applications again: "
            f"`ledgersync resync {item_id}`, " + accept(company, str(item_id)))


def posted_outside(company: str, kind: str, remote_id: str) -> str:
    return (f"enter the {kind.replace('_', ' ')} in the MMS (ledgersync links it when it "
            "syncs), " + accept(company, f"{kind}:{remote_id}"))


def rounding(company: str, target: str) -> str:
    return "nothing to fix (per-line rounding), " + accept(company, target)


def unmapped_account(company: str, account_id: str) -> str:
    return (f"map it to the books' account: `ledgersync map account {quote(company)} "
            f"{quote(account_id)} REMOTE_ID`")
