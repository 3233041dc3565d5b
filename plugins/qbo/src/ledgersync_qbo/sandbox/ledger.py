"""Receivables bookkeeping: customer balances and payment applications.

Customer balance (A/R) effects, QBO semantics:

* Invoice: + TotalAmt
* Payment: - TotalAmt (applied or not; the unapplied part is a credit)
* CreditMemo: - TotalAmt
* RefundReceipt: none (a cash refund: money leaves the bank, A/R is not touched)
* JournalEntry: lines on an Accounts Receivable account with ``Entity.Type = Customer``:
  debit +, credit -
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

__all__ = ["Ledger", "TxnKey"]

TxnKey = tuple[str, str]  # (entity, id)
ZERO = Decimal("0")


class Ledger:
    def __init__(self) -> None:
        self._balances: dict[str, Decimal] = defaultdict(lambda: ZERO)
        self._effects: dict[TxnKey, list[tuple[str, Decimal]]] = {}
        # target (Invoice/CreditMemo) -> {payment id: amount applied}
        self._links: dict[TxnKey, dict[str, Decimal]] = defaultdict(dict)
        # payment id -> targets it applies to
        self._payment_targets: dict[str, dict[TxnKey, Decimal]] = {}

    # ------------------------------------------------------------ balances

    def balance(self, customer_id: str) -> Decimal:
        return self._balances.get(customer_id, ZERO)

    def set_effects(self, key: TxnKey, effects: list[tuple[str, Decimal]]) -> set[str]:
        """Replace the A/R effects of one transaction; returns the customers touched."""
        touched: set[str] = set()
        for customer_id, delta in self._effects.pop(key, []):
            self._balances[customer_id] -= delta
            touched.add(customer_id)
        if effects:
            self._effects[key] = effects
        for customer_id, delta in effects:
            self._balances[customer_id] += delta
            touched.add(customer_id)
        return touched

    # -------------------------------------------------------- applications

    def applied(self, target: TxnKey, *, excluding: str | None = None) -> Decimal:
        links = self._links.get(target, {})
        return sum((amt for pid, amt in links.items() if pid != excluding), ZERO)

    def payments_for(self, target: TxnKey) -> list[str]:
        return list(self._links.get(target, {}))

    def targets_of(self, payment_id: str) -> dict[TxnKey, Decimal]:
        return dict(self._payment_targets.get(payment_id, {}))

    def set_applications(self, payment_id: str, targets: dict[TxnKey, Decimal]) -> set[TxnKey]:
        """Replace what a payment applies to; returns every target whose balance changed."""
        changed: set[TxnKey] = set()
        for target in self._payment_targets.pop(payment_id, {}):
            self._links[target].pop(payment_id, None)
            if not self._links[target]:
                del self._links[target]
            changed.add(target)
        if targets:
            self._payment_targets[payment_id] = dict(targets)
        for target, amount in targets.items():
            self._links[target][payment_id] = amount
            changed.add(target)
        return changed

    def forget(self, key: TxnKey) -> None:
        self._links.pop(key, None)
