"""Failed Web Connector logins are throttled per user name and per address; logs stay small."""

from __future__ import annotations

import logging

import pytest

from ledgersync import Ledger, LoginThrottle
from ledgersync.testing import sample_records
from ledgersync_qbd.qbwc.service import QbwcService
from ledgersync_qbd.qbwc.throttle import loggable

from .conftest import PASSWORD, USER


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def throttled(service: QbwcService, clock: FakeClock) -> QbwcService:
    service.login_throttle = LoginThrottle(max_failures=3, window_seconds=60,
                                           lockout_seconds=300, clock=clock)
    return service


def test_the_right_password_is_refused_while_the_user_is_locked_out(
        ledger: Ledger, throttled: QbwcService) -> None:
    ledger.record(sample_records())
    for _ in range(3):
        assert throttled.authenticate(USER, "guess", "203.0.113.9")[1] == "nvu"
    assert throttled.authenticate(USER, PASSWORD, "198.51.100.1")[1] == "nvu"


def test_a_lockout_ends_after_its_time(ledger: Ledger, throttled: QbwcService,
                                       clock: FakeClock) -> None:
    ledger.record(sample_records())
    for _ in range(3):
        throttled.authenticate(USER, "guess", "203.0.113.9")
    clock.now += 301
    assert throttled.authenticate(USER, PASSWORD, "203.0.113.9")[1] == ""


def test_an_address_guessing_many_user_names_is_locked_out(
        ledger: Ledger, throttled: QbwcService) -> None:
    ledger.record(sample_records())
    for name in ("a", "b", "c"):
        throttled.authenticate(name, "guess", "203.0.113.9")
    assert throttled.authenticate(USER, PASSWORD, "203.0.113.9")[1] == "nvu"
    assert throttled.authenticate(USER, PASSWORD, "198.51.100.1")[1] == ""


def test_failures_spread_wider_than_the_window_do_not_lock(
        ledger: Ledger, throttled: QbwcService, clock: FakeClock) -> None:
    ledger.record(sample_records())
    for _ in range(4):
        throttled.authenticate(USER, "guess")
        clock.now += 61
    assert throttled.authenticate(USER, PASSWORD)[1] == ""


def test_a_success_clears_the_count(ledger: Ledger, throttled: QbwcService) -> None:
    ledger.record(sample_records())
    for _ in range(2):
        throttled.authenticate(USER, "guess")
    assert throttled.authenticate(USER, PASSWORD)[1] == ""
    for _ in range(2):
        throttled.authenticate(USER, "guess")
    assert throttled.authenticate(USER, PASSWORD)[1] == ""


def test_the_throttle_tracks_a_bounded_number_of_names(clock: FakeClock) -> None:
    throttle = LoginThrottle(max_keys=100, clock=clock)
    for n in range(1000):
        throttle.failed(f"user:user{n}")
    assert throttle.tracked() == 100


def test_a_huge_user_name_is_logged_by_its_prefix(
        throttled: QbwcService, caplog: pytest.LogCaptureFixture) -> None:
    name = "x" * 1_000_000
    with caplog.at_level(logging.WARNING):
        assert throttled.authenticate(name, "guess", "203.0.113.9")[1] == "nvu"
    assert caplog.records
    assert all(len(record.getMessage()) < 300 for record in caplog.records)
    assert "1000000 characters" in caplog.text


def test_a_short_user_name_is_logged_whole() -> None:
    assert loggable("clubsync") == "'clubsync'"
