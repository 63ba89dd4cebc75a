"""Validators of the GracefulShutdown config (krm_fn/patterns/models/graceful_shutdown.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any

from krm_fn.patterns.validated import MISSING, Unsure
from krm_fn.patterns.validators import (
    PatternSpec,
    _common_integer_at_least_0,
    _common_optional_list_of_string,
    fill_PatternSpec,
)


class GracefulShutdownSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.graceful_shutdown, validated."""

    __slots__ = ("command", "command_seconds", "shutdown_seconds", "sleep_seconds")
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "sleep_seconds",
        "command",
        "command_seconds",
        "shutdown_seconds",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "sleepSeconds": "sleep_seconds",
        "command": "command",
        "commandSeconds": "command_seconds",
        "shutdownSeconds": "shutdown_seconds",
    }
    sleep_seconds: int
    command: list[str] | None
    command_seconds: int
    shutdown_seconds: int


def validate_GracefulShutdownSpec(value: Any) -> GracefulShutdownSpec:
    """A Spec of krm_fn.patterns.models.graceful_shutdown."""
    if type(value) is not dict or not value.keys() <= GracefulShutdownSpec.ALIASES.keys():
        raise Unsure
    result: GracefulShutdownSpec = GracefulShutdownSpec.__new__(GracefulShutdownSpec)
    fill_PatternSpec(result, value)
    item = value.get("sleepSeconds", MISSING)
    result.sleep_seconds = 5 if item is MISSING else _common_integer_at_least_0(item)
    item = value.get("command", MISSING)
    result.command = None if item is MISSING else _common_optional_list_of_string(item)
    item = value.get("commandSeconds", MISSING)
    result.command_seconds = 0 if item is MISSING else _common_integer_at_least_0(item)
    item = value.get("shutdownSeconds", MISSING)
    result.shutdown_seconds = 30 if item is MISSING else _common_integer_at_least_0(item)
    result.model_fields_set = frozenset(map(GracefulShutdownSpec.ALIASES.__getitem__, value))
    return result


validate = validate_GracefulShutdownSpec
