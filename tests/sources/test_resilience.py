"""The breaker, the cache and the backoff on their own, with a clock the tests move."""

from __future__ import annotations

import random

import pytest

from sources.resilience import CircuitBreaker, CircuitOpen, CircuitState, TtlCache, backoff_delay


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_circuit_opens_after_the_threshold_of_consecutive_failures() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 10.0, clock=clock)
    for _ in range(2):
        breaker.acquire()
        breaker.failed()
    breaker.acquire()
    breaker.succeeded()  # a success resets the count
    for _ in range(2):
        breaker.acquire()
        breaker.failed()
    assert breaker.state is CircuitState.CLOSED
    breaker.acquire()
    breaker.failed()
    assert breaker.state is CircuitState.OPEN
    with pytest.raises(CircuitOpen) as refused:
        breaker.acquire()
    assert refused.value.retry_in == pytest.approx(10.0)


def test_after_the_cool_down_one_probe_goes_through() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10.0, clock=clock)
    breaker.acquire()
    breaker.failed()
    clock.now += 10.0
    assert breaker.state is CircuitState.HALF_OPEN
    breaker.acquire()  # the probe
    with pytest.raises(CircuitOpen):
        breaker.acquire()  # anyone else while it is out
    breaker.succeeded()
    assert breaker.state is CircuitState.CLOSED
    breaker.acquire()


def test_a_failed_probe_opens_the_circuit_for_another_cool_down() -> None:
    clock = Clock()
    breaker = CircuitBreaker(5, 10.0, clock=clock)
    for _ in range(5):
        breaker.acquire()
        breaker.failed()
    clock.now += 10.0
    breaker.acquire()
    breaker.failed()
    assert breaker.state is CircuitState.OPEN
    clock.now += 9.0
    with pytest.raises(CircuitOpen):
        breaker.acquire()


def test_an_abandoned_probe_lets_the_next_caller_probe() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 1.0, clock=clock)
    breaker.acquire()
    breaker.failed()
    clock.now += 1.0
    breaker.acquire()
    breaker.abandoned()
    breaker.acquire()


def test_cache_entries_expire_after_their_ttl() -> None:
    clock = Clock()
    cache: TtlCache[str | None] = TtlCache(2.0, 10, clock=clock)
    cache.put("a", "A")
    cache.put("gone", None)
    assert cache.get("a") == (True, "A")
    assert cache.get("gone") == (True, None)  # "unknown" is cached too
    clock.now += 2.0
    assert cache.get("a") == (False, None)
    assert len(cache) == 1


def test_the_cache_evicts_the_oldest_entries_beyond_its_size() -> None:
    cache: TtlCache[int] = TtlCache(60.0, 2, clock=Clock())
    for number, key in enumerate("abc"):
        cache.put(key, number)
    assert cache.get("a") == (False, None)
    assert cache.get("c") == (True, 2)


def test_a_zero_ttl_turns_the_cache_off() -> None:
    cache: TtlCache[int] = TtlCache(0.0, 10, clock=Clock())
    cache.put("a", 1)
    assert cache.get("a") == (False, None)


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    rng = random.Random(1)
    delays = [backoff_delay(attempt, 0.1, 0.5, rng=rng) for attempt in (1, 2, 3, 4, 5)]
    assert 0.05 <= delays[0] <= 0.1
    assert 0.1 <= delays[1] <= 0.2
    assert all(0.25 <= delay <= 0.5 for delay in delays[3:])
