"""A circuit breaker: after repeated failures stop calling a backend for a while, then probe once."""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Closed -> (``fail_max`` consecutive failures) -> open -> (``reset_s`` later) -> half-open.

    In half-open one call goes through: success closes the breaker, failure opens it again. The clock
    is injectable so tests step time instead of sleeping.
    """

    def __init__(
        self, fail_max: int = 3, reset_s: float = 10.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.fail_max = fail_max
        self.reset_s = reset_s
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.reset_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self) -> bool:
        """May a call go out now? (In half-open, only one at a time.)"""
        state = self.state
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def failure(self) -> None:
        self._failures += 1
        self._probing = False
        if self._opened_at is not None or self._failures >= self.fail_max:
            self._opened_at = self._clock()
