"""The stand-in books (the ``fake`` connector) in `ledgersync demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from .._engine.filters import ItemFilter
from .._ledger_api import Ledger
from ..fakebooks import FakeBooks
from . import DemoSandbox


class FakeDemoSandbox(DemoSandbox):
    connector: ClassVar[str] = "fake"
    title: ClassVar[str] = "stand-in books"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.path = workdir / "fake-books.db"

    def start(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def company_table(self) -> dict[str, Any]:
        return {"connector": "fake", "schedule": "1h",
                # Beside the config file, which relative paths are taken from.
                "fake": {"books_path": self.path.name}}

    def notes(self) -> list[str]:
        return [f"a SQLite file that counts every write: {self.path}"]

    def _books(self) -> FakeBooks:
        return FakeBooks(str(self.path))

    def deactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        self._books().set_active("item", item_id, False)
        return f"{self.title}: item {item_id!r} made inactive"

    def reactivate_item(self, ledger: Ledger, company: str, item_id: str) -> str:
        self._books().set_active("item", item_id, True)
        return f"{self.title}: item {item_id!r} made active again"

    def delete_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        self._books().delete("member", member_id)
        return f"{self.title}: customer of member {member_id} deleted"

    def fix_deleted_customer(self, ledger: Ledger, company: str, member_id: str) -> str:
        ledger.unlink(ItemFilter(company=company, kind="member", mms_id=member_id),
                      actor="demo")
        ledger.requeue(ItemFilter(company=company, member=member_id), actor="demo")
        return (f"`ledgersync unlink --company {company} --kind member --mms-id {member_id}` "
                "(the customer is created again), then `ledgersync requeue` its invoice")
