"""A completion group links all its records in one statement: new links are made and the
links of records synced before move to the accounting system's new versions."""

from __future__ import annotations

import sqlalchemy as sa

from ledgersync._ledger.schema import links


def link_rows(ledger):
    with ledger._database.connect() as conn:
        return {row.mms_id: (row.external_id, row.version_token, row.linked_by)
                for row in conn.execute(sa.select(links).where(links.c.company == "harbor"))}


def test_a_group_makes_new_links_and_moves_existing_ones_to_the_new_version(ledger, rec):
    ledger.record([rec.member(f"M{i}", name=f"Member {i}") for i in range(4)])
    ledger.sync("harbor")
    created = link_rows(ledger)
    assert len(created) == 4
    assert {linked_by for _, _, linked_by in created.values()} == {"sync"}

    ledger.record([rec.member(f"M{i}", name=f"Renamed {i}") for i in range(3)])
    summary = ledger.sync("harbor")

    assert summary.outcomes == {"synced": 3}
    updated = link_rows(ledger)
    assert set(updated) == set(created)
    for mms_id in ("M0", "M1", "M2"):
        assert updated[mms_id][0] == created[mms_id][0]  # the same record, updated
        assert updated[mms_id][1] != created[mms_id][1]  # at its new version
    assert updated["M3"] == created["M3"]
