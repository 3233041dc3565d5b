"""What the REST client makes of answers that are not what Intacct documents (found by the
fuzzer, plugins/sage/tests/test_fuzz_responses.py): each is an IntacctFailure saying what was
wrong, never a JSONDecodeError, AttributeError or ValueError, and never an endless query."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledgersync_sage.errors import IntacctFailure
from ledgersync_sage.rest import RestClient, RestReports
from ledgersync_sage.settings import SageSettings

SETTINGS = SageSettings(company_id="HARBORCLUB", ar_account="1200", api="rest",
                        client_id="ls-client", client_secret="ls-client-secret")


class Tokens:
    def access_token(self) -> str:
        return "access-token"

    def refresh(self, *, failed: str | None) -> None:
        pass


def client(*answers: httpx.Response) -> RestClient:
    queue = list(answers)

    def answer(_request: httpx.Request) -> httpx.Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    tokens: Any = Tokens()
    return RestClient(SETTINGS, tokens, httpx.Client(transport=httpx.MockTransport(answer)))


def test_a_success_status_with_a_body_that_is_not_json_is_an_unreadable_answer() -> None:
    rest = client(httpx.Response(200, content=b"<html>proxy error</html>"))
    with pytest.raises(IntacctFailure, match="HTTP 200 with a body that is not JSON") as info:
        rest.count("general-ledger/journal-entry")
    assert info.value.level == "http"
    assert info.value.sent  # a POST that answered 2xx may have run: look it up first


def test_a_success_status_with_a_json_array_is_an_unreadable_answer() -> None:
    rest = client(httpx.Response(200, json=[1, 2]))
    with pytest.raises(IntacctFailure, match="a JSON list, not an object"):
        rest.call("POST", "/services/core/query", {})


def test_query_rows_that_are_not_a_list_of_objects_are_refused() -> None:
    rest = client(httpx.Response(200, json={"ia::result": {"key": "1"}}))
    with pytest.raises(IntacctFailure, match="ia::result as a JSON dict"):
        list(rest.query("general-ledger/journal-entry", ["key"], []))


def test_a_total_count_that_is_not_a_number_is_refused() -> None:
    meta = {"totalCount": "\u00b2"}  # a digit to str.isdigit, not to int
    rest = client(httpx.Response(200, json={"ia::result": [], "ia::meta": meta}))
    with pytest.raises(IntacctFailure, match="totalCount"):
        rest.count("general-ledger/journal-entry")


def test_a_query_whose_next_page_points_back_ends_with_a_failure() -> None:
    page = {"ia::result": [{"key": "41"}], "ia::meta": {"next": 1}}
    rest = client(httpx.Response(200, json=page))
    with pytest.raises(IntacctFailure, match="page 1 of a query with next = 1"):
        list(rest.query("general-ledger/journal-entry", ["key"], []))


def test_an_error_answer_whose_ia_error_is_not_an_object_is_a_plain_http_failure() -> None:
    rest = client(httpx.Response(400, json={"ia::result": {"ia::error": "bad"}}))
    with pytest.raises(IntacctFailure, match="HTTP 400 without an ia::error"):
        rest.count("general-ledger/journal-entry")


def test_a_retry_after_that_is_no_number_is_ignored() -> None:
    rest = client(httpx.Response(429, headers={b"Retry-After": "\u00b2".encode()},
                                 json={"ia::result": {"ia::error": {"errorId": "GW-0010"}}}))
    with pytest.raises(IntacctFailure) as info:
        rest.count("general-ledger/journal-entry")
    assert info.value.retry_after is None
    assert info.value.level == "gateway"


def test_amounts_sent_as_json_numbers_are_read_as_exact_decimals() -> None:
    rows = {"ia::result": [
        {"glAccount.id": "1200", "txnType": "debit", "baseAmount": 0.1},
        {"glAccount.id": "1200", "txnType": "debit", "baseAmount": 0.2}]}
    reports = RestReports(client(httpx.Response(200, json=rows)), SETTINGS)
    assert reports.account_balances() == {"1200": Decimal("0.3")}


def test_an_amount_that_is_no_number_is_refused() -> None:
    rows = {"ia::result": [{"glAccount.id": "1200", "txnType": "debit", "baseAmount": "n/a"}]}
    reports = RestReports(client(httpx.Response(200, json=rows)), SETTINGS)
    with pytest.raises(IntacctFailure, match="baseAmount 'n/a', not an amount"):
        reports.account_balances()
