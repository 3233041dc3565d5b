"""The sync engine: recording, claiming, exporting, retrying, scheduling (internal)."""
