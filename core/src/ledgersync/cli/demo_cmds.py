"""`ledgersync demo`: the main job on a fresh machine."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from ._common import console, err_console


def command_from(workdir: Path) -> str:
    """How to call this ledgersync from ``workdir``: ``ledgersync`` when that is the one on
    PATH, else the path of this environment's script (./scripts/demo runs it with the
    caller's PATH, where ``ledgersync`` alone is often not found)."""
    script = Path(sys.executable).parent / "ledgersync"
    on_path = shutil.which("ledgersync")
    if on_path is not None and (not script.exists() or Path(on_path).resolve() == script.resolve()):
        return "ledgersync"
    if script.exists():
        return os.path.relpath(script.absolute(), workdir.absolute())
    return f"{sys.executable} -m ledgersync.cli"


@click.command()
@click.option("--dir", "workdir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("ledgersync-demo"), show_default=True,
              help="Where the demo's config, ledger and sandbox files go.")
@click.option("--members", type=click.IntRange(min=10, max=5000), default=200,
              show_default=True, help="How many members the generated club has.")
@click.option("--seed", type=int, default=7, show_default=True,
              help="The dataset's random seed (the same seed gives the same books).")
def demo(workdir: Path, members: int, seed: int) -> None:
    """Sync a marina's year into every installed sandbox, fix two problems, reconcile.

    Leaves a config and a ledger in --dir so every other command can be tried there:
    `cd ledgersync-demo && ledgersync status`.
    """
    from ..demo.story import Story

    result = Story(workdir, console, members=members, seed=seed).run()
    console.print(f"\nfinished in {result.seconds:.1f} s; the config and ledger are in "
                  f"{workdir.resolve()} (try `cd {workdir} && {command_from(workdir)} status`)",
                  highlight=False, markup=False)
    if not result.ok:
        err_console.print("the demo did not tie out: see the reconciliation above",
                          highlight=False)
        sys.exit(1)


COMMANDS = [demo]
