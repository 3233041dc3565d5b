"""Reading records from JSON Lines (`ledgersync ingest FILE`).

One record per line, an object with a ``"kind"``. Numbers are read as exact decimals
(``450.10`` is ``Decimal("450.10")``), so money may be a JSON number or a string; a UTF-8
byte-order mark at the start of the file is ignored. A bad line is reported with its number and
reason and skipped; the good lines are recorded (in chunks, so a huge file never holds one long
transaction); nothing already recorded is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import TextIO

import attrs

from ._engine.recording import RecordSummary
from ._errors import RecordError
from ._ledger_api import Ledger
from ._records import Record, record_from_json


@attrs.frozen
class LineProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@attrs.frozen
class Unsupported:
    """A recorded line that some company's connector does not export (it is kept for the
    mappings, but nothing is sent)."""

    line: int
    kind: str
    mms_id: str
    companies: tuple[str, ...]


@attrs.define
class IngestReport:
    summary: RecordSummary = attrs.field(factory=RecordSummary)
    problems: list[LineProblem] = attrs.field(factory=list)
    unsupported: list[Unsupported] = attrs.field(factory=list)
    lines: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_lines(lines: Iterable[str]) -> Iterator[tuple[int, Record | LineProblem]]:
    """Each non-blank line as a record, or as the problem that kept it out."""
    for number, raw in enumerate(lines, start=1):
        # A byte-order mark (Windows editors, Excel's "CSV UTF-8") is not part of the data.
        text = (raw.removeprefix("\ufeff") if number == 1 else raw).strip()
        if not text:
            continue
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            yield number, LineProblem(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(data, dict):
            yield number, LineProblem(number, "expected a JSON object with a \"kind\"")
            continue
        try:
            yield number, record_from_json(data)
        except RecordError as exc:
            yield number, LineProblem(number, exc.message)


def ingest(
    ledger: Ledger,
    stream: TextIO,
    *,
    companies: Sequence[str] | None = None,
    chunk_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    report = IngestReport()
    chunk: list[Record] = []
    targets = [ledger._context.company(name)
               for name in (companies or ledger.config.companies)]
    exported = {company.name: ledger._context.connector_class(company).supported_kinds
                for company in targets}

    def flush() -> None:
        if chunk:
            report.summary.merge(ledger.record(chunk, companies=companies, actor="ingest"))
            chunk.clear()

    for number, parsed in parse_lines(stream):
        report.lines = number
        if isinstance(parsed, LineProblem):
            report.problems.append(parsed)
        else:
            chunk.append(parsed)
            skipped = tuple(name for name, kinds in exported.items() if parsed.kind not in kinds)
            if skipped:
                report.unsupported.append(Unsupported(number, parsed.kind, parsed.mms_id,
                                                      skipped))
            if len(chunk) >= chunk_size:
                flush()
        if progress is not None:
            progress(number)
    flush()
    return report
