"""The ledger's tables (SQLAlchemy Core). Alembic migrations in ``migrations/`` create them.

Change a table here only together with a new migration revision; the test
``test_migrations_match_the_schema`` fails when the two drift apart.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from .types import UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_CLAIMABLE_SQL = "status IN ('pending', 'retry_wait', 'in_doubt')"


def claimable() -> sa.TextClause:
    """The claimable-status condition written exactly as the partial index's predicate: with
    bound parameters SQLite cannot tell the index applies and sorts every pending item."""
    return text(_CLAIMABLE_SQL)

#: One row per (company, kind, MMS id, operation): what to send, and where it stands.
sync_items = Table(
    "sync_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("mms_id", String(100), nullable=False),
    Column("operation", String(16), nullable=False),
    Column("status", String(32), nullable=False),
    Column("status_reason", Text),
    Column("priority", Integer, nullable=False),
    Column("document_date", Date),
    Column("member_id", String(100)),
    Column("payload", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    # Bumped whenever the content to send changes or a person restarts the item, so the
    # idempotency key of a new version never replays an old response.
    Column("generation", Integer, nullable=False, server_default="1"),
    Column("idempotency_key", String(50), nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("lease_owner", String(64)),
    Column("lease_expires_at", UTCDateTime),
    Column("needs_lookup", Boolean, nullable=False, server_default=text("false")),
    Column("external_id", String(100)),
    Column("version_token", String(100)),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("error_remedy", Text),
    Column("mark", String(16)),
    Column("mark_reason", Text),
    Column("marked_by", String(100)),
    # A change that arrived while the current version was in flight: sent after it.
    Column("deferred_payload", Text),
    Column("deferred_hash", String(64)),
    Column("run_id", Integer),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("synced_at", UTCDateTime),
    # Two-phase completion: the intermediary's id of a staged record (kept after the
    # confirmation, so a later report of an orphan finds the item) and when it was staged.
    Column("intermediary_id", String(100)),
    Column("staged_at", UTCDateTime),
    UniqueConstraint("company", "kind", "mms_id", "operation"),
    # The claim reads only claimable rows: old errors and the synced history cost nothing.
    Index(
        "ix_sync_items_claim",
        "company",
        "priority",
        "id",
        sqlite_where=text(_CLAIMABLE_SQL),
        postgresql_where=text(_CLAIMABLE_SQL),
    ),
    # How many items are due (PullQueue.due, a QuickBooks Desktop progress figure on every
    # answer), counted in the index alone: through the (company, status) index SQLite read
    # every due item's row for its next_attempt_at, 6 ms at 10,000 due items.
    Index(
        "ix_sync_items_due",
        "company",
        "status",
        "next_attempt_at",
        sqlite_where=text(_CLAIMABLE_SQL),
        postgresql_where=text(_CLAIMABLE_SQL),
    ),
    Index(
        "ix_sync_items_in_flight",
        "company",
        "lease_expires_at",
        sqlite_where=text("status = 'in_flight'"),
        postgresql_where=text("status = 'in_flight'"),
    ),
    Index("ix_sync_items_company_status", "company", "status"),
    Index("ix_sync_items_member", "company", "member_id"),
    Index("ix_sync_items_intermediary", "company", "intermediary_id"),
    # The sync log's sections (kind), newest first, however many other items there are.
    Index("ix_sync_items_kind", "kind", "id"),
)

#: What each item waits for: a link or a mapping of (kind, MMS id) in the same company.
sync_item_dependencies = Table(
    "sync_item_dependencies",
    metadata,
    Column(
        "item_id", Integer, ForeignKey("sync_items.id", ondelete="CASCADE"), primary_key=True
    ),
    Column("kind", String(32), primary_key=True),
    Column("mms_id", String(100), primary_key=True),
    Column("company", String(64), nullable=False),
    Column("field", String(200), nullable=False),
    Index("ix_sync_item_dependencies_target", "company", "kind", "mms_id"),
)

#: The binder: which remote record an MMS record became.
links = Table(
    "links",
    metadata,
    Column("company", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("mms_id", String(100), primary_key=True),
    Column("external_id", String(100), nullable=False),
    Column("version_token", String(100)),
    Column("linked_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: A person's choices: MMS accounts, items, tax codes (and Sage dimensions) to remote ones.
mappings = Table(
    "mappings",
    metadata,
    Column("company", String(64), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("mms_id", String(100), primary_key=True),
    Column("external_id", String(100), nullable=False),
    Column("external_name", String(200)),
    Column("mapped_by", String(100), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Per-company state shared by every worker: pauses, throttling, the request-rate window.
companies = Table(
    "companies",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("in_sync_date", Date),
    Column("paused_reason", Text),
    Column("paused_remedy", Text),
    Column("paused_at", UTCDateTime),
    Column("throttled_until", UTCDateTime),
    Column("window_start", UTCDateTime),
    Column("window_count", Integer, nullable=False, server_default="0"),
    # Two-stage connectors: when staged records are next asked about, and how many polls in
    # a row learned nothing (the back-off grows with it).
    Column("confirm_due_at", UTCDateTime),
    Column("confirm_idle_polls", Integer, nullable=False, server_default="0"),
    Column("updated_at", UTCDateTime, nullable=False),
)

schedules = Table(
    "schedules",
    metadata,
    Column("company", String(64), primary_key=True),
    Column("interval_seconds", Integer, nullable=False),
    Column("next_run_at", UTCDateTime, nullable=False),
    Column("last_run_at", UTCDateTime),
    Column("paused", Boolean, nullable=False, server_default=text("false")),
)

#: The sync log: one run per company and trigger.
runs = Table(
    "runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(64), nullable=False),
    Column("trigger", String(32), nullable=False),
    Column("scheduled_for", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("started_at", UTCDateTime),
    Column("finished_at", UTCDateTime),
    UniqueConstraint("company", "scheduled_for"),
    Index("ix_runs_open", "status", "company"),
)

run_sections = Table(
    "run_sections",
    metadata,
    Column("run_id", Integer, ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("kind", String(32), primary_key=True),
    Column("ok", Integer, nullable=False, server_default="0"),
    Column("warning", Integer, nullable=False, server_default="0"),
    Column("error", Integer, nullable=False, server_default="0"),
    # Accepted by an intermediary, not yet confirmed: never counted as ok.
    Column("staged", Integer, nullable=False, server_default="0"),
    Column("cursor", Text),
)

#: Every status change and every message: who, when, why.
sync_events = Table(
    "sync_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("item_id", Integer, nullable=True),
    Column("company", String(64), nullable=False),
    Column("kind", String(32)),
    Column("run_id", Integer),
    Column("at", UTCDateTime, nullable=False),
    Column("from_status", String(32)),
    Column("to_status", String(32)),
    Column("level", String(16), nullable=False, server_default="info"),
    Column("actor", String(100), nullable=False),
    Column("reason", Text),
    Column("code", String(64)),
    Index("ix_sync_events_item", "item_id"),
    Index("ix_sync_events_run", "run_id"),
)

#: Read positions in the accounting system (reference lists, change feeds).
cursors = Table(
    "cursors",
    metadata,
    Column("company", String(64), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Encrypted secrets (OAuth tokens, password hashes); never clear text.
secrets = Table(
    "secrets",
    metadata,
    Column("company", String(64), primary_key=True),
    Column("name", String(100), primary_key=True),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Small per-company state a connector keeps in the ledger (e.g. Web Connector sessions), so
#: several processes can serve one company and a restart loses nothing.
connector_state = Table(
    "connector_state",
    metadata,
    Column("company", String(64), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: People who use the Accounting Sync page: a role and a memory-hard password hash (scrypt).
operators = Table(
    "operators",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(300), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

#: Signed-in page sessions. Only a hash of the cookie's token is kept, so a copy of the
#: database does not let anyone sign in; the CSRF token belongs to the session.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("operator", String(100), ForeignKey("operators.name", ondelete="CASCADE"),
           nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False),
    Index("ix_web_sessions_operator", "operator"),
)

#: Reconciliations a person signed: the report as it stood (JSON), who signed it, when (UTC).
#: The next month's report starts from the last one; `ledgersync reconcile --history` lists them.
reconciliations = Table(
    "reconciliations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("period_start", Date),
    Column("as_of", Date, nullable=False),
    # Money as its exact decimal text: the same on SQLite and PostgreSQL.
    Column("total_mms", String(40), nullable=False),
    Column("total_books", String(40), nullable=False),
    Column("differences", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("signed_by", String(100), nullable=False),
    Column("signed_at", UTCDateTime, nullable=False),
    Index("ix_reconciliations_company", "company", "kind", "as_of"),
)

#: Notes on reconciliation differences (`ledgersync note`): on a sync item, or on a books
#: transaction no item links to (``remote_kind``/``remote_id``); ``accepted`` makes the
#: difference it explains an accepted one.
reconcile_notes = Table(
    "reconcile_notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("company", String(64), nullable=False),
    Column("item_id", Integer),
    Column("remote_kind", String(32)),
    Column("remote_id", String(100)),
    Column("text", Text, nullable=False),
    Column("accepted", Boolean, nullable=False, server_default=text("false")),
    Column("noted_by", String(100), nullable=False),
    Column("noted_at", UTCDateTime, nullable=False),
    Index("ix_reconcile_notes_company", "company"),
)

#: The newest recorded version of each reference record (GL accounts, items, tax rates), kept
#: whichever companies export them: reconciliation reads an item's income account or an
#: account's type from here even where every connector maps them instead (QuickBooks Desktop).
reference_records = Table(
    "reference_records",
    metadata,
    Column("kind", String(32), primary_key=True),
    Column("mms_id", String(100), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("payload_hash", String(64), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
