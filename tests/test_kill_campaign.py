"""The kill campaign's bounded version (bench/campaign.md): a few SIGKILLs per connector of
the real `ledgersync run` (QBO, Sage, the two-stage path) or `ledgersync serve` (QuickBooks
Desktop under the simulated Web Connector), each ending with every record in the sandbox
exactly once. The long run (200 kills a connector) is bench/kill_campaign.py by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CAMPAIGN = Path(__file__).resolve().parents[1] / "bench" / "kill_campaign.py"


@pytest.mark.parametrize("connector", ["qbo", "sage", "quickbooks_legacy", "qbd"])
def test_killed_processes_leave_no_duplicate_and_no_loss_in_the_sandbox(
        connector: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(CAMPAIGN), "--connector", connector, "--kills", "4",
         "--max-trials", "8", "--workdir", str(tmp_path / "trials"),
         "--secrets-out", str(tmp_path / "secrets.json")],
        capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    summary = json.loads(done.stdout)
    assert summary["kills"] >= 4
    assert (summary["duplicates"], summary["losses"], summary["unsettled"]) == (0, 0, 0)
    assert (summary["crashes"], summary["hangs"]) == (0, 0)
    assert summary["records_checked"] > 0
    assert sum(summary["recovery_paths"].values()) > 0
    # What the secrets scan will look for: the secret key, and the credentials the sandbox
    # issued in the campaign process (QBD: the Web Connector password handed to `serve`).
    listed = json.loads((tmp_path / "secrets.json").read_text())
    assert listed["secret key"][0]
    issued = [source for source in listed if source.startswith("token_")]
    assert issued or listed.get("Web Connector password"), listed
