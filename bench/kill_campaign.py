"""The kill campaign: SIGKILL trials per connector against its sandbox (bench/campaign.md).

    python bench/kill_campaign.py --connector qbo --kills 200 --json results.json

Each trial SIGKILLs the process under trial once (QBO, Sage and the two-stage path:
`ledgersync run --once`; QBD: `ledgersync serve` under a simulated Web Connector), lets
recovery run, then counts every record in the sandbox: duplicates, losses,
items left unsettled, processes that crashed (exited neither 0 nor 3 when not killed) or hung,
and the recovery path each item in doubt took. It runs trials until ``--kills`` SIGKILLs landed
or ``--max-trials`` ran. Prints one JSON object; exits 1 when any trial failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from ledgersync.web.server import ServerThread

# The repository root, so that bench.killtrials imports when this runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.killtrials import databases
from bench.killtrials.adapters import CONNECTORS
from bench.killtrials.http_trials import one_trial
from bench.killtrials.report import TrialResult, totals
from bench.killtrials.switch import AFTER_WRITE, ANY_REQUEST, BEFORE_WRITE, KillSwitch
from bench.secrets_scan import Recorder

POINTS = (BEFORE_WRITE, AFTER_WRITE, ANY_REQUEST)


def http_campaign(name: str, *, kills: int, max_trials: int, seed: int, workdir: Path,
                  ledger_url: str | None) -> list[TrialResult]:
    """A clean run first counts the writes and requests a run makes; each trial then kills
    at one of them, drawn at random (the seed makes a campaign repeatable)."""
    connector = CONNECTORS[name]()
    switch = KillSwitch(connector.is_write)
    rng = random.Random(f"{seed}:{name}")
    results: list[TrialResult] = []
    # "critical": a request whose sender was killed ends without an answer, by design.
    with ServerThread(switch, log_level="critical") as server:
        base_url = server.url
        clean = one_trial(0, connector, switch, base_url, workdir / "clean", when=BEFORE_WRITE,
                          kill_at=0, ledger_url=ledger_url)
        if not clean.ok or not clean.writes:
            raise SystemExit(f"the clean run failed: {clean}")
        while sum(sum(r.kills.values()) for r in results) < kills and len(results) < max_trials:
            number = len(results) + 1
            when = rng.choice(POINTS)
            kill_at = rng.randint(1, clean.requests if when == ANY_REQUEST else clean.writes)
            result = one_trial(number, connector, switch, base_url, workdir / f"t{number:04d}",
                               when=when, kill_at=kill_at, ledger_url=ledger_url)
            results.append(result)
            progress(result)
    return results


def progress(result: TrialResult) -> None:
    print(json.dumps({"trial": result.number, "kills": dict(result.kills),
                      "duplicates": result.duplicates, "losses": result.losses,
                      "unsettled": result.unsettled, "paths": dict(result.paths),
                      "ok": result.ok}), file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connector", required=True, choices=[*CONNECTORS, "qbd"])
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--max-trials", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--ledger-url", help="a PostgreSQL server URL: each trial's ledger in "
                        "a schema of its own (default: a SQLite file a trial)")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--keep-ledgers", action="store_true", help="leave each trial's "
                        "PostgreSQL schema in place (for the secrets scan)")
    parser.add_argument("--secrets-out", type=Path, help="write the secrets the campaign "
                        "issued or handed over here, for bench/secrets_scan.py --secrets")
    args = parser.parse_args(argv)
    databases.KEEP_SCHEMAS = args.keep_ledgers
    with contextlib.ExitStack() as stack:
        recorder = stack.enter_context(Recorder()) if args.secrets_out else None
        summary = campaign(args)
        if recorder is not None:
            write_secrets(args.secrets_out, args.connector, recorder)
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    return 0 if not summary["failed_trials"] else 1


def write_secrets(path: Path, connector: str, recorder: Recorder) -> None:
    """What the sandboxes issued in this process (tokens, session ids), the environment the
    campaign set (the secret key), and the secrets handed to the processes under trial (their
    environment is a dict of its own, so not recorded)."""
    listed: dict[str, list[str]] = {"secret key": [os.environ["LEDGERSYNC_SECRET_KEY"]]}
    for secret in recorder.issued:
        listed.setdefault(secret.source, []).append(secret.value)
    if connector == "qbd":
        from bench.killtrials.qbd_trials import PASSWORD

        listed["Web Connector password"] = [PASSWORD]
    else:
        listed["connector environment"] = list(CONNECTORS[connector]().env.values())
    path.write_text(json.dumps(listed, indent=1) + "\n", encoding="utf-8")


def campaign(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("LEDGERSYNC_SECRET_KEY", Fernet.generate_key().decode())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"kills-{args.connector}-") as tmp:
        workdir = args.workdir or Path(tmp)
        if args.connector == "qbd":
            from bench.killtrials.qbd_trials import qbd_campaign

            results = qbd_campaign(kills=args.kills, max_trials=args.max_trials, seed=args.seed,
                                   workdir=workdir, ledger_url=args.ledger_url)
        else:
            results = http_campaign(args.connector, kills=args.kills,
                                    max_trials=args.max_trials, seed=args.seed,
                                    workdir=workdir, ledger_url=args.ledger_url)
    return {
        "connector": args.connector, **totals(results),
        "seconds": round(time.monotonic() - started, 1),
        # ru_maxrss is in KiB on Linux: the campaign process (sandbox and recovery) ...
        "peak_rss_mib_harness": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        # ... and the largest of the processes under trial.
        "peak_rss_mib_children": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024,
    }


if __name__ == "__main__":
    sys.exit(main())
