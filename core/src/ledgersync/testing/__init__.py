"""Testing helpers for connector authors and embedders (``pip install ledgersync[testing]``).

- :class:`ConnectorContract`: the contract kit. Subclass it in your connector's tests.
- :class:`FakeBooks` / :class:`FakeConnector` / :class:`FakePlugin`: a fake accounting system
  that counts writes, for testing an MMS integration or the engine without a remote system.
- :func:`sample_records`: a small realistic set of records of every kind.
- :func:`postgresql_test_url`, :func:`postgresql_suite_url`, :func:`empty_database`: a
  database of its own per test suite.
- :class:`TricklingServer`: a loopback HTTP server answering one byte at a time, headers too
  if asked (a client's total request deadline, :mod:`ledgersync.http`).
"""

from __future__ import annotations

from ..fakebooks import FakeBooks, FakeConnector, FakePlugin, FakeSettings
from .contract import ConnectorContract, ErrorCase, RemoteProbe
from .databases import empty_database, postgresql_suite_url, postgresql_test_url
from .samples import sample_records
from .trickle import TricklingServer

__all__ = [
    "ConnectorContract",
    "ErrorCase",
    "FakeBooks",
    "FakeConnector",
    "FakePlugin",
    "FakeSettings",
    "RemoteProbe",
    "TricklingServer",
    "empty_database",
    "postgresql_suite_url",
    "postgresql_test_url",
    "sample_records",
]
