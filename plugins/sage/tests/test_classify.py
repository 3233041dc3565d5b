"""Every documented Intacct error classified, with a remedy in plain words."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from ledgersync import Action, ExportRequest, JournalEntry, JournalLine, Operation
from ledgersync_sage.classify import classify
from ledgersync_sage.envelope import parse_response
from ledgersync_sage.errors import IntacctError, IntacctFailure

from .conftest import sample

REQUEST = ExportRequest(
    item_id=1, company="harbor", kind="journal_entry", operation=Operation.CREATE,
    record=JournalEntry(mms_id="JE-1", txn_date=dt.date(2026, 1, 5), currency="USD", lines=(
        JournalLine(account_id="4000", credit=D(1)), JournalLine(account_id="1000", debit=D(1)))),
    idempotency_key="ls-k", attempt=1,
    references={("gl_account", "4000"): "4010", ("gl_account", "1000"): "1000"})


def result_failure(*texts: str, errorno: str = "BL01001973") -> IntacctFailure:
    return IntacctFailure.of("result", [IntacctError(errorno=errorno, description2=t)
                                        for t in texts])


def envelope_failure(name: str) -> IntacctFailure:
    with pytest.raises(IntacctFailure) as caught:
        parse_response(sample(name))
    return caught.value


def resolve(error: Exception) -> tuple[Action, str | None]:
    resolution = classify(error, REQUEST, company="harbor",
                          map_hint=lambda n: ("gl_account", "4000") if n == "4010" else None)
    if resolution.action in (Action.NEEDS_PERSON, Action.PAUSE_COMPANY):
        assert resolution.remedy
    return resolution.action, resolution.remedy


def test_an_xml_parse_failure_needs_a_person_and_says_nothing_posted() -> None:
    action, remedy = resolve(envelope_failure(
        "08_response_control_failure_XL03000003_xml_parse.xml"))
    assert action is Action.NEEDS_PERSON
    assert "no data was posted" in (remedy or "")


def test_a_refused_sign_in_pauses_the_company_naming_the_user_settings() -> None:
    action, remedy = resolve(envelope_failure("10_response_auth_failure_XL03000006.xml"))
    assert action is Action.PAUSE_COMPANY
    assert "user_password" in (remedy or "")


def test_an_unauthorised_sender_pauses_with_the_web_services_authorisation_fix() -> None:
    failure = IntacctFailure.of("authentication", [IntacctError(
        errorno="XL03000006", description2="Invalid Web Services Authorization. The sender "
        "ID 'x' is not authorized to make Web Services requests to company ID 'y'.")])
    action, remedy = resolve(failure)
    assert action is Action.PAUSE_COMPANY
    assert "Web Services authorizations" in (remedy or "")


def test_an_expired_demo_company_pauses() -> None:
    action, remedy = resolve(envelope_failure("11_response_control_failure_PL04000055.xml"))
    assert action is Action.PAUSE_COMPANY
    assert "demo" in (remedy or "")


def test_gw_0010_throttles_and_gw_0011_retries() -> None:
    throttled = IntacctFailure.of("gateway", [IntacctError(errorno="GW-0010")],
                                  http_status=429, retry_after=7.0)
    resolution = classify(throttled, REQUEST, company="harbor")
    assert (resolution.action, resolution.retry_after) == (Action.THROTTLE, 7.0)
    assert resolve(envelope_failure("09_response_gateway_error_GW-0011.xml"))[0] is (
        Action.RETRY)


def test_an_aborted_function_is_retried() -> None:
    results = parse_response(sample("12_response_transaction_aborted_XL03000009.xml")).results
    assert resolve(results[0].failure())[0] is Action.RETRY


def test_a_closed_period_needs_a_person_to_reopen_or_redate() -> None:
    action, remedy = resolve(result_failure(
        "Periods are closed. Your transaction date (01/05/2026) is within a period that's "
        "been closed.", "Could not create GLBatch record!"))
    assert action is Action.NEEDS_PERSON
    assert "Reopen the period" in (remedy or "")


def test_a_missing_dimension_names_the_dimension_the_account_and_the_setting() -> None:
    action, remedy = resolve(result_failure(
        "This transaction is missing the Department dimension for the Account 4010"))
    assert action is Action.NEEDS_PERSON
    assert "department on account 4010" in (remedy or "")
    assert "default_dimensions.department" in (remedy or "")


def test_an_invalid_project_names_the_value_and_the_mapping_table() -> None:
    action, remedy = resolve(envelope_failure_or_result(
        "07_create_response_failure_BL01001973_dimension.xml"))
    assert action is Action.NEEDS_PERSON
    assert "project '10064'" in (remedy or "")
    assert "dimension_values.project" in (remedy or "")


def envelope_failure_or_result(name: str) -> IntacctFailure:
    return parse_response(sample(name)).results[0].failure()


def test_an_invalid_account_gives_the_map_command_for_the_mms_account() -> None:
    action, remedy = resolve(result_failure("Account 4010 is not valid"))
    assert action is Action.NEEDS_PERSON
    assert "ledgersync map account harbor 4000 ACCOUNTNO" in (remedy or "")


def test_a_missing_multi_entity_location_names_entity_id() -> None:
    action, remedy = resolve(result_failure(
        "Use of empty Location is invalid. A valid Multi-Entity Location must be specified."))
    assert action is Action.NEEDS_PERSON
    assert "entity_id" in (remedy or "")


def test_missing_api_permission_pauses_the_company() -> None:
    assert resolve(result_failure("You do not have permission for API operation"))[0] is (
        Action.PAUSE_COMPANY)


def test_an_outage_is_retried_and_a_rate_limit_text_throttles() -> None:
    assert resolve(result_failure("The Service is Temporarily Off-line"))[0] is Action.RETRY
    assert resolve(result_failure("API rate limit exceeded"))[0] is Action.THROTTLE


def test_a_duplicate_or_replayed_write_is_looked_up_before_anything_else() -> None:
    assert resolve(result_failure("A function with control ID 'x' was already executed"))[
        0] is Action.IN_DOUBT
    assert resolve(result_failure("Another GLBatch with the given value(s) already exists",
                                  errorno="BL34000061"))[0] is Action.IN_DOUBT


def test_an_unknown_business_error_keeps_intacts_correction_in_the_remedy() -> None:
    failure = IntacctFailure.of("result", [IntacctError(
        errorno="BL01001973", description2="Something odd", correction="Fix the odd thing")])
    action, remedy = resolve(failure)
    assert action is Action.NEEDS_PERSON
    assert "Fix the odd thing" in (remedy or "")


def test_a_timeout_after_sending_is_in_doubt_and_a_refused_connection_is_retried() -> None:
    assert resolve(IntacctFailure("no answer", level="transport"))[0] is Action.IN_DOUBT
    assert resolve(IntacctFailure("refused", level="transport", sent=False))[0] is (
        Action.RETRY)
    assert resolve(IntacctFailure("HTTP 524", level="http", http_status=524))[0] is (
        Action.IN_DOUBT)
