"""Every relative path in the config is relative to the config file, and a missing books file
is an error rather than an empty company (issue 9, point 13)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ledgersync import load_config
from ledgersync.demo.fake_sandbox import FakeDemoSandbox
from ledgersync.demo.story import write_config

from .conftest import Invoke

MEMBER = {"kind": "member", "mms_id": "M1", "display_name": "Ann Anchor"}


def test_a_relative_books_path_is_relative_to_the_config_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "ledgersync.toml").write_text(
        '[companies.club]\nconnector = "fake"\n[companies.club.fake]\n'
        'books_path = "books/fake.db"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("site") / "ledgersync.toml")
    assert config.companies["club"].settings["books_path"] == str(site / "books" / "fake.db")


def test_an_absolute_books_path_is_kept_as_it_is(tmp_path: Path) -> None:
    books = tmp_path / "elsewhere" / "fake.db"
    (tmp_path / "ledgersync.toml").write_text(
        f'[companies.club]\nconnector = "fake"\n[companies.club.fake]\nbooks_path = '
        f'"{books.as_posix()}"\n', encoding="utf-8")
    config = load_config(tmp_path / "ledgersync.toml")
    assert Path(config.companies["club"].settings["books_path"]) == books


def test_the_demo_config_works_from_inside_its_folder_when_written_from_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    workdir = Path("ledgersync-demo")
    workdir.mkdir()
    write_config(workdir, [FakeDemoSandbox(workdir)])
    monkeypatch.chdir(workdir)
    config = load_config("ledgersync.toml")
    assert config.companies["fake"].settings["books_path"] == str(
        tmp_path / "ledgersync-demo" / "fake-books.db")


def test_commands_run_with_config_elsewhere_use_the_books_beside_it(
    workdir: Path, invoke: Invoke, tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (workdir / "one.jsonl").write_text(json.dumps(MEMBER) + "\n", encoding="utf-8")
    assert invoke("ingest", "one.jsonl").exit_code == 0
    assert invoke("run", "--once").exit_code == 0
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    result = invoke("--config", str(workdir / "ledgersync.toml"), "reconcile", "club")
    assert result.exit_code == 0, result.output
    assert not Path("fake-books.db").exists()


def test_reconcile_against_a_missing_books_file_is_an_error_and_creates_no_file(
    workdir: Path, invoke: Invoke
) -> None:
    books = workdir / "fake-books.db"
    assert not books.exists()
    result = invoke("reconcile", "club")
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"no books file at {books}" in result.stderr
    assert "relative to the config file" in result.stderr
    assert "ties out" not in result.output
    assert not books.exists()
    assert not os.path.exists(f"{books}-wal")
