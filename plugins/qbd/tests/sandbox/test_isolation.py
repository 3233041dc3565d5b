"""The sandbox stands alone: importing and using it does not load the core package."""

from __future__ import annotations

import subprocess
import sys


def test_sandbox_does_not_import_core_ledgersync() -> None:
    code = ("import sys, ledgersync_qbd.sandbox as s; s.CompanyFile(); "
            "assert 'ledgersync' not in sys.modules, 'core imported'")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               check=False, env={"PYTHONPATH": ":".join(sys.path)})
    assert completed.returncode == 0, completed.stderr
