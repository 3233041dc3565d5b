"""Secrets scan: is any secret a sandbox issued in clear text in what the campaign left behind?

Secrets come from JSON files (``--secrets``, every string in them, e.g. the Web Connector
passwords bench/load_serve.py writes to ``issued-secrets.json``) and, with ``--demo DIR``,
from a `ledgersync demo` run here and now in DIR with every installed sandbox (QuickBooks
Online, QuickBooks Desktop, Sage Intacct, the two-stage path): every credential issued during
the run (OAuth access and refresh tokens, authorization codes, Intacct session ids, the
two-stage path's token and secret, the Web Connector password and session tickets; see
:data:`ISSUERS`) and every environment variable the demo set (client secrets, sender and user
passwords, the secret key).

Scanned: every file under each ``--path`` (SQLite ledgers and books, logs, crash output, byte
for byte; the secrets files themselves are skipped) and every table of every ``--database-url``
(all columns as text; ``--schema`` limits PostgreSQL to those schemas). A secret is looked for
as is, URL-encoded, base64-encoded and hex-encoded; secrets shorter than 8 characters are not
searched (they would match by chance). Findings name the secret by its source and length,
never its value.

    python bench/secrets_scan.py --demo /tmp/scan-demo --path /tmp/campaign \\
        --secrets /tmp/campaign/load-serve/issued-secrets.json \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/db --schema ls_load_serve

Exit 0 when nothing is found (the number of secrets, files, rows and bytes scanned is printed);
1 with the findings. See bench/campaign.md (secrets) and bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets as secrets_module
import sys
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs
import sqlalchemy as sa

MIN_LENGTH = 8


@attrs.frozen
class Secret:
    value: str
    source: str  # where it came from, e.g. "token_urlsafe in ledgersync_qbo.sandbox.oauth"

    def label(self) -> str:
        return f"{self.source} ({len(self.value)} characters)"

    def forms(self) -> list[bytes]:
        raw = self.value.encode("utf-8")
        quoted = urllib.parse.quote(self.value, safe="").encode()
        return list(dict.fromkeys([raw, quoted, base64.b64encode(raw).rstrip(b"="),
                                   base64.urlsafe_b64encode(raw).rstrip(b"="),
                                   raw.hex().encode()]))


@attrs.frozen
class Finding:
    secret: str  # Secret.label(), never the value
    where: str


@attrs.define
class Report:
    secrets: int = 0
    files: int = 0
    bytes: int = 0
    rows: int = 0
    findings: list[Finding] = attrs.field(factory=list)


def secrets_from_json(path: Path) -> list[Secret]:
    def strings(value: Any) -> Iterator[str]:
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    return [Secret(s, f"issued, listed in {path.name}")
            for s in strings(json.loads(path.read_text()))]


def _search(blob: bytes, wanted: list[Secret], where: str) -> list[Finding]:
    found = []
    for secret in wanted:
        if any(form in blob for form in secret.forms()):
            found.append(Finding(secret.label(), where))
    return found


def scan_paths(paths: Iterable[Path], wanted: list[Secret], report: Report,
               skip: set[Path]) -> None:
    for root in paths:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for file in files:
            if file.resolve() in skip:
                continue
            try:
                blob = file.read_bytes()
            except OSError:
                continue  # vanished or unreadable (a socket, a file being rotated)
            report.files += 1
            report.bytes += len(blob)
            report.findings += _search(blob, wanted, str(file))


def scan_database(url: str, schemas: list[str], wanted: list[Secret], report: Report) -> None:
    engine = sa.create_engine(url)
    try:
        inspector = sa.inspect(engine)
        if engine.dialect.name == "postgresql":
            names = schemas or [s for s in inspector.get_schema_names()
                                if s not in ("information_schema",) and not s.startswith("pg_")]
        else:
            names = [None]  # type: ignore[list-item]  # SQLite: the main schema
        with engine.connect() as conn:
            for schema in names:
                for table_name in inspector.get_table_names(schema=schema):
                    table = sa.Table(table_name, sa.MetaData(), schema=schema,
                                     autoload_with=conn)
                    for row in conn.execute(sa.select(table)):
                        report.rows += 1
                        blob = b"\x00".join(
                            value if isinstance(value, bytes) else
                            bytes(value) if isinstance(value, memoryview) else
                            str(value).encode("utf-8", "surrogatepass")
                            for value in row if value is not None)
                        report.findings += _search(
                            blob, wanted, f"{engine.url.render_as_string()} table "
                            f"{schema + '.' if schema else ''}{table_name}")
                    # Each table read holds a lock to the end of the transaction: end it, or
                    # hundreds of schemas exhaust max_locks_per_transaction.
                    conn.rollback()
    finally:
        engine.dispose()


#: (function, module) of the ``secrets.token_*`` calls that issue credentials: sandbox OAuth
#: tokens and codes, Intacct session ids, the two-stage path's access token and secret, the
#: QuickBooks Desktop demo's Web Connector password, Web Connector session tickets. (Other
#: calls make ids that are not secret: message set ids, mutex holders, support ids.)
ISSUERS = {("token_urlsafe", "ledgersync_qbo.sandbox.oauth"),
           ("token_urlsafe", "ledgersync_sage.sandbox.rest"),
           ("token_urlsafe", "ledgersync_sage.sandbox.gateway"),
           ("token_hex", "ledgersync_quickbooks_legacy.sandbox.service"),
           ("token_urlsafe", "ledgersync_qbd.demo"),
           ("token_urlsafe", "ledgersync_qbd.qbwc.sessions")}


class Recorder:
    """Records every credential the :data:`ISSUERS` make while active, and every value set in
    ``os.environ`` (the demos hand their sandboxes' client secrets and passwords over as
    ``env:NAME`` settings, and unset them afterwards)."""

    def __init__(self) -> None:
        self.issued: list[Secret] = []
        self._originals: dict[str, Callable[..., Any]] = {}
        self._setitem: Callable[..., Any] | None = None

    def __enter__(self) -> Recorder:
        for name in ("token_urlsafe", "token_hex"):
            original = getattr(secrets_module, name)
            self._originals[name] = original

            def recorded(*args: Any, _original: Callable[..., Any] = original,
                         _name: str = name, **kwargs: Any) -> Any:
                value = _original(*args, **kwargs)
                caller = sys._getframe(1).f_globals.get("__name__", "?")
                if (_name, caller) in ISSUERS:
                    self.issued.append(Secret(str(value), f"{_name} in {caller}"))
                return value

            setattr(secrets_module, name, recorded)
        environ = type(os.environ)
        self._setitem = environ.__setitem__
        setitem = self._setitem

        def set_and_record(mapping: Any, key: str, value: str) -> None:
            self.issued.append(Secret(value, f"environment variable {key}"))
            setitem(mapping, key, value)

        environ.__setitem__ = set_and_record  # type: ignore[method-assign]  # undone on exit
        return self

    def __exit__(self, *exc: object) -> None:
        for name, original in self._originals.items():
            setattr(secrets_module, name, original)
        if self._setitem is not None:
            type(os.environ).__setitem__ = self._setitem  # type: ignore[method-assign]  # restored


def run_demo(folder: Path, members: int) -> tuple[list[Secret], int]:
    """`ledgersync demo` in this process; the secrets it issued and its exit code."""
    from ledgersync.cli import cli, register_plugin_commands

    register_plugin_commands()
    with Recorder() as recorder:
        try:
            cli(["demo", "--dir", str(folder), "--members", str(members)],
                prog_name="ledgersync")
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return recorder.issued, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--secrets", type=Path, action="append", default=[])
    parser.add_argument("--path", type=Path, action="append", default=[])
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--schema", action="append", default=[])
    parser.add_argument("--demo", type=Path, help="run `ledgersync demo` here first")
    parser.add_argument("--demo-members", type=int, default=20)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    wanted: list[Secret] = []
    for path in args.secrets:
        wanted += secrets_from_json(path)
    paths = list(args.path)
    demo_exit = None
    if args.demo is not None:
        issued, demo_exit = run_demo(args.demo, args.demo_members)
        wanted += issued
        paths.append(args.demo)
    wanted = [s for s in dict.fromkeys(wanted) if len(s.value) >= MIN_LENGTH]
    report = Report(secrets=len(wanted))
    scan_paths(paths, wanted, report, skip={p.resolve() for p in args.secrets})
    for url in args.database_url:
        scan_database(url, args.schema, wanted, report)
    sources: dict[str, int] = {}
    for secret in wanted:
        kind = secret.source.split(" (")[0]
        sources[kind] = sources.get(kind, 0) + 1
    summary = {"secrets": report.secrets, "by_source": sources, "files": report.files,
               "bytes": report.bytes, "database_rows": report.rows, "demo_exit": demo_exit,
               "findings": [attrs.asdict(f) for f in report.findings]}
    print(json.dumps(summary, indent=1))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1))
    return 1 if report.findings else 0


if __name__ == "__main__":
    sys.exit(main())
