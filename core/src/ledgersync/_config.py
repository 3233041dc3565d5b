"""The configuration file: TOML parsed into frozen attrs objects, every problem named by key path.

Two stages, because the core cannot know the connectors' settings when it reads the file:

* :func:`load_config` / :func:`parse_config` check everything the core owns (ledger, plugins,
  companies and their common keys) and raise one :class:`ConfigError` listing every problem;
* :func:`check_config` / :func:`structure_settings` check each company's connector table against
  the settings attrs class of the installed connector (cattrs, detailed validation), resolving
  ``env:NAME`` secrets only then, so that parsing never needs a connector's secrets.

Problems read ``key.path: what is wrong``, e.g. ``companies.harbor.qbo.realm_id: missing``.
"""

from __future__ import annotations

import datetime
import difflib
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from enum import Enum
from importlib import resources
from pathlib import Path
from types import NoneType, UnionType
from typing import Any, Literal, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
from cattrs import cols
from cattrs.errors import (
    AttributeValidationNote,
    BaseValidationError,
    ForbiddenExtraKeysError,
    IterableValidationNote,
)

from ledgersync._errors import ConfigError, UnknownConnectorError

T = TypeVar("T")

DEFAULT_LEDGER_URL = "sqlite:///ledgersync.db"
#: ``schedule_minutes`` of a company whose schedule is ``"manual"``: no automatic runs.
MANUAL = 0

_COMPANY_KEYS = ("connector", "enabled", "schedule", "in_sync_date", "approval_required", "limits")
_LIMIT_KEYS = ("max_in_flight", "requests_per_minute")
_COMPANY_NAME = re.compile(r"[a-z0-9_-]{1,64}")
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DURATION = re.compile(r"(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?")
_SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?):///(?P<path>[^?]*)(?P<query>\?.*)?", re.S)
_URL_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")
_TOML_POSITION = re.compile(r"(?P<msg>.*) \(at line (?P<line>\d+), column (?P<col>\d+)\)", re.S)


def _redact_url(url: str) -> str:
    # A PostgreSQL URL may carry a password; reprs end up in logs.
    return repr(_URL_PASSWORD.sub(r"\1***@", url))


def _keys_only(settings: Mapping[str, Any]) -> str:
    # The raw connector table may hold clear-text secrets: show which keys are set, not values.
    return "{" + ", ".join(f"{key!r}: ..." for key in settings) + "}"


@attrs.frozen(kw_only=True)
class Limits:
    """Per-company throughput limits, held across all workers; None = the connector's default."""

    max_in_flight: int | None = None
    requests_per_minute: int | None = None


@attrs.frozen(kw_only=True)
class CompanyConfig:
    """One ``[companies.NAME]`` table.

    ``schedule_minutes``: None = the connector's default interval, :data:`MANUAL` (0) = never run
    automatically (only ``ledgersync run`` or an explicit trigger), otherwise minutes between runs.
    ``settings`` is the raw ``[companies.NAME.<connector>]`` table, ``env:`` secrets unresolved;
    turn it into the connector's settings object with :func:`structure_settings`.
    """

    name: str
    connector: str
    enabled: bool = True
    schedule_minutes: int | None = None
    in_sync_date: datetime.date | None = None
    approval_required: bool = False
    limits: Limits = attrs.field(factory=Limits)
    settings: Mapping[str, Any] = attrs.field(factory=dict, repr=_keys_only)


@attrs.frozen(kw_only=True)
class Config:
    """The whole file. ``ledger_url`` is final: ``env:`` resolved, a relative SQLite path made
    absolute against the config file's directory."""

    ledger_url: str = attrs.field(repr=_redact_url)
    companies: Mapping[str, CompanyConfig] = attrs.field(factory=dict)
    plugins_enabled: tuple[str, ...] | None = None
    plugins_disabled: tuple[str, ...] = ()
    source: str = "<memory>"

    def enabled_companies(self) -> tuple[CompanyConfig, ...]:
        """The companies that may be synced (a disabled company never is), in file order."""
        return tuple(company for company in self.companies.values() if company.enabled)


def example_config_text() -> str:
    """The commented example config that ``ledgersync init`` writes."""
    return (
        resources.files("ledgersync").joinpath("_example_config.toml").read_text(encoding="utf-8")
    )


# -- key paths and TOML type names ------------------------------------------------------------


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    # Quote like TOML does, so a path can be pasted back into the file.
    part = key if _BARE_KEY.fullmatch(key) else json.dumps(key)
    return f"{path}.{part}" if path else part


# In TOML's words; subclasses first (bool is an int, datetime is a date).
_KINDS = (
    (bool, "boolean"), (int, "integer"), (float, "float"), (str, "string"), (dict, "table"),
    (list, "array"), (datetime.datetime, "date-time"), (datetime.date, "date"),
    (datetime.time, "time"),
)  # fmt: skip


def _kind(value: object) -> str:
    return next((name for cls, name in _KINDS if isinstance(value, cls)), type(value).__name__)


def _unknown_keys(
    table: Mapping[str, Any], known: Iterable[str], path: str, problems: list[str]
) -> None:
    known = list(known)
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            problems.append(f"{_join(path, key)}: unknown key{hint}")


# -- secrets ------------------------------------------------------------------------------------


def resolve_secret(value: str, *, key_path: str) -> str:
    """Resolve ``env:NAME`` from the environment; any other string is returned as it is.

    An unset or empty variable is an error: an empty secret only fails later, less clearly.
    """
    if not value.startswith("env:"):
        return value
    name = value[4:]
    if not _ENV_NAME.fullmatch(name):
        raise ConfigError([f"{key_path}: {value!r} is not a valid env:NAME reference"])
    resolved = os.environ.get(name)
    if resolved is None:
        raise ConfigError([f"{key_path}: environment variable {name} is not set"])
    if not resolved:
        raise ConfigError([f"{key_path}: environment variable {name} is empty"])
    return resolved


def _resolve_tree(value: Any, path: str, problems: list[str], unresolved: set[str]) -> Any:
    if isinstance(value, str):
        try:
            return resolve_secret(value, key_path=path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            unresolved.add(path)
            return value  # keep the reference so a str field does not also report a type error
    if isinstance(value, Mapping):
        return {k: _resolve_tree(v, _join(path, k), problems, unresolved) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_tree(v, _join(path, i), problems, unresolved) for i, v in enumerate(value)]
    return value


# -- the core's part of the file ------------------------------------------------------------------


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and parse a config file; raise :class:`ConfigError` listing every problem."""
    file = Path(path)
    source = str(file)
    try:
        text = file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{source}: file not found"], source=source) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{source}: not UTF-8 text ({exc.reason})"], source=source) from None
    except OSError as exc:
        raise ConfigError([f"{source}: cannot read ({exc.strerror})"], source=source) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11 only puts the position in the message; make it editor-clickable.
        match = _TOML_POSITION.fullmatch(str(exc))
        where = f"{source}:{match['line']}:{match['col']}" if match else source
        message = match["msg"] if match else str(exc)
        raise ConfigError([f"{where}: invalid TOML: {message}"], source=source) from None
    return parse_config(data, source=source, base_dir=file.parent)


def parse_config(
    data: Mapping[str, Any], *, source: str = "<memory>", base_dir: Path | None = None
) -> Config:
    """Build a :class:`Config` from parsed TOML; relative SQLite paths are taken from
    ``base_dir`` (the current directory when None). Raises :class:`ConfigError`."""
    problems: list[str] = []
    _unknown_keys(data, ("ledger", "plugins", "companies"), "", problems)

    ledger = _table(data, "ledger", "", problems)
    _unknown_keys(ledger, ("url",), "ledger", problems)
    ledger_url = _ledger_url(ledger.get("url", DEFAULT_LEDGER_URL), base_dir, problems)

    plugins = _table(data, "plugins", "", problems)
    _unknown_keys(plugins, ("enabled", "disabled"), "plugins", problems)
    enabled = _names(plugins, "enabled", problems)
    disabled = _names(plugins, "disabled", problems)

    companies: dict[str, CompanyConfig] = {}
    for name, table in _table(data, "companies", "", problems).items():
        company = _company(name, table, problems, base_dir)
        if company is not None:
            companies[name] = company

    if problems:
        raise ConfigError(problems, source=source)
    return Config(
        ledger_url=ledger_url,
        companies=companies,
        plugins_enabled=enabled,
        plugins_disabled=disabled or (),
        source=source,
    )


def _table(parent: Mapping[str, Any], key: str, path: str, problems: list[str]) -> dict[str, Any]:
    value = parent.get(key, {})
    if isinstance(value, dict):
        return value
    problems.append(f"{_join(path, key)}: expected a table, got {_kind(value)}")
    return {}


def _ledger_url(value: object, base_dir: Path | None, problems: list[str]) -> str:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"ledger.url: expected a database URL, got {_kind(value)} {value!r}")
        return ""
    try:
        url = resolve_secret(value, key_path="ledger.url")
    except ConfigError as exc:
        problems.extend(exc.problems)
        return ""
    match = _SQLITE_URL.fullmatch(url)
    if match is None or match["path"] in ("", ":memory:") or match["path"].startswith("file:"):
        return url
    file = Path(match["path"]).expanduser()
    if not file.is_absolute():
        # Relative to the config file, not to wherever the command happens to run.
        file = Path(os.path.abspath((base_dir or Path.cwd()) / file))
    return f"{match['scheme']}:///{file}{match['query'] or ''}"


def _relative_paths(settings: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """Connector settings named ``*_path`` are files: a relative one is relative to the config
    file, like the ledger URL, not to wherever the command happens to run."""
    resolved = dict(settings)
    for key, value in settings.items():
        if key.endswith("_path") and isinstance(value, str) and value \
                and not value.startswith("env:"):
            file = Path(value).expanduser()
            if not file.is_absolute():
                resolved[key] = os.path.abspath((base_dir or Path.cwd()) / file)
    return resolved


def _names(plugins: Mapping[str, Any], key: str, problems: list[str]) -> tuple[str, ...] | None:
    value = plugins.get(key)
    if value is None:
        return None
    path = _join("plugins", key)
    if not isinstance(value, list):
        problems.append(f"{path}: expected an array of plugin names, got {_kind(value)}")
        return None
    for index, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(f"{_join(path, index)}: expected a string, got {_kind(item)}")
    return tuple(item for item in value if isinstance(item, str))


def _company(
    name: str, table: object, problems: list[str], base_dir: Path | None = None
) -> CompanyConfig | None:
    path = _join("companies", name)
    if not _COMPANY_NAME.fullmatch(name):
        problems.append(
            f"{path}: invalid company name (use 1-64 lowercase letters, digits, '_' or '-')"
        )
    if not isinstance(table, dict):
        problems.append(f"{path}: expected a table, got {_kind(table)}")
        return None

    connector = table.get("connector")
    if connector is None:
        problems.append(f"{_join(path, 'connector')}: missing")
    elif not isinstance(connector, str) or not connector:
        problems.append(f"{_join(path, 'connector')}: expected a connector name (a string)")
    elif connector in _COMPANY_KEYS:
        problems.append(f"{_join(path, 'connector')}: {connector!r} is not a connector name")
    valid_connector = connector if isinstance(connector, str) and connector else None

    if valid_connector is None:
        # Without the connector name the connector table cannot be told from a typo: only
        # report non-table keys.
        unknown = {k: v for k, v in table.items() if not isinstance(v, dict)}
        _unknown_keys(unknown, _COMPANY_KEYS, path, problems)
        settings: dict[str, Any] = {}
    else:
        _unknown_keys(table, (*_COMPANY_KEYS, valid_connector), path, problems)
        settings = _relative_paths(_table(table, valid_connector, path, problems), base_dir)

    return CompanyConfig(
        name=name,
        connector=valid_connector or "",
        enabled=_bool(table, "enabled", True, path, problems),
        schedule_minutes=_schedule(table.get("schedule"), _join(path, "schedule"), problems),
        in_sync_date=_date(table.get("in_sync_date"), _join(path, "in_sync_date"), problems),
        approval_required=_bool(table, "approval_required", False, path, problems),
        limits=_limits(table, path, problems),
        settings=settings,
    )


def _bool(
    table: Mapping[str, Any], key: str, default: bool, path: str, problems: list[str]
) -> bool:
    value = table.get(key, default)
    if isinstance(value, bool):
        return value
    problems.append(f"{_join(path, key)}: expected true or false, got {_kind(value)} {value!r}")
    return default


def _schedule(value: object, path: str, problems: list[str]) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "manual":
            return MANUAL
        match = _DURATION.fullmatch(text)
        if match and any(match.groups()):
            days, hours, minutes = (int(g or 0) for g in match.groups())
            total = days * 1440 + hours * 60 + minutes
            if total > 0:
                return total
    # A bare number is refused on purpose: minutes or seconds would be a guess.
    problems.append(
        f'{path}: expected "manual" or a duration such as "15m", "1h" or "1h30m", got {value!r}'
    )
    return None


def _date(value: object, path: str, problems: list[str]) -> datetime.date | None:
    try:
        return None if value is None else _structure_date(value)
    except _WrongType as exc:
        problems.append(f"{path}: {exc}")
        return None


def _limits(company: Mapping[str, Any], path: str, problems: list[str]) -> Limits:
    table = _table(company, "limits", path, problems)
    path = _join(path, "limits")
    _unknown_keys(table, _LIMIT_KEYS, path, problems)
    values: dict[str, int | None] = {}
    for key in _LIMIT_KEYS:
        value = table.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{_join(path, key)}: expected a positive integer, got {_kind(value)}")
        elif value < 1:
            problems.append(f"{_join(path, key)}: must be a positive integer, got {value}")
        else:
            values[key] = value
    return Limits(**values)


# -- connector settings ---------------------------------------------------------------------------


class _WrongType(TypeError):
    """Raised by the strict hooks; its message is already the problem text."""


def _strict(accepted: tuple[type, ...], expected: str) -> Callable[[Any, Any], Any]:
    # cattrs' default hooks coerce (str(5) == "5", int("7") == 7, list("abc")); a config
    # checker must say the value has the wrong type instead. bool is an int subclass: only
    # a bool field takes true/false.
    def hook(value: Any, _: Any) -> Any:
        right_type = isinstance(value, accepted)  # kept out of the `if` so mypy does not narrow
        if isinstance(value, bool) != (bool in accepted) or not right_type:
            raise _WrongType(f"expected {expected}, got {_kind(value)}")
        return float(value) if float in accepted else value

    return hook


def _structure_date(value: object, _: Any = None) -> datetime.date:
    # A TOML date, or the same written as a "YYYY-MM-DD" string; a date-time is refused.
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise _WrongType(f"{value!r} is not a valid date") from None
    raise _WrongType(f"expected a date (YYYY-MM-DD), got {_kind(value)}")


def _strict_sequence(target: Any, converter: cattrs.Converter) -> Callable[[Any, Any], Any]:
    if cols.is_mutable_sequence(target):
        inner = cols.list_structure_factory(target, converter)
    else:
        inner = cols.homogenous_tuple_structure_factory(target, converter)

    def hook(value: Any, target: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise _WrongType(f"expected an array, got {_kind(value)}")
        return inner(value, target)

    return hook


def _make_converter() -> cattrs.Converter:
    converter = cattrs.Converter(detailed_validation=True, forbid_extra_keys=True)
    converter.register_structure_hook(str, _strict((str,), "a string"))
    converter.register_structure_hook(int, _strict((int,), "an integer"))
    converter.register_structure_hook(float, _strict((int, float), "a number"))
    converter.register_structure_hook(bool, _strict((bool,), "true or false"))
    converter.register_structure_hook(datetime.date, _structure_date)
    converter.register_structure_hook_factory(cols.is_sequence, _strict_sequence)
    return converter


_CONVERTER = _make_converter()


def _type_text(target: Any) -> str:
    args = [a for a in get_args(target) if a is not NoneType]
    if get_origin(target) in (Union, UnionType) and len(args) == 1:
        target = args[0]  # Optional[X]: the value given was not None, so X is what was expected
    if get_origin(target) is Literal:
        return "one of " + ", ".join(repr(a) for a in get_args(target))
    if isinstance(target, type) and issubclass(target, Enum):
        return "one of " + ", ".join(repr(member.value) for member in target)
    return getattr(target, "__name__", None) or repr(target)


_NOTES = (AttributeValidationNote, IterableValidationNote)


def _translate(exc: BaseException, path: str, target: Any) -> list[tuple[str, str]]:
    """Turn a cattrs (detailed validation) exception tree into (key path, problem) pairs."""
    if isinstance(exc, BaseValidationError):
        found: list[tuple[str, str]] = []
        for sub in exc.exceptions:
            notes = getattr(sub, "__notes__", [])
            note = next((n for n in reversed(notes) if isinstance(n, _NOTES)), None)
            if isinstance(note, AttributeValidationNote):
                found += _translate(sub, _join(path, note.name), note.type)
            elif isinstance(note, IterableValidationNote):
                found += _translate(sub, _join(path, note.index), note.type)
            else:
                found += _translate(sub, path, None)
        return found
    if isinstance(exc, ForbiddenExtraKeysError):
        return [(_join(path, key), "unknown key") for key in sorted(exc.extra_fields)]
    if isinstance(exc, KeyError):
        return [(path, "missing")]
    if isinstance(exc, _WrongType):
        return [(path, str(exc))]
    if isinstance(exc, AttributeError):
        return [(path, "expected a table")]  # cattrs called .keys()/.items() on a non-table
    if target is not None:
        # Deliberately without the value: it may be a resolved secret.
        return [(path, f"invalid value, expected {_type_text(target)}")]
    return [(path, str(exc))]  # e.g. the settings class's own validator message


def _settings(company: CompanyConfig, settings_type: type[T]) -> tuple[T | None, list[str]]:
    path = _join(_join("companies", company.name), company.connector)
    problems: list[str] = []
    unresolved: set[str] = set()
    data = _resolve_tree(company.settings, path, problems, unresolved)
    try:
        return _CONVERTER.structure(data, settings_type), problems
    except Exception as exc:  # noqa: BLE001 - every failure, whatever its kind, becomes a keyed problem
        found = _translate(exc, path, None)
        problems += [f"{where}: {what}" for where, what in found if where not in unresolved]
        return None, problems


def check_config(config: Config, connector_settings: Mapping[str, type[Any]]) -> list[str]:
    """Every problem of the enabled companies' connector names and tables, as ``path: problem``.

    ``connector_settings`` maps each installed connector name to its settings attrs class.
    Disabled companies are skipped: they are never synced and may name a connector that is not
    installed on this host.
    """
    problems: list[str] = []
    for company in config.enabled_companies():
        settings_type = connector_settings.get(company.connector)
        if settings_type is None:
            unknown = UnknownConnectorError(company.connector, list(connector_settings))
            path = _join(_join("companies", company.name), "connector")
            problems.append(f"{path}: {unknown.message}")
            continue
        problems += _settings(company, settings_type)[1]
    return problems


def structure_settings(company: CompanyConfig, settings_type: type[T]) -> T:
    """The company's connector settings object, ``env:`` secrets resolved; or ConfigError."""
    settings, problems = _settings(company, settings_type)
    if problems:
        raise ConfigError(problems)
    return cast(T, settings)
