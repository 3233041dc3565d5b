"""Testing helpers for connector authors and embedders (``pip install ledgersync[testing]``).

- :class:`FakeBooks` / :class:`FakeConnector` / :class:`FakePlugin`: a fake accounting system
  that counts writes, for testing an MMS integration or the engine without a remote system.
"""

from __future__ import annotations

from .fake import FakeBooks, FakeConnector, FakePlugin, FakeSettings

__all__ = ["FakeBooks", "FakeConnector", "FakePlugin", "FakeSettings"]
