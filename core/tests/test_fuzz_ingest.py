"""Fuzz: `ledgersync ingest` of a file where good lines and mutated lines alternate.

An input is one mutated line: an example carries ``MUTATED_LINES`` of them in one ingest run
(an ingest run is what costs), so ``LEDGERSYNC_FUZZ_EXAMPLES`` inputs are that many mutated
lines and the progress counter counts them.

Whatever a mutated line holds (broken JSON, NULs, invalid UTF-8, lone surrogates, huge
numbers, deep nesting, a valid record after all), ``ingest`` returns: every good line is
recorded, every line it refused is named with a one-line reason, and nothing raises. Bounded
here; the long run is in bench/campaign.md.
"""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterable

import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgersync import Ledger, record_to_json
from ledgersync._ingest import ingest
from ledgersync._ledger.schema import sync_items
from ledgersync.testing import sample_records
from ledgersync.testing.fuzzing import FUZZ_EXAMPLES, counted, fuzz_settings, mutations

SEEDS = [json.dumps(record_to_json(r)).encode() for r in sample_records()]
#: Lines that took whole chunks down before (issue 15), mutated further by the fuzzer.
SEEDS += [b"[" * 5000 + b"]" * 5000, b'{"kind": "member", "mms_id": "a\\ud800b"}',
          b'{"kind": "member", "mms_id": "M", "display_name": "a\\u0000b"}',
          b'{"kind": "member", "mms_id": ' + b"9" * 5000 + b"}"]
_examples = itertools.count()
#: Mutated lines an example carries, each between two good lines.
MUTATED_LINES = 50


def good_line(example: int, number: int) -> tuple[str, bytes]:
    mms_id = f"FZ{example}-{number}"
    line = json.dumps({"kind": "member", "mms_id": mms_id, "display_name": f"Good {number}"})
    return mms_id, line.encode()


@settings(fuzz_settings, max_examples=max(1, -(-FUZZ_EXAMPLES // MUTATED_LINES)))
@given(bad=st.lists(mutations(SEEDS), min_size=MUTATED_LINES, max_size=MUTATED_LINES),
       separator=st.sampled_from([b"\n", b"\r\n"]))
@counted(weight=lambda bad, **_: len(bad))
def test_fuzz_bad_lines_are_named_and_skipped_and_good_lines_kept(
        ledger: Ledger, bad: list[bytes], separator: bytes) -> None:
    example = next(_examples)
    lines: list[bytes] = []
    good: dict[int, str] = {}
    mutated: set[int] = set()
    for index, line in enumerate(bad):
        mms_id, text = good_line(example, index)
        lines.append(text)
        good[len(lines)] = mms_id
        # A mutation may hold line breaks: each piece is a line of the file.
        for piece in line.replace(b"\r", b"\n").split(b"\n"):
            lines.append(piece)
            mutated.add(len(lines))
    mms_id, text = good_line(example, len(bad))
    lines.append(text)
    good[len(lines)] = mms_id

    report = ingest(ledger, io.BytesIO(separator.join(lines) + separator),
                    companies=["harbor"], chunk_size=3)

    for problem in report.problems:
        assert problem.line in mutated, f"a good line was refused: {problem}"
        assert problem.reason
        assert "\n" not in problem.reason
        assert len(problem.reason) < 400
    assert not set(good.values()) - recorded_members(ledger, good.values()), "good lines lost"


def recorded_members(ledger: Ledger, mms_ids: Iterable[str]) -> set[str]:
    """Which of these members the ledger holds: one query (the ledger grows by 51 members an
    example, and an `items()` call a line made the check, not ingest, what the run spent)."""
    with ledger._database.connect() as conn:
        return set(conn.execute(sa.select(sync_items.c.mms_id).where(
            sync_items.c.company == "harbor", sync_items.c.kind == "member",
            sync_items.c.mms_id.in_(list(mms_ids)))).scalars())
