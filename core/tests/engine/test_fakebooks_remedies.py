"""The stand-in books ship with the core: the commands their remedies name must be the core's
own, since a bare `pip install ledgersync` has no plugin commands (`connect` is QBO's)."""

from __future__ import annotations

import re

import pytest

from ledgersync.cli import core_commands
from ledgersync.fakebooks import _RESOLUTIONS

_CORE_COMMANDS = {command.name for command in core_commands()}
_NAMED = re.compile(r"`ledgersync ([a-z_-]+)")


@pytest.mark.parametrize("code", sorted(c for c, r in _RESOLUTIONS.items() if r.remedy))
def test_a_fake_books_remedy_names_only_core_commands(code: str) -> None:
    remedy = _RESOLUTIONS[code].remedy
    assert remedy is not None
    named = _NAMED.findall(remedy)
    assert named, remedy
    assert set(named) <= _CORE_COMMANDS, remedy
