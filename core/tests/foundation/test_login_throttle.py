"""Failed sign-ins are counted per key and lock the key out for a while."""

from __future__ import annotations

from ledgersync import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def throttle(clock: Clock) -> LoginThrottle:
    return LoginThrottle(max_failures=3, window_seconds=60, lockout_seconds=300, clock=clock)


def test_a_key_is_locked_out_after_its_last_allowed_failure() -> None:
    clock = Clock()
    limiter = throttle(clock)
    for _ in range(2):
        limiter.failed("user:ann")
    assert limiter.allowed("user:ann")
    limiter.failed("user:ann")
    assert not limiter.allowed("user:ann")
    assert limiter.retry_after("user:ann") == 300


def test_any_locked_key_refuses_the_sign_in() -> None:
    limiter = throttle(Clock())
    for _ in range(3):
        limiter.failed("addr:203.0.113.9")
    assert not limiter.allowed("user:bob", "addr:203.0.113.9")
    assert limiter.allowed("user:bob", "addr:198.51.100.1")


def test_a_lockout_ends_after_its_time() -> None:
    clock = Clock()
    limiter = throttle(clock)
    for _ in range(3):
        limiter.failed("user:ann")
    clock.now += 301
    assert limiter.retry_after("user:ann") is None


def test_failures_spread_wider_than_the_window_do_not_lock() -> None:
    clock = Clock()
    limiter = throttle(clock)
    for _ in range(5):
        limiter.failed("user:ann")
        clock.now += 61
    assert limiter.allowed("user:ann")


def test_a_success_forgets_the_failures() -> None:
    limiter = throttle(Clock())
    for _ in range(2):
        limiter.failed("user:ann")
    limiter.succeeded("user:ann")
    limiter.failed("user:ann")
    assert limiter.allowed("user:ann")


def test_memory_is_bounded_by_forgetting_the_longest_unused_keys() -> None:
    limiter = LoginThrottle(max_keys=10, clock=Clock())
    for n in range(100):
        limiter.failed(f"user:{n}")
    assert limiter.tracked() == 10
