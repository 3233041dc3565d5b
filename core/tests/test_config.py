"""The config file: parsing, every problem with its key path, env: secrets, connector settings."""

from __future__ import annotations

import datetime
import tomllib
from pathlib import Path
from typing import Any, Literal

import attrs
import pytest

from ledgersync._config import (
    MANUAL,
    CompanyConfig,
    Config,
    Limits,
    check_config,
    example_config_text,
    load_config,
    parse_config,
    resolve_secret,
    structure_settings,
)
from ledgersync._errors import ConfigError


@attrs.frozen(kw_only=True)
class FakeQboSettings:
    realm_id: str
    client_id: str
    client_secret: str
    environment: Literal["sandbox", "production"] = "sandbox"
    minor_version: int = 75
    scopes: list[str] = attrs.Factory(list)


@attrs.frozen(kw_only=True)
class FakeQbdSettings:
    username: str
    password: str


INSTALLED: dict[str, type[Any]] = {"qbo": FakeQboSettings, "qbd": FakeQbdSettings}


def harbor(**extra: Any) -> dict[str, Any]:
    table: dict[str, Any] = {
        "connector": "qbo",
        "qbo": {"realm_id": "123", "client_id": "id", "client_secret": "secret"},
    }
    table.update(extra)
    return table


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def company(settings: dict[str, Any], connector: str = "qbo", **kw: Any) -> CompanyConfig:
    return CompanyConfig(name="harbor", connector=connector, settings=settings, **kw)


# -- parsing -------------------------------------------------------------------------------------


def test_empty_config_has_no_companies_and_default_sqlite_ledger(tmp_path: Path) -> None:
    config = parse_config({}, base_dir=tmp_path)
    assert config.companies == {}
    assert config.ledger_url == f"sqlite:///{tmp_path / 'ledgersync.db'}"
    assert config.plugins_enabled is None
    assert config.plugins_disabled == ()


def test_company_keys_are_parsed_into_company_config() -> None:
    data = {
        "companies": {
            "harbor": harbor(
                enabled=False,
                schedule="1h30m",
                in_sync_date=datetime.date(2025, 1, 1),
                approval_required=True,
                limits={"max_in_flight": 3, "requests_per_minute": 100},
            )
        }
    }
    got = parse_config(data).companies["harbor"]
    assert got == CompanyConfig(
        name="harbor",
        connector="qbo",
        enabled=False,
        schedule_minutes=90,
        in_sync_date=datetime.date(2025, 1, 1),
        approval_required=True,
        limits=Limits(max_in_flight=3, requests_per_minute=100),
        settings={"realm_id": "123", "client_id": "id", "client_secret": "secret"},
    )


def test_omitted_company_keys_take_defaults() -> None:
    got = parse_config({"companies": {"harbor": {"connector": "qbo"}}}).companies["harbor"]
    assert got.enabled is True
    assert got.schedule_minutes is None
    assert got.in_sync_date is None
    assert got.approval_required is False
    assert got.limits == Limits()
    assert got.settings == {}


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("15m", 15), ("60m", 60), ("1h", 60), ("1h30m", 90), ("1d", 1440), ("manual", MANUAL)],
)
def test_schedule_strings_become_minutes(text: str, minutes: int) -> None:
    got = parse_config({"companies": {"harbor": harbor(schedule=text)}})
    assert got.companies["harbor"].schedule_minutes == minutes


@pytest.mark.parametrize("bad", ["0m", "often", "30s", 60, ""])
def test_bad_schedule_is_reported_at_its_key(bad: object) -> None:
    [problem] = problems_of({"companies": {"harbor": harbor(schedule=bad)}})
    assert problem.startswith('companies.harbor.schedule: expected "manual" or a duration')


def test_in_sync_date_accepts_an_iso_string() -> None:
    got = parse_config({"companies": {"harbor": harbor(in_sync_date="2024-07-01")}})
    assert got.companies["harbor"].in_sync_date == datetime.date(2024, 7, 1)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("2024-02-30", "'2024-02-30' is not a valid date"),
        ("July 1st", "expected a date (YYYY-MM-DD), got string"),
        (datetime.datetime(2024, 7, 1, 12, 0), "expected a date (YYYY-MM-DD), got date-time"),
    ],
)
def test_bad_in_sync_date_is_reported_at_its_key(bad: object, problem: str) -> None:
    problems = problems_of({"companies": {"harbor": harbor(in_sync_date=bad)}})
    assert problems == [f"companies.harbor.in_sync_date: {problem}"]


def test_company_without_connector_is_reported() -> None:
    assert problems_of({"companies": {"harbor": {"enabled": True}}}) == [
        "companies.harbor.connector: missing"
    ]


def test_non_boolean_enabled_is_reported() -> None:
    assert problems_of({"companies": {"harbor": harbor(enabled="yes")}}) == [
        "companies.harbor.enabled: expected true or false, got string 'yes'"
    ]


def test_misspelled_company_key_is_an_unknown_key_with_a_suggestion() -> None:
    assert problems_of({"companies": {"harbor": harbor(aproval_required=True)}}) == [
        "companies.harbor.aproval_required: unknown key (did you mean 'approval_required'?)"
    ]


def test_unknown_top_level_key_is_reported() -> None:
    assert problems_of({"companys": {}}) == ["companys: unknown key (did you mean 'companies'?)"]


def test_table_for_another_connector_is_an_unknown_key() -> None:
    assert problems_of({"companies": {"harbor": harbor(qbd={})}}) == [
        "companies.harbor.qbd: unknown key (did you mean 'qbo'?)"
    ]


@pytest.mark.parametrize("bad", [-1, 0])
def test_non_positive_limit_is_reported(bad: int) -> None:
    problems = problems_of({"companies": {"harbor": harbor(limits={"max_in_flight": bad})}})
    assert problems == [
        f"companies.harbor.limits.max_in_flight: must be a positive integer, got {bad}"
    ]


def test_non_integer_limit_and_unknown_limit_key_are_reported() -> None:
    limits = {"requests_per_minute": "500", "max_inflight": 2}
    assert problems_of({"companies": {"harbor": harbor(limits=limits)}}) == [
        "companies.harbor.limits.max_inflight: unknown key (did you mean 'max_in_flight'?)",
        "companies.harbor.limits.requests_per_minute: expected a positive integer, got string",
    ]


@pytest.mark.parametrize("name", ["Harbor", "yacht club", "x" * 65])
def test_bad_company_name_is_reported(name: str) -> None:
    [problem] = problems_of({"companies": {name: harbor()}})
    assert problem.endswith(
        ": invalid company name (use 1-64 lowercase letters, digits, '_' or '-')"
    )


def test_company_name_with_spaces_is_quoted_in_the_key_path() -> None:
    [problem] = problems_of({"companies": {"yacht club": harbor()}})
    assert problem.startswith('companies."yacht club": ')


def test_company_that_is_not_a_table_is_reported() -> None:
    assert problems_of({"companies": {"harbor": "qbo"}}) == [
        "companies.harbor: expected a table, got string"
    ]


def test_connector_table_that_is_not_a_table_is_reported() -> None:
    assert problems_of({"companies": {"harbor": {"connector": "qbo", "qbo": "x"}}}) == [
        "companies.harbor.qbo: expected a table, got string"
    ]


def test_plugin_lists_are_parsed() -> None:
    config = parse_config({"plugins": {"enabled": ["qbo", "qbd"], "disabled": ["sage"]}})
    assert config.plugins_enabled == ("qbo", "qbd")
    assert config.plugins_disabled == ("sage",)


def test_non_string_plugin_name_is_reported_with_its_index() -> None:
    assert problems_of({"plugins": {"enabled": ["qbo", 3]}}) == [
        "plugins.enabled[1]: expected a string, got integer"
    ]


def test_every_problem_is_reported_together() -> None:
    data = {
        "ledger": {"url": 5},
        "companies": {
            "harbor": {"enabled": "yes", "schedule": "often"},
            "Yacht": harbor(aproval_required=True, limits={"max_in_flight": -1}),
        },
    }
    with pytest.raises(ConfigError) as caught:
        parse_config(data, source="ledgersync.toml")
    assert caught.value.problems == [
        "ledger.url: expected a database URL, got integer 5",
        "companies.harbor.connector: missing",
        "companies.harbor.enabled: expected true or false, got string 'yes'",
        'companies.harbor.schedule: expected "manual" or a duration such as "15m", "1h" or '
        "\"1h30m\", got 'often'",
        "companies.Yacht: invalid company name (use 1-64 lowercase letters, digits, '_' or '-')",
        "companies.Yacht.aproval_required: unknown key (did you mean 'approval_required'?)",
        "companies.Yacht.limits.max_in_flight: must be a positive integer, got -1",
    ]
    assert "ledgersync.toml has 7 problem(s)" in str(caught.value)


# -- the ledger URL -------------------------------------------------------------------------------


def test_relative_sqlite_path_is_resolved_against_the_config_directory(tmp_path: Path) -> None:
    config = parse_config({"ledger": {"url": "sqlite:///data/sync.db"}}, base_dir=tmp_path)
    assert config.ledger_url == f"sqlite:///{tmp_path / 'data' / 'sync.db'}"


def test_sqlite_driver_and_query_are_kept_when_resolving(tmp_path: Path) -> None:
    url = "sqlite+pysqlite:///sync.db?timeout=30"
    config = parse_config({"ledger": {"url": url}}, base_dir=tmp_path)
    assert config.ledger_url == f"sqlite+pysqlite:///{tmp_path / 'sync.db'}?timeout=30"


@pytest.mark.parametrize(
    "url", ["sqlite:////var/lib/sync.db", "sqlite://", "sqlite:///:memory:", "postgresql://h/db"]
)
def test_absolute_memory_and_server_urls_are_unchanged(url: str, tmp_path: Path) -> None:
    assert parse_config({"ledger": {"url": url}}, base_dir=tmp_path).ledger_url == url


def test_ledger_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LS_TEST_DB", "postgresql://u:pw@db/ls")
    config = parse_config({"ledger": {"url": "env:LS_TEST_DB"}})
    assert config.ledger_url == "postgresql://u:pw@db/ls"


def test_ledger_url_password_is_hidden_in_repr() -> None:
    config = Config(ledger_url="postgresql://u:hunter2@db/ls", companies={})
    assert "hunter2" not in repr(config)
    assert "postgresql://u:***@db/ls" in repr(config)


def test_connector_settings_values_are_hidden_in_repr() -> None:
    assert "hunter2" not in repr(company({"client_secret": "hunter2"}))


# -- secrets -------------------------------------------------------------------------------------


def test_resolve_secret_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LS_TEST_SECRET", "s3cret")
    assert resolve_secret("env:LS_TEST_SECRET", key_path="a.b") == "s3cret"


def test_resolve_secret_returns_plain_strings_unchanged() -> None:
    assert resolve_secret("plain value", key_path="a.b") == "plain value"


def test_resolve_secret_reports_an_unset_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LS_TEST_UNSET", raising=False)
    with pytest.raises(ConfigError) as caught:
        resolve_secret("env:LS_TEST_UNSET", key_path="companies.harbor.qbo.client_secret")
    assert caught.value.problems == [
        "companies.harbor.qbo.client_secret: environment variable LS_TEST_UNSET is not set"
    ]


def test_resolve_secret_reports_an_empty_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LS_TEST_EMPTY", "")
    with pytest.raises(ConfigError, match="environment variable LS_TEST_EMPTY is empty"):
        resolve_secret("env:LS_TEST_EMPTY", key_path="a")


def test_resolve_secret_refuses_a_malformed_reference() -> None:
    with pytest.raises(ConfigError, match="'env:NOT VALID' is not a valid env:NAME reference"):
        resolve_secret("env:NOT VALID", key_path="a")


def test_unset_ledger_url_variable_is_a_parse_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LS_TEST_UNSET", raising=False)
    assert problems_of({"ledger": {"url": "env:LS_TEST_UNSET"}}) == [
        "ledger.url: environment variable LS_TEST_UNSET is not set"
    ]


def test_parse_keeps_connector_secrets_unresolved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LS_TEST_UNSET", raising=False)
    data = {"companies": {"harbor": harbor(qbo={"client_secret": "env:LS_TEST_UNSET"})}}
    settings = parse_config(data).companies["harbor"].settings
    assert settings == {"client_secret": "env:LS_TEST_UNSET"}


# -- load_config ----------------------------------------------------------------------------------


def test_load_config_reads_a_file_and_resolves_sqlite_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "ledgersync.toml"
    path.write_text('[companies.harbor]\nconnector = "qbo"\n', encoding="utf-8")
    config = load_config(path)
    assert config.source == str(path)
    assert config.ledger_url == f"sqlite:///{tmp_path / 'ledgersync.db'}"
    assert list(config.companies) == ["harbor"]


def test_load_config_reports_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [f"{path}: file not found"]


def test_load_config_reports_toml_syntax_errors_with_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "ledgersync.toml"
    path.write_text('[ledger]\nurl = "sqlite:///x.db"\n\n[companies.harbor\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert problem.startswith(f"{path}:4:")
    assert "invalid TOML" in problem


def test_load_config_uses_the_file_as_source_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "ledgersync.toml"
    path.write_text("[companies.harbor]\nenabled = true\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"ledgersync\.toml has 1 problem\(s\)"):
        load_config(path)


# -- the example config -------------------------------------------------------------------------


def test_example_config_parses_with_the_documented_companies(tmp_path: Path) -> None:
    config = parse_config(tomllib.loads(example_config_text()), base_dir=tmp_path)
    assert set(config.companies) == {"harbor", "yacht_club"}
    assert config.companies["harbor"].settings["client_secret"] == "env:QBO_CLIENT_SECRET"
    assert config.companies["yacht_club"].approval_required is True
    assert config.companies["yacht_club"].in_sync_date == datetime.date(2024, 7, 1)


def test_example_config_passes_check_when_secrets_are_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QBO_CLIENT_SECRET", "x")
    monkeypatch.setenv("QBD_PASSWORD", "y")
    config = parse_config(tomllib.loads(example_config_text()), base_dir=tmp_path)
    assert check_config(config, INSTALLED) == []


# -- check_config and structure_settings ----------------------------------------------------------


def check(settings: dict[str, Any], connector: str = "qbo", **kw: Any) -> list[str]:
    config = Config(
        ledger_url="sqlite://", companies={"harbor": company(settings, connector, **kw)}
    )
    return check_config(config, INSTALLED)


def test_check_reports_an_unknown_connector_with_the_installed_ones() -> None:
    assert check({}, connector="qbx") == [
        "companies.harbor.connector: unknown connector 'qbx' (installed: qbd, qbo)"
    ]


def test_check_reports_each_missing_setting() -> None:
    assert check({"client_id": "id"}) == [
        "companies.harbor.qbo.realm_id: missing",
        "companies.harbor.qbo.client_secret: missing",
    ]


def test_check_reports_unknown_setting_keys() -> None:
    assert check({"realm_id": "1", "client_id": "i", "client_secret": "s", "realmid": "1"}) == [
        "companies.harbor.qbo.realmid: unknown key"
    ]


def test_check_reports_wrong_types_without_coercing() -> None:
    settings = {"realm_id": 123, "client_id": "i", "client_secret": "s", "minor_version": "75"}
    assert check(settings) == [
        "companies.harbor.qbo.realm_id: expected a string, got integer",
        "companies.harbor.qbo.minor_version: expected an integer, got string",
    ]


def test_check_reports_a_value_outside_a_literal() -> None:
    settings = {"realm_id": "1", "client_id": "i", "client_secret": "s", "environment": "prod"}
    assert check(settings) == [
        "companies.harbor.qbo.environment: invalid value, expected one of 'sandbox', 'production'"
    ]


def test_check_reports_list_elements_by_index() -> None:
    settings = {"realm_id": "1", "client_id": "i", "client_secret": "s", "scopes": ["a", 2]}
    assert check(settings) == ["companies.harbor.qbo.scopes[1]: expected a string, got integer"]


def test_check_refuses_a_string_where_a_list_is_expected() -> None:
    settings = {"realm_id": "1", "client_id": "i", "client_secret": "s", "scopes": "accounting"}
    assert check(settings) == ["companies.harbor.qbo.scopes: expected an array, got string"]


def test_check_reports_an_unset_secret_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QBO_SECRET", raising=False)
    settings = {"realm_id": "1", "client_id": "i", "client_secret": "env:QBO_SECRET"}
    assert check(settings) == [
        "companies.harbor.qbo.client_secret: environment variable QBO_SECRET is not set"
    ]


def test_check_reports_secret_and_missing_keys_together(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QBO_SECRET", raising=False)
    assert check({"client_secret": "env:QBO_SECRET"}) == [
        "companies.harbor.qbo.client_secret: environment variable QBO_SECRET is not set",
        "companies.harbor.qbo.realm_id: missing",
        "companies.harbor.qbo.client_id: missing",
    ]


def test_check_skips_disabled_companies() -> None:
    assert check({}, connector="not-installed", enabled=False) == []


def test_enabled_companies_leaves_out_disabled_ones() -> None:
    config = Config(
        ledger_url="sqlite://",
        companies={
            "harbor": company({}),
            "old": CompanyConfig(name="old", connector="qbo", enabled=False),
        },
    )
    assert [c.name for c in config.enabled_companies()] == ["harbor"]


def test_structure_settings_resolves_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QBO_SECRET", "s3cret")
    settings = {"realm_id": "1", "client_id": "i", "client_secret": "env:QBO_SECRET"}
    got = structure_settings(company(settings), FakeQboSettings)
    assert got == FakeQboSettings(realm_id="1", client_id="i", client_secret="s3cret")


def test_structure_settings_raises_config_error_with_key_paths() -> None:
    with pytest.raises(ConfigError) as caught:
        structure_settings(company({"realm_id": "1"}), FakeQboSettings)
    assert caught.value.problems == [
        "companies.harbor.qbo.client_id: missing",
        "companies.harbor.qbo.client_secret: missing",
    ]


@attrs.frozen
class Accounts:
    receivable: str


@attrs.frozen
class NestedSettings:
    accounts: Accounts
    classes: dict[str, int] = attrs.Factory(dict)


def test_nested_settings_table_problems_have_full_key_paths() -> None:
    settings = {"accounts": {"receivabel": "1200"}, "classes": {"dock": "x"}}
    with pytest.raises(ConfigError) as caught:
        structure_settings(company(settings), NestedSettings)
    assert caught.value.problems == [
        "companies.harbor.qbo.accounts.receivable: missing",
        "companies.harbor.qbo.accounts.receivabel: unknown key",
        "companies.harbor.qbo.classes.dock: expected an integer, got string",
    ]


@attrs.frozen
class PortSettings:
    port: int = attrs.field(validator=attrs.validators.ge(1))


def test_settings_class_validator_message_is_reported_at_the_table() -> None:
    with pytest.raises(ConfigError) as caught:
        structure_settings(company({"port": 0}), PortSettings)
    [problem] = caught.value.problems
    assert problem.startswith("companies.harbor.qbo: 'port' must be >= 1")
