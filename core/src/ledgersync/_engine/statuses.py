"""Sync item statuses and the transitions between them."""

from __future__ import annotations

import enum

from .._config import CompanyConfig
from .._errors import TransitionError
from .._records import RECORD_TYPES, Transaction


class Status(enum.StrEnum):
    """Where a sync item stands. See DESIGN.md, "Statuses"."""

    AWAITING_APPROVAL = "awaiting_approval"  # held for the review step
    PENDING = "pending"  # ready to export when due
    IN_FLIGHT = "in_flight"  # a worker holds the lease and may be calling the remote
    SYNCED = "synced"  # the remote has it; the link holds its id
    RETRY_WAIT = "retry_wait"  # failed transiently; due again at next_attempt_at
    ERROR = "error"  # a person must act; requeue puts it back to pending
    IN_DOUBT = "in_doubt"  # a worker died mid-call; look the record up before resending
    BLOCKED = "blocked"  # waits for a dependency (customer, invoice, mapping)
    NO_GO = "no_go"  # marked do-not-export, or dated before the in-sync date
    STAGED = "staged"  # written to an intermediary; waits for the desktop's confirmation
    REJECTED = "rejected"  # the desktop refused the staged record: a person changes the data
    CONFLICT = "conflict"  # the staged record conflicts: fix it in the intermediary, requeue
    ORPHANED = "orphaned"  # confirmed once, then lost (a backup restored): send it again
    CLEARED = "cleared"  # unchecked and cleared by a reviewer; never comes back by itself


S = Status

#: Statuses a new item starts in (recorded from the MMS, or a resync's update).
INITIAL = frozenset({S.PENDING, S.AWAITING_APPROVAL, S.NO_GO})

#: Every allowed (from, to) pair. Anything else raises TransitionError, whoever attempts it:
#: every write of an item's status goes through ``_engine/items.py``, which checks this table.
#: Keeping a status (new content replacing the queued one) is no change. Adding a status is an
#: edit of :class:`Status` and of this table.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.AWAITING_APPROVAL: frozenset({S.PENDING, S.CLEARED, S.NO_GO}),
    S.PENDING: frozenset({S.IN_FLIGHT, S.BLOCKED, S.NO_GO, S.AWAITING_APPROVAL, S.CLEARED}),
    S.IN_FLIGHT: frozenset(
        {S.SYNCED, S.RETRY_WAIT, S.ERROR, S.IN_DOUBT, S.PENDING, S.BLOCKED, S.STAGED}
    ),
    S.RETRY_WAIT: frozenset({S.IN_FLIGHT, S.PENDING, S.NO_GO, S.CLEARED, S.ERROR}),
    # A changed MMS record puts a not-yet-sent item back to its initial status (pending,
    # awaiting approval or no-go), and a void recorded in the MMS clears it.
    S.ERROR: frozenset({S.PENDING, S.NO_GO, S.CLEARED, S.AWAITING_APPROVAL}),
    S.IN_DOUBT: frozenset({S.IN_FLIGHT, S.SYNCED, S.PENDING}),
    S.BLOCKED: frozenset({S.PENDING, S.NO_GO, S.CLEARED, S.AWAITING_APPROVAL}),
    S.NO_GO: frozenset({S.PENDING, S.AWAITING_APPROVAL, S.CLEARED}),
    S.STAGED: frozenset({S.SYNCED, S.REJECTED, S.CONFLICT, S.ORPHANED, S.ERROR, S.IN_DOUBT}),
    # A synced update whose record changed again is sent again (or held, like a new one);
    # two-phase completion: a confirmed record can still be lost by a restore from backup.
    S.SYNCED: frozenset({S.PENDING, S.AWAITING_APPROVAL, S.NO_GO, S.ORPHANED}),
    # Two-phase outcomes: a changed record or a requeue sends them again.
    S.REJECTED: frozenset({S.PENDING, S.NO_GO, S.CLEARED, S.AWAITING_APPROVAL}),
    S.CONFLICT: frozenset({S.PENDING, S.NO_GO, S.CLEARED, S.AWAITING_APPROVAL}),
    S.ORPHANED: frozenset({S.PENDING, S.CLEARED, S.AWAITING_APPROVAL}),
    S.CLEARED: frozenset({S.PENDING, S.AWAITING_APPROVAL, S.NO_GO}),
}

#: Statuses a worker may claim (when due).
CLAIMABLE = (S.PENDING, S.RETRY_WAIT, S.IN_DOUBT)
#: Statuses in which the item is still someone's work (counts as outstanding in reports).
ACTIVE = (
    S.AWAITING_APPROVAL, S.PENDING, S.IN_FLIGHT, S.RETRY_WAIT, S.ERROR, S.IN_DOUBT, S.BLOCKED,
    S.STAGED, S.REJECTED, S.CONFLICT, S.ORPHANED,
)
#: Two-phase outcomes a person acts on (requeue sends them again under a new key).
NEEDS_ACTION = (S.ERROR, S.REJECTED, S.CONFLICT, S.ORPHANED)
#: Statuses whose payload may be replaced in place when the MMS record changes: nothing has
#: been sent for the current version yet, so the new content simply becomes the one to send.
REPLACEABLE = (
    S.AWAITING_APPROVAL, S.PENDING, S.RETRY_WAIT, S.ERROR, S.BLOCKED, S.NO_GO, S.CLEARED,
    S.REJECTED,
)


def check_transition(item: str, current: Status, target: Status) -> None:
    """Raise :class:`TransitionError` unless ``current -> target`` is allowed."""
    if target not in TRANSITIONS[current]:
        raise TransitionError(item, current.value, target.value)


def needs_approval(company: CompanyConfig, kind: str) -> bool:
    """Whether a new item of ``kind`` waits for `ledgersync approve`: only transactions of a
    company with ``approval_required`` (the review is of what the books will say; members,
    accounts, items and tax rates only feed the mappings and go straight through)."""
    record_type = RECORD_TYPES.get(kind)
    return (company.approval_required and record_type is not None
            and issubclass(record_type, Transaction))
