"""Token buckets: a key's requests a minute, and a client address's failed sign-ins."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Generic, TypeVar

K = TypeVar("K")
MAX_ENTRIES = 100_000  # past this, full buckets are forgotten (they hold no debt)


@dataclass
class Buckets(Generic[K]):
    """One bucket of ``per_minute`` tokens per key, refilled continuously."""

    entries: dict[K, tuple[float, float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _level(self, key: K, per_minute: int, now: float) -> float:
        tokens, since = self.entries.get(key, (float(per_minute), now))
        return min(float(per_minute), tokens + (now - since) * per_minute / 60)

    def wait(self, key: K, per_minute: int, now: float) -> float:
        """Seconds until ``key`` has a token (0: it has one now); spends nothing."""
        with self.lock:
            tokens = self._level(key, per_minute, now)
        return 0.0 if tokens >= 1 else (1 - tokens) * 60 / per_minute

    def spend(self, key: K, per_minute: int, now: float) -> float:
        """Spend a token of ``key``'s bucket: 0 if there was one, else the seconds to wait
        (nothing spent)."""
        with self.lock:
            tokens = self._level(key, per_minute, now)
            if tokens < 1:
                self.entries[key] = (tokens, now)
                return (1 - tokens) * 60 / per_minute
            self.entries[key] = (tokens - 1, now)
            if len(self.entries) > MAX_ENTRIES:
                self._forget_full(per_minute, now)
            return 0.0

    def _forget_full(self, per_minute: int, now: float) -> None:
        full = [k for k in self.entries if self._level(k, per_minute, now) >= per_minute]
        for key in full:
            del self.entries[key]
