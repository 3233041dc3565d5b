"""Which of a worker's commits wait for the disk (PostgreSQL).

A claim is the record of intent before the remote call: it must survive a database crash, or
the item would be sent again without being looked up first. A group of successes need not:
lost, it is the same as a worker crash before the group was written (in flight under its
lease, then in doubt, looked up, never sent twice), so its commit does not wait for the disk.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.skipif(
    not os.environ.get("LEDGERSYNC_TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="synchronous_commit is PostgreSQL's: runs when LEDGERSYNC_TEST_DATABASE_URL "
           "names PostgreSQL")


class CommitWatcher:
    """Notes, at each commit, the statements of the transaction and whether its commit
    waits for the disk."""

    def __init__(self, engine: sa.Engine) -> None:
        self.statements: list[str] = []
        self.commits: list[tuple[list[str], str]] = []
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "commit", self._commit)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.statements.append(" ".join(statement.split()))

    def _commit(self, conn: sa.Connection) -> None:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute("SHOW synchronous_commit")
            row = cursor.fetchone()
            assert row is not None
            setting = str(row[0])
        finally:
            cursor.close()
        self.commits.append((self.statements, setting))
        self.statements = []

    def settings_of(self, marker: str) -> set[str]:
        return {setting for statements, setting in self.commits
                if any(marker in s for s in statements)}


@pytest.fixture
def watched(world, rec):
    ledger = world.open()
    ledger.record([rec.member(f"M{n}") for n in range(5)])
    ledger.run_now("harbor")
    return ledger, CommitWatcher(ledger._database)


def test_a_group_of_successes_commits_without_waiting_for_the_disk(watched):
    ledger, watcher = watched

    ledger.run_pending()

    assert ledger.status_counts("harbor") == {("harbor", "synced"): 5}
    assert watcher.settings_of("SET status = 'synced'") == {"off"}


def test_a_claim_commits_durably_before_anything_is_sent(watched):
    ledger, watcher = watched

    ledger.run_pending()

    assert watcher.settings_of("attempts=(sync_items.attempts + ") == {"on"}
