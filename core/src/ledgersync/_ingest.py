"""Reading records from JSON Lines (`ledgersync ingest FILE`).

One record per line, an object with a ``"kind"``. Numbers are read as exact decimals
(``450.10`` is ``Decimal("450.10")``), so money may be a JSON number or a string; a UTF-8
byte-order mark at the start of the file is ignored. A bad line is reported with its number and
reason and skipped; the good lines are recorded (in chunks, so a huge file never holds one long
transaction); nothing already recorded is lost.

Every line is checked completely before it joins a chunk, including what the database would
refuse later (a NUL character, which PostgreSQL's text type cannot hold; a lone surrogate, which
has no UTF-8 form), so one hostile line can never take its chunk's good neighbours down. The
file is read as bytes and decoded line by line: a line that is not UTF-8 is one bad line. If a
chunk still fails, its lines are recorded one by one and the failing one is named.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import BinaryIO, TextIO

import attrs

from ._engine.recording import RecordSummary
from ._errors import LedgerSyncError, RecordError
from ._ledger_api import Ledger
from ._records import Record, record_from_json

MAX_REASON_CHARS = 300  # a reason quotes the line (a field name, a value): keep it readable


def _one_short_line(text: str) -> str:
    """``text`` on one line with nothing a terminal would act on (control characters, lone
    surrogates escaped), and a long middle cut: a hostile line must not make a huge or
    multi-line report."""
    clean = "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)
    if len(clean) <= MAX_REASON_CHARS:
        return clean
    cut = len(clean) - MAX_REASON_CHARS + 40
    return f"{clean[:200]} ...({cut} characters cut)... {clean[-60:]}"


@attrs.frozen
class LineProblem:
    line: int
    reason: str = attrs.field(converter=_one_short_line)

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


MAX_LINE_CHARS = 1_000_000  # a record is a few kB; a longer line is not one


def parse_lines(lines: Iterable[str | bytes]) -> Iterator[tuple[int, Record | LineProblem]]:
    """Each non-blank line as a record, or as the problem that kept it out."""
    for number, raw in enumerate(lines, start=1):
        parsed = _parse_line(number, raw)
        if parsed is not None:
            yield number, parsed


def _parse_line(number: int, raw: str | bytes) -> Record | LineProblem | None:
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return LineProblem(number, f"not UTF-8 (byte 0x{raw[exc.start]:02x} at byte "
                                       f"{exc.start + 1}); save the file as UTF-8")
    # A byte-order mark (Windows editors, Excel's "CSV UTF-8") is not part of the data.
    text = (raw.removeprefix("\ufeff") if number == 1 else raw).strip()
    if not text:
        return None
    if len(text) > MAX_LINE_CHARS:
        return LineProblem(number, f"the line is {len(text)} characters long; a record is "
                                   f"at most {MAX_LINE_CHARS}")
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        return LineProblem(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
    except RecursionError:
        return LineProblem(number, "not a record: JSON nested too deeply")
    except ValueError as exc:  # e.g. an integer past Python's digit limit
        return LineProblem(number, f"not a record: {exc}")
    except ArithmeticError:  # decimal.InvalidOperation: an exponent past Decimal's range
        return LineProblem(number, "not a record: a number is out of range")
    if not isinstance(data, dict):
        return LineProblem(number, "expected a JSON object with a \"kind\"")
    unstorable = _unstorable_text(data)
    if unstorable is not None:
        return LineProblem(number, unstorable)
    try:
        return record_from_json(data)
    except RecordError as exc:
        return LineProblem(number, exc.message)
    except (RecursionError, ValueError, TypeError, ArithmeticError) as exc:
        return LineProblem(number, f"not a record: {type(exc).__name__}: {exc}")


def _unstorable_text(data: object, path: str = "") -> str | None:
    """Why a text in ``data`` cannot be stored (a NUL, a lone surrogate), or None."""
    stack: list[tuple[object, str]] = [(data, path)]
    while stack:
        value, where = stack.pop()
        if isinstance(value, dict):
            stack.extend((v, f"{where}.{k}" if where else str(k)) for k, v in value.items())
            stack.extend((k, f"{where} (a key)" if where else "a key") for k in value)
        elif isinstance(value, list):
            stack.extend((v, f"{where}[{i}]") for i, v in enumerate(value))
        elif isinstance(value, str):
            if "\x00" in value:
                return f"{where or 'a text'}: contains a NUL character, which cannot be stored"
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return (f"{where or 'a text'}: contains a lone surrogate (an unpaired \\ud800-"
                        "\\udfff escape), which is not a character")
    return None


def ingest(
    ledger: Ledger,
    stream: TextIO | BinaryIO,
    *,
    companies: Sequence[str] | None = None,
    chunk_size: int = 500,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Record every good line of ``stream`` (text, or better bytes: a line that is not UTF-8
    is then one bad line instead of the end of the file)."""
    report = IngestReport()
    chunk: list[tuple[int, Record]] = []
    targets = [ledger._context.company(name)
               for name in (companies or ledger.config.companies)]
    exported = {company.name: ledger._context.connector_class(company).supported_kinds
                for company in targets}

    def flush() -> None:
        if not chunk:
            return
        try:
            report.summary.merge(ledger.record([r for _, r in chunk], companies=companies,
                                               actor="ingest"))
        except LedgerSyncError:
            raise  # the ledger itself is unusable (URL, schema): not a line's fault
        except Exception:  # noqa: BLE001 - find the line the database refused, keep the rest
            for number, record in chunk:
                try:
                    report.summary.merge(ledger.record([record], companies=companies,
                                                       actor="ingest"))
                except LedgerSyncError:
                    raise
                except Exception as exc:  # noqa: BLE001 - named, never printed with its SQL
                    report.problems.append(LineProblem(
                        number, f"the ledger refused it ({type(exc).__name__})"))
        chunk.clear()

    for number, parsed in parse_lines(stream):
        report.lines = number
        if isinstance(parsed, LineProblem):
            report.problems.append(parsed)
        else:
            chunk.append((number, parsed))
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
