# Token-bucket request limiter; a rate of 0 switches it off.
from __future__ import annotations

import threading
import time


class TokenBucket:
    """Refills `rate` tokens a second up to a burst of `burst` (default `rate`, at least 1) tokens."""

    def __init__(self, rate: float = 0.0, burst: float | None = None) -> None:
        self._lock = threading.Lock()
        self.rate = 0.0
        self._burst = burst
        self._tokens = 0.0
        self._last = time.monotonic()
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self.rate = max(0.0, float(rate))
            self._tokens = self._capacity()
            self._last = time.monotonic()

    def allow(self) -> bool:
        with self._lock:
            if self.rate <= 0:
                return True
            now = time.monotonic()
            burst = self._capacity()
            self._tokens = min(burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False

    def _capacity(self) -> float:
        return max(self._burst if self._burst is not None else self.rate, 1.0)
