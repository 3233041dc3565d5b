"""`python -m ledgersync.cli ...`: the same as the `ledgersync` console script."""

from __future__ import annotations

from . import main

main()
