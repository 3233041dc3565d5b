"""Reports as plain data: what `--json` prints and what a sign-off stores (amounts as exact
decimal strings, dates as ISO text)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .model import (
    AccountBalance,
    AccountsReport,
    CustomerBalance,
    Explanation,
    ReconcileReport,
    SignOff,
)


def _value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def explanation(e: Explanation) -> dict[str, Any]:
    return {
        "cause": e.cause.value, "kind": e.kind, "mms_id": e.mms_id, "item_id": e.item_id,
        "remote_id": e.remote_id, "date": _value(e.date), "amount": str(e.amount),
        "status": e.status, "reason": e.reason, "remedy": e.remedy,
        "accepted_cause": e.accepted_cause.value if e.accepted_cause else None,
        "notes": list(e.notes),
    }


def customer(c: CustomerBalance) -> dict[str, Any]:
    return {
        "member_id": c.member_id, "external_id": c.external_id, "mms": str(c.mms),
        "remote": str(c.remote), "difference": str(c.difference),
        "unexplained": str(c.unexplained),
        "explanations": [explanation(e) for e in c.explanations],
    }


def account(a: AccountBalance) -> dict[str, Any]:
    return {
        "account_id": a.account_id, "external_id": a.external_id, "name": a.name,
        "role": a.role, "mms_debit": str(a.mms_debit), "mms_credit": str(a.mms_credit),
        "books_debit": str(a.books_debit), "books_credit": str(a.books_credit),
        "mms": str(a.mms), "books": str(a.books), "difference": str(a.difference),
        "unexplained": str(a.unexplained),
        "explanations": [explanation(e) for e in a.explanations],
    }


def signoff(s: SignOff | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {"id": s.id, "company": s.company, "kind": s.kind,
            "period_start": _value(s.period_start), "as_of": _value(s.as_of),
            "total_mms": str(s.total_mms), "total_books": str(s.total_books),
            "differences": s.differences, "signed_by": s.signed_by,
            "signed_at": _value(s.signed_at)}


def customers_report(report: ReconcileReport, *, every: bool = True) -> dict[str, Any]:
    shown = [c for c in report.customers if every or not c.ties_out or c.explanations]
    return {
        "company": report.company, "kind": "customers", "as_of": _value(report.as_of),
        "source": report.source, "ties_out": report.ties_out,
        "total_mms": str(report.total_mms), "total_remote": str(report.total_remote),
        "not_exported": str(report.not_exported),
        "awaiting_confirmation": str(report.awaiting_confirmation),
        "unexplained": str(report.unexplained),
        "starts_from": signoff(report.starts_from),
        "customers": [customer(c) for c in shown],
    }


def accounts_report(report: AccountsReport, *, every: bool = True) -> dict[str, Any]:
    shown = [a for a in report.accounts if every or not a.ties_out or a.explanations]
    return {
        "company": report.company, "kind": "accounts", "from": _value(report.start),
        "to": _value(report.end), "ties_out": report.ties_out,
        "unmapped": [{"account_id": a, "amount": str(n)} for a, n in report.unmapped],
        "starts_from": signoff(report.starts_from),
        "accounts": [account(a) for a in shown],
    }
