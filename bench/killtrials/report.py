"""What a kill trial found, and the campaign's totals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

import ledgersync as ls

#: The recovery path an item took after a SIGKILL left it in doubt, read from its history.
LOOKUP_FOUND = "lookup: found, nothing sent again"
LOOKUP_RESENT = "lookup: not there, sent again"
PROBE = "recovery probe"


@attrs.define
class TrialResult:
    connector: str
    number: int
    kills: Counter[str] = attrs.field(factory=Counter)
    writes: int = 0  # that the process under trial sent (the kill stopped it)
    requests: int = 0
    crashes: int = 0
    hangs: int = 0
    records: int = 0
    duplicates: int = 0
    losses: int = 0
    unsettled: int = 0
    paths: Counter[str] = attrs.field(factory=Counter)

    @property
    def ok(self) -> bool:
        return not (self.duplicates or self.losses or self.unsettled or self.crashes
                    or self.hangs)


def recovery_paths(ledger: ls.Ledger, items: Iterable[Any]) -> Counter[str]:
    """How each item a dead process held came back: found by a lookup, or looked for, not
    found and sent again."""
    paths: Counter[str] = Counter()
    for item in items:
        reasons = [e.reason or "" for e in ledger.history(item.id)]
        if not any("lease of" in r and "expired" in r for r in reasons):
            continue
        if any("found in the accounting system after a doubt" in r for r in reasons):
            paths[LOOKUP_FOUND] += 1
        else:
            paths[LOOKUP_RESENT] += 1
    return paths


def totals(results: Sequence[TrialResult]) -> dict[str, Any]:
    kills: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    for r in results:
        kills.update(r.kills)
        paths.update(r.paths)
    return {
        "trials": len(results),
        "kills": sum(kills.values()),
        "kills_by_point": dict(kills),
        "records_checked": sum(r.records for r in results),
        "duplicates": sum(r.duplicates for r in results),
        "losses": sum(r.losses for r in results),
        "unsettled": sum(r.unsettled for r in results),
        "crashes": sum(r.crashes for r in results),
        "hangs": sum(r.hangs for r in results),
        "recovery_paths": dict(paths),
        "failed_trials": [r.number for r in results if not r.ok],
    }
