"""The entity registry: which QBO entities exist and what each one allows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["NAME_LIST_PEOPLE", "SPECS", "EntitySpec", "spec_for_name", "spec_for_path"]

Kind = Literal["name", "txn", "ref"]


@dataclass(frozen=True)
class EntitySpec:
    name: str                     # "Invoice"
    kind: Kind                    # name list, transaction or read-only reference data
    name_field: str | None = None  # the unique name ("DisplayName", "Name")
    writable: bool = True         # create / update through the API
    deletable: bool = False       # ?operation=delete
    # How QBO voids it: "operation" is ``?operation=void`` (Invoice); "include" is a sparse
    # update ``?operation=update&include=void`` (Payment, as Intuit documents it); None: no void.
    void_form: Literal["operation", "include"] | None = None
    cdc: bool = True              # supported by change data capture
    doc_number_max: int = 21

    @property
    def voidable(self) -> bool:
        return self.void_form is not None

    @property
    def path(self) -> str:
        return self.name.lower()


SPECS: tuple[EntitySpec, ...] = (
    EntitySpec("Customer", "name", "DisplayName"),
    EntitySpec("Vendor", "name", "DisplayName"),
    EntitySpec("Employee", "name", "DisplayName"),
    EntitySpec("Item", "name", "Name"),
    EntitySpec("Account", "name", "Name"),
    EntitySpec("Term", "name", "Name"),
    EntitySpec("PaymentMethod", "name", "Name"),
    EntitySpec("Class", "name", "Name"),
    EntitySpec("Department", "name", "Name"),
    # TaxCode/TaxRate are read-only here (created via taxservice) and not in CDC.
    EntitySpec("TaxCode", "ref", "Name", writable=False, cdc=False),
    EntitySpec("TaxRate", "ref", "Name", writable=False, cdc=False),
    EntitySpec("CompanyInfo", "ref", None, writable=False, cdc=False),
    EntitySpec("Invoice", "txn", deletable=True, void_form="operation"),
    EntitySpec("Payment", "txn", deletable=True, void_form="include"),
    EntitySpec("CreditMemo", "txn", deletable=True),
    EntitySpec("RefundReceipt", "txn", deletable=True),
    EntitySpec("JournalEntry", "txn", deletable=True),
)

# DisplayName is unique across these three, including inactive rows (fault 6240).
NAME_LIST_PEOPLE = frozenset({"Customer", "Vendor", "Employee"})

_BY_PATH = {s.path: s for s in SPECS}
_BY_NAME = {s.name.lower(): s for s in SPECS}


def spec_for_path(path: str) -> EntitySpec | None:
    """``invoice`` -> Invoice spec (URL segments are lower-case in QBO)."""
    return _BY_PATH.get(path.lower())


def spec_for_name(name: str) -> EntitySpec | None:
    """``Invoice``/``invoice`` -> spec (query and batch keys are case-insensitive)."""
    return _BY_NAME.get(name.lower())
