"""Validators of the GracefulShutdown config (krm_fn/patterns/models/graceful_shutdown.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.patterns.checks import PatternSpecMethods, default_kubernetes_version
from krm_fn.patterns.validated import MISSING, Unsure, Validated, boolean
from krm_fn.patterns.validators import (
    PodTemplatePath,
    Target,
    _common_checked_12,
    _common_checked_45,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
    _common_optional_40,
)


class GracefulShutdownSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.patterns.models.graceful_shutdown, validated."""

    __slots__ = (
        "app_containers",
        "command",
        "command_seconds",
        "fail_on_empty_match",
        "fail_on_warnings",
        "kubernetes_version",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
        "shutdown_seconds",
        "sleep_seconds",
        "targets",
    )
    FIELDS = (
        "targets",
        "app_containers",
        "kubernetes_version",
        "pod_template_paths",
        "pod_opt_out",
        "fail_on_empty_match",
        "fail_on_warnings",
        "on_error",
        "sleep_seconds",
        "command",
        "command_seconds",
        "shutdown_seconds",
    )
    ALIASES = {
        "targets": "targets",
        "appContainers": "app_containers",
        "kubernetesVersion": "kubernetes_version",
        "podTemplatePaths": "pod_template_paths",
        "podOptOut": "pod_opt_out",
        "failOnEmptyMatch": "fail_on_empty_match",
        "failOnWarnings": "fail_on_warnings",
        "onError": "on_error",
        "sleepSeconds": "sleep_seconds",
        "command": "command",
        "commandSeconds": "command_seconds",
        "shutdownSeconds": "shutdown_seconds",
    }
    targets: list[Target]
    app_containers: list[str]
    kubernetes_version: str
    pod_template_paths: list[PodTemplatePath]
    pod_opt_out: bool
    fail_on_empty_match: bool
    fail_on_warnings: bool
    on_error: Literal["deny", "admit"]
    sleep_seconds: int
    command: list[str] | None
    command_seconds: int
    shutdown_seconds: int


def validate_GracefulShutdownSpec(value: Any) -> GracefulShutdownSpec:
    """A Spec of krm_fn.patterns.models.graceful_shutdown."""
    if type(value) is not dict or not value.keys() <= GracefulShutdownSpec.ALIASES.keys():
        raise Unsure
    result: GracefulShutdownSpec = GracefulShutdownSpec.__new__(GracefulShutdownSpec)
    item = value.get("targets", MISSING)
    result.targets = list() if item is MISSING else _common_list_10(item)
    item = value.get("appContainers", MISSING)
    result.app_containers = list() if item is MISSING else _common_list_11(item)
    item = value.get("kubernetesVersion", MISSING)
    result.kubernetes_version = (
        _common_checked_12(default_kubernetes_version())
        if item is MISSING
        else _common_checked_12(item)
    )
    item = value.get("podTemplatePaths", MISSING)
    result.pod_template_paths = list() if item is MISSING else _common_list_13(item)
    item = value.get("podOptOut", MISSING)
    result.pod_opt_out = True if item is MISSING else boolean(item)
    item = value.get("failOnEmptyMatch", MISSING)
    result.fail_on_empty_match = False if item is MISSING else boolean(item)
    item = value.get("failOnWarnings", MISSING)
    result.fail_on_warnings = False if item is MISSING else boolean(item)
    item = value.get("onError", MISSING)
    result.on_error = "deny" if item is MISSING else _common_literal_14(item)
    item = value.get("sleepSeconds", MISSING)
    result.sleep_seconds = 5 if item is MISSING else _common_checked_45(item)
    item = value.get("command", MISSING)
    result.command = None if item is MISSING else _common_optional_40(item)
    item = value.get("commandSeconds", MISSING)
    result.command_seconds = 0 if item is MISSING else _common_checked_45(item)
    item = value.get("shutdownSeconds", MISSING)
    result.shutdown_seconds = 30 if item is MISSING else _common_checked_45(item)
    result.model_fields_set = frozenset(map(GracefulShutdownSpec.ALIASES.__getitem__, value))
    return result


validate = validate_GracefulShutdownSpec
