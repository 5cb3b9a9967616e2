# Token-bucket request limiter; a rate of 0 switches it off.
from __future__ import annotations

import threading
import time


class TokenBucket:
    """Refills `rate` tokens a second up to a burst of `rate` (at least 1) tokens."""

    def __init__(self, rate: float = 0.0) -> None:
        self._lock = threading.Lock()
        self.rate = 0.0
        self._tokens = 0.0
        self._last = time.monotonic()
        self.set_rate(rate)

    def set_rate(self, rate: float) -> None:
        with self._lock:
            self.rate = max(0.0, float(rate))
            self._tokens = max(self.rate, 1.0)
            self._last = time.monotonic()

    def allow(self) -> bool:
        with self._lock:
            if self.rate <= 0:
                return True
            now = time.monotonic()
            burst = max(self.rate, 1.0)
            self._tokens = min(burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False
