"""Reading QuickBooks' JSON: whatever the body holds, a value or JSONError (the client turns
it into a QboError); found by the fuzzer, plugins/qbo/tests/test_fuzz_responses.py."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from ledgersync_qbo.client import QboClient
from ledgersync_qbo.errors import QboError
from ledgersync_qbo.jsonio import JSONError, loads


def test_numbers_are_read_as_exact_decimals() -> None:
    assert loads(b'{"TotalAmt": 150.10}') == {"TotalAmt": Decimal("150.10")}


def test_a_number_past_decimals_range_is_a_json_error() -> None:
    with pytest.raises(JSONError, match="out of range"):
        loads(b'{"TotalAmt": 1e4444444444444444400}')


def test_nesting_past_the_interpreters_depth_is_a_json_error() -> None:
    with pytest.raises(JSONError, match="nested too deeply"):
        loads(b"[" * 100_000 + b"]" * 100_000)


def test_an_answer_with_an_out_of_range_number_is_a_qbo_error() -> None:
    response = httpx.Response(200, content=b'{"Invoice": {"TotalAmt": 1e4444444444444444400}}')
    with pytest.raises(QboError, match="no JSON body"):
        QboClient._answer(response)
