"""Reconciliation: the MMS ledger against the accounting system, per customer and per GL
account, as of any date, every difference explained; and the record of its sign-off.

This replaces the monthly by-hand comparison today's MMS products ask bookkeepers to do.
``customers.py`` and ``accounts.py`` are the two tie-outs, ``causes.py`` says why one
transaction differs, ``remedies.py`` what to do, ``signoff.py`` keeps sign-offs and notes.
"""

from __future__ import annotations

from .accounts import reconcile_accounts
from .customers import reconcile
from .ledger_side import receivable
from .model import (
    ZERO,
    AccountBalance,
    AccountsReport,
    Cause,
    CustomerBalance,
    Explanation,
    ReconcileReport,
    SignOff,
)
from .signoff import DifferenceNote, add_note, history, notes, sign

__all__ = [
    "ZERO",
    "AccountBalance",
    "AccountsReport",
    "Cause",
    "CustomerBalance",
    "DifferenceNote",
    "Explanation",
    "ReconcileReport",
    "SignOff",
    "add_note",
    "history",
    "notes",
    "receivable",
    "reconcile",
    "reconcile_accounts",
    "sign",
]
