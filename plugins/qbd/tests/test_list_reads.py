"""QuickBooks' lists as a real company file gives them: read in full, refusals seen and retried,
and a requested refresh kept until a session has it answered."""

from __future__ import annotations

from typing import Any

import pytest

from ledgersync import Ledger
from ledgersync_qbd.qbwc import planner
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.qbxml.lists import (
    LIST_REFRESH,
    LISTS,
    labels_to_read,
    list_key,
    request_refresh,
    start_request,
)
from ledgersync_qbd.sandbox import CompanyFile
from ledgersync_qbd.xmlsafe import Element

from .conftest import web_connector


def _state(service: QbwcService) -> Any:
    return service.sessions.state("club")


def _with_iterator_on_accounts(label: str) -> Element:
    """The request a QuickBooks refuses: ``iterator`` on AccountQueryRq (issue 11's defect)."""
    rq = start_request(label)
    if rq.tag == "AccountQueryRq":
        rq.set("iterator", "Start")
    return rq


def test_a_fresh_company_file_has_every_list_read_in_its_first_update(
        service: QbwcService, company_file: CompanyFile) -> None:
    assert web_connector(service, company_file).run_update().outcome == "done"
    state = _state(service)
    for label in LISTS:
        read = state.get(list_key(label))
        assert isinstance(read, dict), label
        assert "error" not in read, (label, read)
    assert {r["name"] for r in state.get(list_key("accounts"))["rows"]} >= {
        "Checking", "Accounts Receivable"}
    assert labels_to_read(state) == []


def test_a_list_read_quickbooks_refuses_is_an_error_with_a_remedy(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner, "start_request", _with_iterator_on_accounts)
    web_connector(service, company_file).run_update()
    state = _state(service)
    accounts = state.get(list_key("accounts"))
    assert "0x80040400" in accounts["error"]
    assert accounts["remedy"]
    # The other lists of the refused set were read one by one.
    assert all("error" not in state.get(list_key(label)) for label in LISTS
               if label != "accounts")
    (problem, remedy), = ledger.connector("club").attention()
    assert "'accounts'" in problem
    assert "0x80040400" in problem
    assert remedy == accounts["remedy"]


def test_a_refused_list_read_is_tried_again_at_the_next_update(
        ledger: Ledger, service: QbwcService, company_file: CompanyFile,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(planner, "start_request", _with_iterator_on_accounts)
    web_connector(service, company_file).run_update()
    assert labels_to_read(_state(service)) == ["accounts"]
    monkeypatch.undo()
    assert web_connector(service, company_file).run_update().outcome == "done"
    assert "error" not in _state(service).get(list_key("accounts"))
    assert ledger.connector("club").attention() == []


def test_a_refused_read_keeps_the_rows_of_the_last_good_one(
        service: QbwcService, company_file: CompanyFile,
        monkeypatch: pytest.MonkeyPatch) -> None:
    web_connector(service, company_file).run_update()
    before = _state(service).get(list_key("accounts"))["rows"]
    request_refresh(_state(service), ["accounts"])
    monkeypatch.setattr(planner, "start_request", _with_iterator_on_accounts)
    web_connector(service, company_file).run_update()
    after = _state(service).get(list_key("accounts"))
    assert after["error"]
    assert after["rows"] == before


def test_a_refresh_survives_a_session_refused_for_another_company_file(
        service: QbwcService, company_file: CompanyFile) -> None:
    from ledgersync_qbd.qwc import file_id

    registered = file_id(_state(service))
    web_connector(service, company_file, file_id=registered).run_update()
    first = _state(service).get(list_key("customers"))["read_at"]
    request_refresh(_state(service), ["customers"])
    wrong = web_connector(service, company_file,
                          file_id="{00000000-0000-0000-0000-0000000000AA}")
    assert wrong.run_update().outcome == "error"
    assert _state(service).get(LIST_REFRESH) == ["customers"]
    right = web_connector(service, company_file, file_id=registered)
    assert right.run_update().outcome == "done"
    assert _state(service).get(LIST_REFRESH) is None
    assert _state(service).get(list_key("customers"))["read_at"] >= first


def test_a_refresh_is_kept_while_its_read_is_refused(
        service: QbwcService, company_file: CompanyFile,
        monkeypatch: pytest.MonkeyPatch) -> None:
    web_connector(service, company_file).run_update()
    request_refresh(_state(service), ["accounts", "terms"])
    monkeypatch.setattr(planner, "start_request", _with_iterator_on_accounts)
    web_connector(service, company_file).run_update()
    assert _state(service).get(LIST_REFRESH) == ["accounts"]  # terms was read and answered
