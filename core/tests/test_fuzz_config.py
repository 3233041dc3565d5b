"""Fuzz: a mutated config file loads or is refused with ConfigError naming its problems; it
never raises anything else (a TOML error, a KeyError, a cattrs exception). Bounded here; the
long run is in bench/campaign.md."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given

from ledgersync import Config, ConfigError, load_config
from ledgersync._config import check_config
from ledgersync._plugins import PluginHost
from ledgersync.testing.fuzzing import counted, fuzz_settings, mutations

SEEDS = [
    b'[ledger]\nurl = "sqlite:///ledgersync.db"\n\n[companies.club]\nconnector = "fake"\n'
    b'schedule = "every 60 minutes"\nin_sync_date = 2026-01-01\napproval_required = false\n\n'
    b'[companies.club.fake]\nbooks_path = "books.db"\n',
    b'[companies.harbor]\nconnector = "qbo"\nenabled = true\n[companies.harbor.limits]\n'
    b'max_in_flight = 10\nrequests_per_minute = 500\n[companies.harbor.qbo]\nrealm_id = '
    b'"9341452123456789"\nclient_id = "env:QBO_ID"\nclient_secret = "env:QBO_SECRET"\n',
    b'[plugins]\nenabled = ["fake", "qbo"]\ndisabled = []\n[companies.desk]\nconnector = "qbd"'
    b'\n[companies.desk.qbd]\nusername = "clubwc"\ncompany_file = "C:\\\\club.QBW"\n',
]
CONNECTOR_SETTINGS = {name: cls.settings_type for name, cls in PluginHost().connectors.items()}


@fuzz_settings
@given(text=mutations(SEEDS))
@counted
def test_fuzz_a_mutated_config_loads_or_names_its_problems(text: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledgersync.toml"
        path.write_bytes(text)
        try:
            config = load_config(path)
        except ConfigError as exc:
            assert exc.problems  # noqa: PT017 - the input decides whether it raises
            return
        assert isinstance(config, Config)
        for problem in check_config(config, CONNECTOR_SETTINGS):
            assert ": " in problem
