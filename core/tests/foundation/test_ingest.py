"""`ledgersync ingest FILE`: JSON Lines in, sync items out; the same line twice is no work, a
changed line an update, a bad line reported by number and reason while the good ones are kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

import ledgersync
from ledgersync._ingest import MAX_REASON_CHARS, LineProblem, parse_lines

Invoke = Callable[..., Result]

MEMBER_1 = {"kind": "member", "mms_id": "M1", "display_name": "Ann Sailor"}
MEMBER_2 = {"kind": "member", "mms_id": "M2", "display_name": "Bo Keel"}
INVOICE_1 = {
    "kind": "invoice", "mms_id": "INV-1", "member_id": "M1", "number": "1",
    "txn_date": "2026-01-25", "currency": "USD",
    "lines": [{"account_id": "4000", "description": "Dues", "quantity": "1",
               "rate": "450.00", "amount": "450.00"}],
}

BAD_LINES = {
    "invalid JSON": ('{"kind": "member", "mms_id": "M9"', "not valid JSON"),
    "unknown kind": ('{"kind": "boat", "mms_id": "B1"}', "unknown kind 'boat'"),
    "negative quantity": (
        json.dumps({**INVOICE_1, "mms_id": "INV-9",
                    "lines": [{"account_id": "4000", "description": "Dues", "quantity": "-1",
                               "rate": "450.00", "amount": "-450.00"}]}),
        "lines[0].quantity: must not be negative",
    ),
    "missing field": ('{"kind": "member", "mms_id": "M9"}', "display_name: is required"),
    "not an object": ("[1, 2, 3]", 'expected a JSON object with a "kind"'),
}


def _write(path: Path, *lines: dict[str, Any] | str) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n"
                            for line in lines), encoding="utf-8")
    return path


def _ingest(invoke: Invoke, path: Path) -> tuple[int, dict[str, Any]]:
    result = invoke("ingest", "--json", str(path))
    return result.exit_code, json.loads(result.stdout)


def _items(workdir: Path) -> dict[tuple[str, str, str], str]:
    with ledgersync.open(workdir / "ledgersync.toml", create=False) as ledger:
        return {(i.kind, i.mms_id, i.operation): i.status for i in ledger.items(limit=None)}


def test_ingest_queues_each_record(workdir: Path, invoke: Invoke) -> None:
    path = _write(workdir / "mms.jsonl", MEMBER_1, MEMBER_2, INVOICE_1)
    code, report = _ingest(invoke, path)
    assert code == 0
    assert report == {"lines": 3, "counts": {"new": 3}, "unsupported": [],
                      "problems": []}
    assert set(_items(workdir)) == {("member", "M1", "create"), ("member", "M2", "create"),
                                    ("invoice", "INV-1", "create")}


def test_ingest_prints_what_it_did(workdir: Path, invoke: Invoke) -> None:
    path = _write(workdir / "mms.jsonl", MEMBER_1, MEMBER_2)
    result = invoke("ingest", str(path))
    assert result.exit_code == 0
    assert "read 2 lines: 2 new" in result.stdout


def test_reingesting_the_same_file_is_no_new_work(workdir: Path, invoke: Invoke) -> None:
    path = _write(workdir / "mms.jsonl", MEMBER_1, MEMBER_2, INVOICE_1)
    _ingest(invoke, path)
    before = _items(workdir)
    code, report = _ingest(invoke, path)
    assert code == 0
    assert report["counts"] == {"unchanged": 3}
    assert _items(workdir) == before


def test_reingesting_after_a_sync_is_no_new_work(workdir: Path, invoke: Invoke) -> None:
    path = _write(workdir / "mms.jsonl", MEMBER_1, MEMBER_2)
    _ingest(invoke, path)
    assert invoke("run", "--once").exit_code == 0
    code, report = _ingest(invoke, path)
    assert code == 0
    assert report["counts"] == {"unchanged": 2}
    assert set(_items(workdir).values()) == {"synced"}


def test_changed_record_becomes_an_update(workdir: Path, invoke: Invoke) -> None:
    _ingest(invoke, _write(workdir / "v1.jsonl", MEMBER_1, MEMBER_2))
    changed = {**MEMBER_1, "display_name": "Ann Sailor-Keel"}
    code, report = _ingest(invoke, _write(workdir / "v2.jsonl", changed, MEMBER_2))
    assert code == 0
    assert report["counts"] == {"updated": 1, "unchanged": 1}


def test_record_changed_after_its_sync_is_queued_as_an_update(
    workdir: Path, invoke: Invoke
) -> None:
    _ingest(invoke, _write(workdir / "v1.jsonl", MEMBER_1))
    assert invoke("run", "--once").exit_code == 0
    changed = {**MEMBER_1, "display_name": "Ann Sailor-Keel"}
    _, report = _ingest(invoke, _write(workdir / "v2.jsonl", changed))
    assert report["counts"] == {"updated": 1}
    assert _items(workdir)[("member", "M1", "update")] == "pending"


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_bad_line_is_reported_with_its_number_and_reason(
    workdir: Path, invoke: Invoke, case: str
) -> None:
    line, reason = BAD_LINES[case]
    code, report = _ingest(invoke, _write(workdir / "mms.jsonl", MEMBER_1, line, MEMBER_2))
    assert code != 0
    assert [p["line"] for p in report["problems"]] == [2]
    assert reason in report["problems"][0]["reason"]


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_good_lines_around_a_bad_line_are_kept(
    workdir: Path, invoke: Invoke, case: str
) -> None:
    line, _ = BAD_LINES[case]
    _, report = _ingest(invoke, _write(workdir / "mms.jsonl", MEMBER_1, line, MEMBER_2))
    assert report["counts"] == {"new": 2}
    assert set(_items(workdir)) == {("member", "M1", "create"), ("member", "M2", "create")}


def test_every_bad_line_is_reported_on_stderr_and_the_exit_code_is_one(
    workdir: Path, invoke: Invoke
) -> None:
    lines: list[Any] = [MEMBER_1, *(line for line, _ in BAD_LINES.values()), MEMBER_2]
    path = _write(workdir / "mms.jsonl", *lines)
    result = invoke("ingest", str(path))
    assert result.exit_code == 1
    assert "read 7 lines: 2 new" in result.stdout
    reported = [line for line in result.stderr.splitlines() if ": line " in line]
    assert len(reported) == len(BAD_LINES)
    for number, (_, reason) in enumerate(BAD_LINES.values(), start=2):
        assert any(f"mms.jsonl: line {number}: " in r and reason in r for r in reported), (
            number, reason, reported)
    assert "5 line(s) were not recorded" in result.stderr


def test_blank_lines_are_skipped_but_counted_for_line_numbers(
    workdir: Path, invoke: Invoke
) -> None:
    path = _write(workdir / "mms.jsonl", MEMBER_1, "", "   ", '{"kind": "boat"}')
    code, report = _ingest(invoke, path)
    assert code == 1
    assert report["counts"] == {"new": 1}
    assert [p["line"] for p in report["problems"]] == [4]


def test_fixed_file_ingested_again_records_only_the_fixed_line(
    workdir: Path, invoke: Invoke
) -> None:
    path = workdir / "mms.jsonl"
    _ingest(invoke, _write(path, MEMBER_1, BAD_LINES["missing field"][0]))
    code, report = _ingest(invoke, _write(path, MEMBER_1, {**MEMBER_2, "mms_id": "M9"}))
    assert code == 0
    assert report["counts"] == {"unchanged": 1, "new": 1}


def test_missing_file_is_a_usage_error(workdir: Path, invoke: Invoke) -> None:
    result = invoke("ingest", str(workdir / "nope.jsonl"))
    assert result.exit_code == 2
    assert "nope.jsonl" in result.stderr


def test_example_dataset_ingests_cleanly(workdir: Path, invoke: Invoke) -> None:
    example = Path(__file__).parents[3] / "examples" / "club.jsonl"
    lines = sum(1 for line in example.read_text(encoding="utf-8").splitlines() if line.strip())
    code, report = _ingest(invoke, example)
    assert code == 0
    assert report["problems"] == []
    assert report["counts"] == {"new": lines}


# -- numbers and encodings (issue 9, point 11) ---------------------------------------------------


def test_a_json_number_amount_is_read_as_the_exact_decimal_it_spells(
    workdir: Path, invoke: Invoke
) -> None:
    line = ('{"kind": "invoice", "mms_id": "INV-F", "member_id": "M1", "number": "F", '
            '"txn_date": "2026-01-25", "currency": "USD", "lines": [{"account_id": "4000", '
            '"description": "Dues", "quantity": 1, "rate": 450.10, "amount": 450.10}]}')
    code, report = _ingest(invoke, _write(workdir / "numbers.jsonl", MEMBER_1, line))
    assert code == 0, report
    with ledgersync.open(workdir / "ledgersync.toml", create=False) as ledger:
        invoice = ledger.recorded("club", "invoice", "INV-F")
    assert isinstance(invoice, ledgersync.Invoice)
    assert invoice.lines[0].rate == Decimal("450.10")
    assert str(invoice.lines[0].amount) == "450.10"


def test_a_python_float_amount_is_refused_by_the_api() -> None:
    with pytest.raises(ledgersync.RecordError, match="float is not allowed"):
        ledgersync.record_from_json({**INVOICE_1, "lines": [
            {"account_id": "4000", "description": "Dues", "quantity": "1", "rate": 450.1,
             "amount": "450.10"}]})


def test_a_file_starting_with_a_utf8_byte_order_mark_is_accepted(
    workdir: Path, invoke: Invoke
) -> None:
    path = workdir / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (json.dumps(MEMBER_1) + "\n").encode("utf-8"))
    code, report = _ingest(invoke, path)
    assert code == 0, report
    assert report["problems"] == []
    assert _items(workdir) == {("member", "M1", "create"): "pending"}


HOSTILE_LINES = {
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "a raw 0xff byte": (b'{"kind": "member", "mms_id": "M9", "display_name": "A\xffB"}',
                        "not UTF-8 (byte 0xff"),
    "a lone surrogate": (b'{"kind": "member", "mms_id": "M9", "display_name": "a\\ud800b"}',
                         "display_name: contains a lone surrogate"),
    "a 5,000-digit number": (b'{"kind": "member", "mms_id": "M9", "n": ' + b"9" * 5000 + b"}",
                             "not a record"),
    "a NUL in a text": (b'{"kind": "member", "mms_id": "M9", "display_name": "a\\u0000b"}',
                        "display_name: contains a NUL character"),
}


@pytest.mark.parametrize("name", list(HOSTILE_LINES))
def test_a_hostile_line_is_named_and_skipped_and_its_neighbours_are_kept(
        workdir: Path, invoke: Invoke, name: str) -> None:
    line, reason = HOSTILE_LINES[name]
    path = workdir / "mms.jsonl"
    path.write_bytes(json.dumps(MEMBER_1).encode() + b"\n" + line + b"\n"
                     + json.dumps(MEMBER_2).encode() + b"\n")
    code, report = _ingest(invoke, path)
    assert code == 1
    assert [p["line"] for p in report["problems"]] == [2]
    assert reason in report["problems"][0]["reason"]
    assert set(_items(workdir)) == {("member", "M1", "create"), ("member", "M2", "create")}


def test_a_hostile_line_does_not_cost_the_rest_of_its_chunk(workdir: Path,
                                                            invoke: Invoke) -> None:
    good = [json.dumps({**MEMBER_1, "mms_id": f"M{n}"}).encode() for n in range(1200)]
    bad = b'{"kind": "member", "mms_id": "M-bad", "display_name": "a\\ud800b"}'
    path = workdir / "mms.jsonl"
    path.write_bytes(b"\n".join([*good[:700], bad, *good[700:]]) + b"\n")
    code, report = _ingest(invoke, path)
    assert code == 1
    assert [p["line"] for p in report["problems"]] == [701]
    assert report["counts"] == {"new": 1200}


def test_a_record_the_database_refuses_is_named_and_the_chunk_kept(
        workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from ledgersync._ingest import ingest

    with ledgersync.open(workdir / "ledgersync.toml", create=False) as ledger:
        record = ledger.record

        def refuse_m2(records, **kwargs):
            if any(r.mms_id == "M2" for r in records):
                raise ValueError("the database refused a value")
            return record(records, **kwargs)

        monkeypatch.setattr(ledger, "record", refuse_m2)
        lines = b"".join(json.dumps(m).encode() + b"\n" for m in (MEMBER_1, MEMBER_2))
        report = ingest(ledger, io.BytesIO(lines))
    assert [(p.line, p.reason) for p in report.problems] == [
        (2, "the ledger refused it (ValueError)")]
    assert set(_items(workdir)) == {("member", "M1", "create")}


def test_a_reason_quoting_a_huge_field_name_is_cut_to_one_short_line() -> None:
    name = "descrip" * 20_000
    line = json.dumps({**MEMBER_1, name: "x"})
    [(number, problem)] = list(parse_lines([line]))
    assert isinstance(problem, LineProblem)
    assert number == 1
    assert len(problem.reason) <= MAX_REASON_CHARS
    assert "characters cut" in problem.reason
    assert problem.reason.startswith("member 'M1'")


def test_a_reason_quoting_control_characters_is_escaped_onto_one_line() -> None:
    line = json.dumps({**MEMBER_1, "evil\n\x1b[31mname": "x"})
    [(_, problem)] = list(parse_lines([line]))
    assert isinstance(problem, LineProblem)
    assert "\n" not in problem.reason
    assert "\x1b" not in problem.reason
    assert "\\n" in problem.reason
    assert "\\x1b" in problem.reason


def test_a_number_past_decimals_range_is_a_bad_line() -> None:
    [(_, problem)] = list(parse_lines(['{"kind": "member", "mms_id": 1e4444444444444444400}']))
    assert problem == LineProblem(1, "not a record: a number is out of range")
