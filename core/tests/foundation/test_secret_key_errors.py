"""A missing or wrong LEDGERSYNC_SECRET_KEY is a configuration error found before anything is
claimed: the command exits non-zero naming the variable, and no item changes (issue 9, point 7).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledgersync import Ledger, load_config
from ledgersync._secrets import generate_key

from .conftest import Invoke

KEY = "LEDGERSYNC_SECRET_KEY"
MEMBER = {"kind": "member", "mms_id": "M1", "display_name": "Ann Anchor"}


@pytest.fixture
def with_stored_secret(workdir: Path, invoke: Invoke) -> str:
    """Company ``club`` with one queued member and a secret stored under a key (returned)."""
    key = generate_key()
    (workdir / "one.jsonl").write_text(json.dumps(MEMBER) + "\n", encoding="utf-8")
    assert invoke("ingest", "one.jsonl").exit_code == 0
    with Ledger(load_config(workdir / "ledgersync.toml"), secret_keys=key) as ledger:
        ledger.secrets("club").set("refresh_token", "stored-token")
    return key


def _items(invoke: Invoke, key: str) -> list[dict[str, Any]]:
    result = invoke("status", "--items", "--json", env={KEY: key})
    assert result.exit_code == 0, result.output
    return list(json.loads(result.stdout))


def _assert_configuration_error(result: Any, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert KEY in result.stderr
    for needle in needles:
        assert needle in result.stderr


@pytest.mark.parametrize("command", [("run", "--once"), ("run",)], ids=" ".join)
def test_a_missing_key_stops_the_command_before_any_item_is_claimed(
    with_stored_secret: str, invoke: Invoke, command: tuple[str, ...]
) -> None:
    _assert_configuration_error(invoke(*command), "not set", "'club'")
    [item] = _items(invoke, with_stored_secret)
    assert item["status"] == "pending"
    assert item["attempts"] == 0


def test_a_wrong_key_stops_the_run_before_any_item_is_claimed(
    with_stored_secret: str, invoke: Invoke
) -> None:
    _assert_configuration_error(invoke("run", "--once", env={KEY: generate_key()}),
                                "not the key the secrets were stored with")
    [item] = _items(invoke, with_stored_secret)
    assert (item["status"], item["attempts"]) == ("pending", 0)


def test_a_malformed_key_is_named_as_not_a_valid_key(
    with_stored_secret: str, invoke: Invoke
) -> None:
    _assert_configuration_error(invoke("run", "--once", env={KEY: "not-a-key"}),
                                "not a valid key")


def test_the_right_key_runs_as_usual(with_stored_secret: str, invoke: Invoke) -> None:
    result = invoke("run", "--once", env={KEY: with_stored_secret})
    assert result.exit_code == 0, result.output
    [item] = _items(invoke, with_stored_secret)
    assert item["status"] == "synced"


def test_a_run_opens_no_run_when_the_key_is_missing(
    with_stored_secret: str, invoke: Invoke
) -> None:
    invoke("run", "--once")
    result = invoke("log", "--json")
    assert json.loads(result.stdout) == []


def test_config_check_names_a_missing_key(with_stored_secret: str, invoke: Invoke) -> None:
    result = invoke("config", "check")
    assert result.exit_code == 1, result.output
    assert f"{KEY}: " in result.stderr


def test_config_check_names_a_wrong_key(with_stored_secret: str, invoke: Invoke) -> None:
    result = invoke("config", "check", env={KEY: generate_key()})
    assert result.exit_code == 1, result.output
    assert "not the key the secrets were stored with" in result.stderr


def test_config_check_accepts_the_right_key(with_stored_secret: str, invoke: Invoke) -> None:
    result = invoke("config", "check", env={KEY: with_stored_secret})
    assert result.exit_code == 0, result.output


def test_without_stored_secrets_no_key_is_needed(workdir: Path, invoke: Invoke) -> None:
    (workdir / "one.jsonl").write_text(json.dumps(MEMBER) + "\n", encoding="utf-8")
    invoke("ingest", "one.jsonl")
    assert invoke("run", "--once").exit_code == 0
