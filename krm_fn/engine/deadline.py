"""A point in time past which a run stops: the webhook's time budget, checked inside the loops."""

import time
from dataclasses import dataclass


class DeadlineExceeded(Exception):
    """The run went past its deadline; nothing it did is kept."""


@dataclass(frozen=True)
class Deadline:
    """`at` is a time.monotonic() value; None: no deadline (build time)."""

    at: float | None = None

    def check(self) -> None:
        """Raise DeadlineExceeded once the deadline has passed."""
        if self.at is not None and time.monotonic() > self.at:
            raise DeadlineExceeded


NONE = Deadline()
