"""Where a QBD round trip's CPU goes: bench/qbd_bench.py run with parts of the /qbwc handler
wrapped, each part's handler-thread CPU time (inclusive: a part's figure contains those
indented under it) in ms per round trip. Same arguments as qbd_bench.py:

    PYTHONPATH=core/src:plugins/qbd/src python bench/qbd_parts.py --invoices 10000 --members 500
"""

from __future__ import annotations

import functools
import runpy
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import ledgersync_qbd.qbwc.app as app
import ledgersync_qbd.qbwc.callstate as callstate
import ledgersync_qbd.qbwc.mutex as mutex
import ledgersync_qbd.qbwc.planner as planner
import ledgersync_qbd.qbwc.recorder as recorder
import ledgersync_qbd.qbwc.service as service
import ledgersync_qbd.qbwc.sessions as sessions
import ledgersync_qbd.qbwc.work as work
from ledgersync import StateStore
from ledgersync._engine import attempts, export, pull, runs

seconds: defaultdict[str, float] = defaultdict(float)
calls: defaultdict[str, int] = defaultdict(int)


def wrap(owner: Any, name: str, label: str) -> None:
    real = getattr(owner, name)

    @functools.wraps(real)
    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.thread_time()
        try:
            return real(*args, **kwargs)
        finally:
            seconds[label] += time.thread_time() - start
            calls[label] += 1

    setattr(owner, name, timed)


#: (owner, attribute, label) of each part timed.
PARTS: list[tuple[Any, str, str]] = [
    (app, "read_call", "soap: envelope read"),
    (app, "response", "soap: answer written"),
    (service, "next_message_set", "send: next_message_set (all)"),
    (pull.PullQueue, "claim", "send: PullQueue.claim (all)"),
    (pull, "claim", "send:   claim statement+commit (claims.claim)"),
    (runs.Scheduler, "open_runs", "send:   open_runs"),
    (export.ItemExporter, "prefetch", "send:   prefetch references"),
    (export.ItemExporter, "prepare", "send:   prepare (record read + resolve)"),
    (attempts.Attempts, "map_customer", "send:   map_customer hook"),
    (planner, "_element", "send: qbXML requests built (_element)"),
    (work.SentItems, "keep", "send: SentItems.keep"),
    (planner, "message_set", "send: message set serialised"),
    (sessions.Sessions, "set_outstanding", "both: set_outstanding (to_json)"),
    (sessions.Sessions, "save", "both: session saved (to_json)"),
    (sessions.Sessions, "load_hash", "both: session loaded (from_json)"),
    (sessions.Sessions, "outstanding", "both: outstanding loaded (from_json)"),
    (service, "record_answer", "recv: record_answer (all)"),
    (recorder, "read_response", "recv: qbXML answer parsed"),
    (work.SentItems, "take", "recv: SentItems.take"),
    (work.CompanyWork, "_write_successes", "recv: succeed_many"),
    (recorder, "progress", "recv: progress (due count)"),
    (mutex, "_acquire", "mutex: lease taken (+ state read)"),
    (callstate.CallState, "flush", "mutex: call state flushed"),
    (StateStore, "delete", "mutex: lease dropped (delete)"),
    (app.QbwcApp, "handle", "ALL handler"),
]
for part_owner, part_name, part_label in PARTS:
    wrap(part_owner, part_name, part_label)
sys.argv = ["qbd_bench.py", *sys.argv[1:]]
runpy.run_path(str(Path(__file__).with_name("qbd_bench.py")), run_name="__main__")
rounds = calls["recv: record_answer (all)"]
for label in sorted(seconds, key=lambda part: (part.split(":")[0], -seconds[part])):
    print(f"{seconds[label] / rounds * 1000:7.2f} ms  {calls[label] / rounds:5.1f}/rt  {label}")
