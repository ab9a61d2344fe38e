"""Slow down clients that keep presenting bad links (guessing tokens)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque


class FailureLimiter:
    """Counts failures per client in a sliding window; too many and the client waits."""

    def __init__(self, *, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def blocked(self, client: str | None) -> bool:
        """Tell whether a client has failed too often lately."""
        with self._lock:
            return len(self._recent(client or "?")) >= self.limit

    def failed(self, client: str | None) -> None:
        """Count one failure of a client."""
        with self._lock:
            self._recent(client or "?").append(time.monotonic())

    def _recent(self, client: str) -> deque[float]:
        stamps = self._failures[client]
        horizon = time.monotonic() - self.window
        while stamps and stamps[0] < horizon:
            stamps.popleft()
        return stamps
