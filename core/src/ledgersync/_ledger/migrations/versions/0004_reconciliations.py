"""reconciliations a person signed, notes on their differences, the reference records

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciliations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("total_mms", sa.String(length=40), nullable=False),
        sa.Column("total_books", sa.String(length=40), nullable=False),
        sa.Column("differences", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.String(length=100), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliations")),
    )
    with op.batch_alter_table("reconciliations", schema=None) as batch_op:
        batch_op.create_index("ix_reconciliations_company", ["company", "kind", "as_of"],
                              unique=False)
    op.create_table(
        "reconcile_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("remote_kind", sa.String(length=32), nullable=True),
        sa.Column("remote_id", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("accepted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("noted_by", sa.String(length=100), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconcile_notes")),
    )
    with op.batch_alter_table("reconcile_notes", schema=None) as batch_op:
        batch_op.create_index("ix_reconcile_notes_company", ["company"], unique=False)
    op.create_table(
        "reference_records",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("mms_id", sa.String(length=100), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "mms_id", name=op.f("pk_reference_records")),
    )


def downgrade() -> None:
    op.drop_table("reference_records")
    with op.batch_alter_table("reconcile_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_reconcile_notes_company")
    op.drop_table("reconcile_notes")
    with op.batch_alter_table("reconciliations", schema=None) as batch_op:
        batch_op.drop_index("ix_reconciliations_company")
    op.drop_table("reconciliations")
