"""The one writer of a sync item's life: ``sync_items``, their dependencies, ``links`` and the
``sync_events`` history.

Every status change goes through here, is checked against the transition table
(:data:`~ledgersync._engine.statuses.TRANSITIONS`) and writes its event in the same
transaction. The rest of the engine decides *what* should happen to an item; this package is
the only place that makes it happen, so a new status or transition is an edit of the table in
``statuses.py`` plus, at most, a new function here. ``history`` writes events, ``lifecycle``
every change but a success, ``successes`` the fenced ``synced`` write and what follows it,
``staging`` two-phase completion (the ``staged`` write and the accounting system's answers).

The hot path keeps its batched statements (``statements.py``): their fixed transitions are
checked against the table once, at import, so removing a transition the engine relies on fails
loudly instead of silently writing around the table.
"""

from .history import ItemKey, LeasedItem, event_row, note, note_company
from .lifecycle import (
    NewItem,
    block,
    claim_rows,
    expire_leases,
    extend_leases,
    finish,
    insert_item,
    insert_items,
    lease_lost,
    move,
    replace_dependencies,
    set_fields,
)
from .staging import ConfirmedItem, apply_confirmation, write_staged
from .successes import SyncedWrite, release_blocked, unlink, write_synced

__all__ = [
    "ConfirmedItem",
    "ItemKey",
    "LeasedItem",
    "NewItem",
    "SyncedWrite",
    "apply_confirmation",
    "block",
    "claim_rows",
    "event_row",
    "expire_leases",
    "extend_leases",
    "finish",
    "insert_item",
    "insert_items",
    "lease_lost",
    "move",
    "note",
    "note_company",
    "release_blocked",
    "replace_dependencies",
    "set_fields",
    "unlink",
    "write_staged",
    "write_synced",
]
