"""How long an account name waits after repeated failed logins.

A few failures are free (typos happen); after that each failure doubles the wait, up to a ceiling. Counted
per account name rather than per address, the delay also slows a guesser who spreads attempts over many
addresses, while a person who mistyped twice never notices it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoginDelay:
    free_failures: int = 5
    first_delay_seconds: float = 2.0
    max_delay_seconds: float = 900.0

    def after(self, failures: int) -> float:
        """Seconds to refuse further attempts after `failures` consecutive failures."""
        excess = failures - self.free_failures
        if excess < 0:
            return 0.0
        if excess >= 64:  # 2**64 seconds is far past any ceiling
            return self.max_delay_seconds
        return min(self.first_delay_seconds * 2**excess, self.max_delay_seconds)
