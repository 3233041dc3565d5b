"""The sync ledger: tables, database setup and migrations (internal)."""
