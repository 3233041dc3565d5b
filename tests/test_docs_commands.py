"""Every `ledgersync ...` command shown in README.md, plugins/*/README.md and docs/*.md parses
with the real command line, so the pages cannot drift from it.

A concrete command (``ledgersync map item harbor DUES "Membership Dues"``) is parsed by click
exactly as the shell would hand it over, against a config holding the page's own example
company (its ``[companies.NAME]`` TOML block, or a stand-in company of the same name): an
unknown command or option, a missing or extra argument, or a word where the company belongs
fails. A synopsis (``ledgersync run [--company C] [--once]``) must name a real command, and
every option it shows must exist. Scripts (``./scripts/demo``) must exist and be executable.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from ledgersync.cli import cli, register_plugin_commands
from ledgersync.cli.helpers import State

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted(ROOT.glob("plugins/*/README.md")),
         *sorted(ROOT.glob("docs/*.md"))]

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
_INLINE = re.compile(r"(?<!`)`(ledgersync [^`]+)`(?!`)")
_SHELL = {"", "sh", "bash", "shell", "console"}
#: Words that stand for a value in a synopsis.
_PLACEHOLDERS = {"COMPANY", "C", "D", "K", "N", "ITEM", "FILE", "FILE.jsonl", "DATE", "MMS_ID",
                 "REMOTE_ID", "NAME", "URL", "<remote>"}
_NAMED = "NAMED"
_STAND_IN = """
[companies.{name}]
connector = "fake"
schedule = "manual"

[companies.{name}.fake]
books_path = "{name}-books.db"
"""


def _shell_lines(page: Path) -> Iterator[tuple[str, bool]]:
    """Each line of a shell block, and each inline `ledgersync ...` span (marked inline)."""
    text = page.read_text(encoding="utf-8")
    for language, body in _FENCE.findall(text):
        if language in _SHELL:
            for line in body.replace("\\\n", " ").splitlines():
                yield line, False
    for span in _INLINE.findall(text):
        yield span.replace("\n", " "), True


def _commands(page: Path) -> list[list[str]]:
    """The page's commands as the shell would split them (comments, `&` and `&&` handled).
    Prose that names a command inline (`ledgersync connect`) ends with the marker
    ``NAMED``: it needs no arguments to be right."""
    commands = []
    for line, inline in _shell_lines(page):
        for part in line.split("&&"):
            words = shlex.split(part.replace("|", " | "), comments=True)
            if words and words[-1] == "&":
                words.pop()
            if words and (words[0] == "ledgersync" or words[0].startswith("./scripts/")):
                commands.append([*words, _NAMED] if inline else words)
    return commands


def _cases() -> list[tuple[Path, list[str]]]:
    return [(page, words) for page in PAGES for words in _commands(page)]


def _id(case: object) -> str:
    if isinstance(case, Path):
        return case.relative_to(ROOT).as_posix()
    return " ".join(case) if isinstance(case, list) else str(case)


def _is_synopsis(words: list[str]) -> bool:
    return any(w in _PLACEHOLDERS or any(mark in w for mark in ("[", "|", "...", "<"))
               for w in words)


def _config_for(page: Path, words: list[str], folder: Path) -> Path:
    """The page's own company table when it has one, else stand-in companies with the names
    the command uses."""
    blocks = [body for language, body in _FENCE.findall(page.read_text(encoding="utf-8"))
              if language == "toml" and "[companies." in body]
    text = blocks[0] if blocks else ""
    defined = set(re.findall(r"^\[companies\.([\w-]+)\]", text, re.M))
    for name in ("harbor", "club", "marina"):
        if name not in defined:
            text += _STAND_IN.format(name=name)
    config = folder / "ledgersync.toml"
    config.write_text(text, encoding="utf-8")
    return config


@pytest.fixture(scope="module", autouse=True)
def plugin_commands() -> None:
    register_plugin_commands()


def _resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command a synopsis names (alternatives like ``go|no-go`` each checked), and the
    words after it."""
    command: click.Command = cli
    rest = words[1:]
    while (isinstance(command, click.Group) and rest and not rest[0].startswith("-")
           and rest[0] not in _PLACEHOLDERS and "..." not in rest[0]):
        names = rest[0].split("|")
        found = [command.commands.get(name) for name in names]
        assert all(found), f"no command {rest[0]!r} in {words}"
        command, rest = found[0], rest[1:]  # type: ignore[assignment]  # all() checked
        while rest and rest[0] == "|" and len(rest) > 1 and rest[1] in getattr(
                command, "commands", {}):
            rest = rest[2:]
    return command, rest


def _option_names(command: click.Command) -> set[str]:
    names = {"--help", "-h"}
    for param in command.params:
        names.update(param.opts + param.secondary_opts)
    return names


@pytest.mark.parametrize(("page", "words"), _cases(), ids=_id)
def test_a_documented_command_parses(page: Path, words: list[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    named = words[-1] == _NAMED
    words = words[:-1] if named else words
    if words[0].startswith("./scripts/"):
        script = ROOT / words[0]
        assert script.is_file(), words[0]
        assert os.access(script, os.X_OK), words[0]
        return
    if _is_synopsis(words):
        resolved, rest = _resolve(words)
        options = _option_names(resolved) | _option_names(cli)
        shown = {w.split("=")[0].strip("[]|") for w in rest if w.lstrip("[").startswith("-")}
        assert shown <= options, f"{' '.join(words)}: unknown {sorted(shown - options)}"
        return
    monkeypatch.setenv("QBO_CLIENT_SECRET", "documented")
    monkeypatch.chdir(tmp_path)
    state = State(config_path=_config_for(page, words, tmp_path))
    context = click.Context(cli, info_name="ledgersync", obj=state)
    rest = words[1:]
    command: click.Command = cli
    with context:
        while isinstance(command, click.Group):
            name, found, rest = command.resolve_command(context, rest)
            assert found is not None, words
            assert name is not None, words
            if named and not rest:
                return  # prose naming the command, e.g. "`ledgersync connect` runs ..."
            try:
                context = found.make_context(name, rest, parent=context)
            except click.UsageError as exc:  # BadParameter, NoSuchOption, missing argument
                pytest.fail(f"{' '.join(words)}: {exc.format_message()}")
            command = found
            if isinstance(found, click.Group):
                rest = [*context._protected_args, *context.args]
                if not rest:
                    break


def test_every_page_shows_commands() -> None:
    for page in (ROOT / "README.md", ROOT / "plugins" / "qbd" / "README.md",
                 ROOT / "plugins" / "qbo" / "README.md", ROOT / "docs" / "operations.md"):
        assert _commands(page), f"no commands found in {page.relative_to(ROOT)}"
