"""two-phase completion: intermediary ids, confirmation back-off, staged counts

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('sync_items') as batch:
        batch.add_column(sa.Column('intermediary_id', sa.String(length=100), nullable=True))
        batch.add_column(sa.Column('staged_at', sa.DateTime(timezone=True), nullable=True))
        batch.create_index('ix_sync_items_intermediary', ['company', 'intermediary_id'])
    with op.batch_alter_table('companies') as batch:
        batch.add_column(sa.Column('confirm_due_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('confirm_idle_polls', sa.Integer(), server_default='0',
                                   nullable=False))
    with op.batch_alter_table('run_sections') as batch:
        batch.add_column(sa.Column('staged', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('run_sections') as batch:
        batch.drop_column('staged')
    with op.batch_alter_table('companies') as batch:
        batch.drop_column('confirm_idle_polls')
        batch.drop_column('confirm_due_at')
    with op.batch_alter_table('sync_items') as batch:
        batch.drop_index('ix_sync_items_intermediary')
        batch.drop_column('staged_at')
        batch.drop_column('intermediary_id')
