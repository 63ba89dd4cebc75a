"""The config model of GracefulShutdown.

Its docs and transform are in krm_fn/patterns/graceful_shutdown.py.
"""

from pydantic import Field

from krm_fn.patterns.models.spec import PatternSpec


class Spec(PatternSpec):
    """A preStop hook for the app containers."""

    sleep_seconds: int = Field(
        5, ge=0, description="Pause before shutdown, while endpoints and load balancers update."
    )
    command: list[str] | None = Field(
        None, description="Command run after the pause, e.g. one that makes the server quit."
    )
    command_seconds: int = Field(
        0, ge=0, description="How long the command may take (counted in the grace period)."
    )
    shutdown_seconds: int = Field(
        30, ge=0, description="How long the app needs after SIGTERM to exit cleanly."
    )
