"""The demo over its whole documented range of members, and a last line whose command works
after ./scripts/demo (issue 9, points 14 and 15)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from ledgersync.cli.demo_cmds import command_from
from ledgersync.demo.dataset import generate


@pytest.mark.parametrize("members", [10, 11, 12, 5000])
def test_the_dataset_has_as_many_members_as_asked_over_the_documented_range(
    members: int,
) -> None:
    dataset = generate(members=members)
    assert dataset.count("member") == members
    assert dataset.count("invoice") > members  # dues for all, slips and events for some


@pytest.fixture
def venv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A virtualenv layout whose python is the running one, as ./scripts/demo leaves it."""
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "ledgersync").write_text("#!/bin/sh\n", encoding="utf-8")
    monkeypatch.setattr(sys, "executable", str(bin_dir / "python"))
    monkeypatch.chdir(tmp_path)
    return bin_dir


def test_the_last_line_names_the_virtualenv_script_when_ledgersync_is_not_on_path(
    venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert command_from(Path("ledgersync-demo")) == "../.venv/bin/ledgersync"


def test_the_last_line_names_the_script_when_another_ledgersync_is_on_path(
    venv: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: "/usr/local/bin/ledgersync")
    assert command_from(Path("demo") / "nested") == "../../.venv/bin/ledgersync"


def test_the_last_line_says_ledgersync_when_it_is_the_one_on_path(
    venv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: str(venv / "ledgersync"))
    assert command_from(Path("ledgersync-demo")) == "ledgersync"
