"""Secrets in the ledger: encrypted at rest under LEDGERSYNC_SECRET_KEY, rotated with "new,old",
and never in clear text anywhere in the database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import Result
from cryptography.fernet import Fernet

import ledgersync
from ledgersync import Ledger, LedgerError, SecretStore
from ledgersync._ledger.schema import metadata, secrets
from ledgersync._secrets import KEY_ENV, generate_key, rotate_all
from ledgersync.testing import FakePlugin

Invoke = Callable[..., Result]

CLEAR = "rt-AB12-very-secret-refresh-token"


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = generate_key()
    monkeypatch.setenv(KEY_ENV, value)
    return value


@pytest.fixture
def ledger(backend_url: str, tmp_path: Path) -> Iterator[Ledger]:
    companies = {name: {"connector": "fake",
                        "fake": {"books_path": str(tmp_path / f"{name}-books.db")}}
                 for name in ("club", "marina")}
    config = ledgersync.parse_config({"ledger": {"url": backend_url}, "companies": companies})
    with ledgersync.open(config, plugins=[FakePlugin()], load_entrypoints=False) as opened:
        yield opened


def _ciphertexts(ledger: Ledger) -> list[bytes]:
    with ledger._database.connect() as conn:
        return [bytes(row.ciphertext) for row in conn.execute(sa.select(secrets))]


@pytest.mark.usefixtures("key")
def test_secret_is_stored_encrypted(ledger: Ledger) -> None:
    ledger.secrets("club").set("refresh_token", CLEAR)
    [stored] = _ciphertexts(ledger)
    assert CLEAR.encode() not in stored
    assert b"very-secret" not in stored


@pytest.mark.usefixtures("key")
def test_get_returns_the_secret(ledger: Ledger) -> None:
    ledger.secrets("club").set("refresh_token", CLEAR)
    assert ledger.secrets("club").get("refresh_token") == CLEAR


@pytest.mark.usefixtures("key")
def test_get_of_an_unknown_secret_is_none(ledger: Ledger) -> None:
    assert ledger.secrets("club").get("refresh_token") is None


@pytest.mark.usefixtures("key")
def test_set_replaces_the_previous_value(ledger: Ledger) -> None:
    store = ledger.secrets("club")
    store.set("refresh_token", "first")
    store.set("refresh_token", "second")
    assert store.get("refresh_token") == "second"
    assert len(_ciphertexts(ledger)) == 1


@pytest.mark.usefixtures("key")
def test_secrets_belong_to_one_company(ledger: Ledger) -> None:
    ledger.secrets("club").set("refresh_token", CLEAR)
    assert ledger.secrets("marina").get("refresh_token") is None


@pytest.mark.usefixtures("key")
def test_secrets_of_an_unknown_company_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ledgersync.ConfigError, match="harbour"):
        ledger.secrets("harbour")


@pytest.mark.usefixtures("key")
def test_set_joins_the_callers_transaction(ledger: Ledger) -> None:
    with ledger._database.connect() as conn:
        transaction = conn.begin()
        ledger.secrets("club").set("refresh_token", CLEAR, connection=conn)
        transaction.rollback()
    assert ledger.secrets("club").get("refresh_token") is None


def test_missing_key_is_a_ledger_error_with_a_remedy(ledger: Ledger) -> None:
    with pytest.raises(LedgerError) as raised:
        ledger.secrets("club").set("refresh_token", CLEAR)
    assert KEY_ENV in raised.value.message
    assert raised.value.remedy is not None
    assert "ledgersync secrets generate-key" in raised.value.remedy


def test_missing_key_when_reading_is_a_ledger_error(ledger: Ledger, key: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    ledger.secrets("club").set("refresh_token", CLEAR)
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(LedgerError, match=KEY_ENV):
        ledger.secrets("club").get("refresh_token")


def test_invalid_key_is_a_ledger_error(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "not-a-key")
    with pytest.raises(LedgerError, match="not a valid key") as raised:
        ledger.secrets("club").set("refresh_token", CLEAR)
    assert "not-a-key" not in str(raised.value)


def test_secret_stored_under_another_key_is_not_readable(
    ledger: Ledger, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger.secrets("club").set("refresh_token", CLEAR)
    monkeypatch.setenv(KEY_ENV, generate_key())
    with pytest.raises(LedgerError, match="cannot be decrypted") as raised:
        ledger.secrets("club").get("refresh_token")
    assert raised.value.remedy is not None
    assert CLEAR not in str(raised.value)


def test_rotation_reencrypts_under_the_new_key(ledger: Ledger) -> None:
    old, new = generate_key(), generate_key()
    SecretStore(ledger._database, "club", keys=old).set("refresh_token", CLEAR)
    before = _ciphertexts(ledger)
    assert rotate_all(ledger._database, keys=f"{new},{old}") == 1
    assert _ciphertexts(ledger) != before
    assert SecretStore(ledger._database, "club", keys=new).get("refresh_token") == CLEAR


def test_after_rotation_the_old_key_alone_no_longer_reads(ledger: Ledger) -> None:
    old, new = generate_key(), generate_key()
    SecretStore(ledger._database, "club", keys=old).set("refresh_token", CLEAR)
    rotate_all(ledger._database, keys=f"{new},{old}")
    with pytest.raises(LedgerError, match="cannot be decrypted"):
        SecretStore(ledger._database, "club", keys=old).get("refresh_token")


def test_both_keys_read_during_a_rotation(ledger: Ledger) -> None:
    old, new = generate_key(), generate_key()
    SecretStore(ledger._database, "club", keys=old).set("refresh_token", CLEAR)
    assert SecretStore(ledger._database, "club", keys=f"{new},{old}").get("refresh_token") == CLEAR


def test_secrets_never_appear_in_clear_text_in_any_table(ledger: Ledger, key: str) -> None:
    ledger.secrets("club").set("refresh_token", CLEAR)
    ledger.secrets("marina").set("password_hash", CLEAR + "-2")
    needle = "very-secret"
    with ledger._database.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(sa.select(table)):
                for value in row:
                    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
                    assert needle not in text, (table.name, row)


def test_secrets_never_appear_in_clear_text_in_the_database_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEY_ENV, generate_key())
    config = ledgersync.parse_config({
        "ledger": {"url": f"sqlite:///{tmp_path / 'ledger.db'}"},
        "companies": {"club": {"connector": "fake",
                               "fake": {"books_path": str(tmp_path / "books.db")}}},
    })
    with ledgersync.open(config, plugins=[FakePlugin()], load_entrypoints=False) as ledger:
        ledger.secrets("club").set("refresh_token", CLEAR)
        ledger.secrets("club").set("refresh_token", CLEAR + "-rotated")
        files = sorted(tmp_path.glob("ledger.db*"))  # the database, its WAL while open
        assert files
        for file in files:
            assert b"very-secret" not in file.read_bytes(), file.name


def test_generate_key_prints_a_usable_key(invoke: Invoke) -> None:
    result = invoke("secrets", "generate-key")
    assert result.exit_code == 0
    Fernet(result.stdout.strip().encode())  # raises when it is not a key


def test_secrets_rotate_command_reencrypts_every_secret(
    workdir: Path, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = generate_key(), generate_key()
    with ledgersync.open(workdir / "ledgersync.toml", create=False) as ledger:
        SecretStore(ledger._database, "club", keys=old).set("refresh_token", CLEAR)
    monkeypatch.setenv(KEY_ENV, f"{new},{old}")
    result = invoke("secrets", "rotate")
    assert result.exit_code == 0, result.output
    assert "re-encrypted 1 secret(s)" in result.stdout
    with ledgersync.open(workdir / "ledgersync.toml", create=False) as ledger:
        assert SecretStore(ledger._database, "club", keys=new).get("refresh_token") == CLEAR


def test_secrets_rotate_without_a_key_says_what_to_do(workdir: Path, invoke: Invoke) -> None:
    result = invoke("secrets", "rotate")
    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert "what to do:" in result.stderr
    assert KEY_ENV in result.stderr


def test_status_json_shows_no_secret(workdir: Path, invoke: Invoke,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, generate_key())
    with ledgersync.open(workdir / "ledgersync.toml", create=False) as ledger:
        ledger.secrets("club").set("refresh_token", CLEAR)
    for args in (("status", "--json"), ("companies", "list", "--json"), ("log", "--json")):
        result = invoke(*args)
        assert result.exit_code == 0
        assert "very-secret" not in result.output
        json.loads(result.stdout)
