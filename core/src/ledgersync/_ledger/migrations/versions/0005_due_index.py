"""due items counted in an index of their own (company, status, next_attempt_at; claimable)

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_CLAIMABLE = "status IN ('pending', 'retry_wait', 'in_doubt')"


def upgrade() -> None:
    with op.batch_alter_table('sync_items', schema=None) as batch_op:
        batch_op.create_index('ix_sync_items_due', ['company', 'status', 'next_attempt_at'],
                              unique=False, sqlite_where=sa.text(_CLAIMABLE),
                              postgresql_where=sa.text(_CLAIMABLE))


def downgrade() -> None:
    with op.batch_alter_table('sync_items', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_items_due', sqlite_where=sa.text(_CLAIMABLE),
                            postgresql_where=sa.text(_CLAIMABLE))
