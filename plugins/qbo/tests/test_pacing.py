"""Pacing: QBO's sliding minute of requests and batches, kept for every worker of a company."""

from __future__ import annotations

import datetime as dt

import pytest

from ledgersync import Ledger
from ledgersync_qbo.connector import QboConnector
from ledgersync_qbo.errors import QboError
from ledgersync_qbo.pacing import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
        self.slept: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def pacer(ledger: Ledger, clock: Clock, *, requests: int = 3, batches: int = 2,
          max_wait: float = 90.0) -> Pacer:
    connector = ledger.connector("harbor")
    assert isinstance(connector, QboConnector)
    context = type(connector.context)(secrets=connector.context.secrets,
                                      state=connector.context.state, now=clock)
    return Pacer(context, requests_per_minute=requests, batches_per_minute=batches,
                 max_wait=max_wait, sleep=clock.sleep)


def test_requests_beyond_the_minute_wait_for_the_oldest_to_age_out(
        ledger: Ledger, clock: Clock) -> None:
    paced = pacer(ledger, clock)
    for _ in range(3):
        paced.request()
        clock.now += dt.timedelta(seconds=10)
    paced.request()  # the first was at 0 s: free again at 61 s (a second of margin)
    assert sum(clock.slept) == pytest.approx(31.0)


def test_the_minute_is_shared_by_every_worker_of_the_company(
        ledger: Ledger, clock: Clock) -> None:
    first, second = pacer(ledger, clock), pacer(ledger, clock)
    first.request()
    first.request()
    second.request()
    clock.sleep(0)
    with pytest.raises(QboError) as raised:
        pacer(ledger, clock, max_wait=0.5).request()
    assert (raised.value.code, raised.value.sent) == ("3001", False)
    assert raised.value.retry_after is not None
    assert 60.0 <= raised.value.retry_after <= 61.0


def test_a_batch_takes_a_request_and_a_batch_slot_or_declines(ledger: Ledger,
                                                              clock: Clock) -> None:
    paced = pacer(ledger, clock, requests=10, batches=2)
    assert paced.batch()
    assert paced.batch()
    assert not paced.batch()  # the batch minute is full: go item by item
    assert paced.batch_wait() == pytest.approx(61.0)
    paced.request()  # single requests still have room
    clock.now += dt.timedelta(seconds=62)
    assert paced.batch()
