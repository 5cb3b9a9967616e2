# Clocks for the engine: the real one, and a manual one so tests can make time pass instantly.
from __future__ import annotations

import threading
import time


class SystemClock:
    """Wall-clock seconds since the epoch; vendor APIs report epoch timestamps."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to; used by tests of timeouts that last minutes."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now
