"""The contract kit's pytest plugin, loaded through the ``pytest11`` entry point ``ledgersync``
of the core distribution: installing ``ledgersync`` is all a connector's test suite needs.

It parametrizes :meth:`ConnectorContract.test_native_error_is_classified
<ledgersync.testing.ConnectorContract.test_native_error_is_classified>` with the class's
``error_cases``, so each native error is a test of its own, named by the case. It imports
nothing heavy until a contract class is collected, since pytest loads it in every session.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "connector_contract: a test inherited from ledgersync's contract kit")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    cls = metafunc.cls
    if cls is None or "error_case" not in metafunc.fixturenames:
        return
    from .contract import ConnectorContract

    if not issubclass(cls, ConnectorContract):
        return
    cases = list(cls.error_cases)
    # An empty list is reported by test_error_cases_are_declared, not by a silent skip here.
    if cases:
        metafunc.parametrize("error_case", cases,
                             ids=[case.label(n) for n, case in enumerate(cases)])
