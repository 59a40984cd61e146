"""The schedule of reconnect attempts after a lost connection, without I/O or a clock of its own:
the sync transport drives it with time.monotonic and time.sleep, the asyncio one with the event
loop's time and asyncio.sleep."""

from typing import Iterator, Optional

from .shared.errors import ZerobusException


class RecoveryPlan:
    """When a lost connection is retried, as the official SDK does: up to recovery_retries
    attempts (at least one), recovery_backoff_ms apart, all within recovery_timeout_ms (0: no
    limit). Times are seconds on the transport's clock (time.monotonic, the event loop's)."""

    def __init__(self, options, now: float):
        self.attempts = max(1, options.recovery_retries)
        budget = options.recovery_timeout_ms / 1000 if options.recovery_timeout_ms > 0 else float("inf")
        self.deadline = now + budget
        self.backoff = options.recovery_backoff_ms / 1000
        self.connect_timeout = options.connect_timeout_ms / 1000
        self.last: Optional[ZerobusException] = None  # the latest attempt's failure

    def pauses(self, clock) -> Iterator[float]:
        """Per attempt, the seconds to sleep before it (0 for the first); ends when the attempts
        or the budget run out."""
        for attempt in range(self.attempts):
            remaining = self.deadline - clock()
            if remaining <= 0:
                return
            yield min(self.backoff, remaining) if attempt else 0.0

    def timeout(self, now: float) -> float:
        """The attempt's connect timeout; <= 0 when the budget ran out during the pause."""
        return min(self.connect_timeout, self.deadline - now)

    def failed(self, error: ZerobusException) -> bool:
        """Notes a failed attempt; whether another one may help."""
        self.last = error
        return error.retriable
