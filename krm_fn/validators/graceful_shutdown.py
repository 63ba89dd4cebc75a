"""Validators of the GracefulShutdown config (krm_fn/models/graceful_shutdown.py).

Generated from the config models by `make validators` (krm_fn/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from typing import Any

from krm_fn.checks import PatternSpecMethods, default_kubernetes_version, normalize_version
from krm_fn.validated import MISSING, Unsure, Validated, boolean, checked, integer, string
from krm_fn.validators import validate_PodTemplatePath, validate_Target


class GracefulShutdownSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.graceful_shutdown, validated."""

    __slots__ = (
        "app_containers",
        "command",
        "command_seconds",
        "fail_on_empty_match",
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
        "onError": "on_error",
        "sleepSeconds": "sleep_seconds",
        "command": "command",
        "commandSeconds": "command_seconds",
        "shutdownSeconds": "shutdown_seconds",
    }
    targets: Any
    app_containers: Any
    kubernetes_version: Any
    pod_template_paths: Any
    pod_opt_out: Any
    fail_on_empty_match: Any
    on_error: Any
    sleep_seconds: Any
    command: Any
    command_seconds: Any
    shutdown_seconds: Any


def _list_0(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [validate_Target(item) for item in value]


def _list_1(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [string(item) for item in value]


def _checked_2(value: Any) -> Any:
    value = checked(normalize_version, value)
    value = string(value)
    return value


def _list_3(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [validate_PodTemplatePath(item) for item in value]


def _literal_4(value: Any) -> Any:
    if (type(value), value) in (
        (str, "deny"),
        (str, "admit"),
    ):
        return value
    raise Unsure


def _checked_5(value: Any) -> Any:
    value = integer(value)
    if not value >= 0:
        raise Unsure
    return value


def _optional_6(value: Any) -> Any:
    return None if value is None else _list_1(value)


def validate_GracefulShutdownSpec(value: Any) -> GracefulShutdownSpec:
    """A Spec of krm_fn.models.graceful_shutdown."""
    if type(value) is not dict or not value.keys() <= GracefulShutdownSpec.ALIASES.keys():
        raise Unsure
    result: GracefulShutdownSpec = GracefulShutdownSpec.__new__(GracefulShutdownSpec)
    item = value.get("targets", MISSING)
    result.targets = list() if item is MISSING else _list_0(item)
    item = value.get("appContainers", MISSING)
    result.app_containers = list() if item is MISSING else _list_1(item)
    item = value.get("kubernetesVersion", MISSING)
    result.kubernetes_version = (
        _checked_2(default_kubernetes_version()) if item is MISSING else _checked_2(item)
    )
    item = value.get("podTemplatePaths", MISSING)
    result.pod_template_paths = list() if item is MISSING else _list_3(item)
    item = value.get("podOptOut", MISSING)
    result.pod_opt_out = True if item is MISSING else boolean(item)
    item = value.get("failOnEmptyMatch", MISSING)
    result.fail_on_empty_match = False if item is MISSING else boolean(item)
    item = value.get("onError", MISSING)
    result.on_error = "deny" if item is MISSING else _literal_4(item)
    item = value.get("sleepSeconds", MISSING)
    result.sleep_seconds = 5 if item is MISSING else _checked_5(item)
    item = value.get("command", MISSING)
    result.command = None if item is MISSING else _optional_6(item)
    item = value.get("commandSeconds", MISSING)
    result.command_seconds = 0 if item is MISSING else _checked_5(item)
    item = value.get("shutdownSeconds", MISSING)
    result.shutdown_seconds = 30 if item is MISSING else _checked_5(item)
    result.model_fields_set = frozenset(map(GracefulShutdownSpec.ALIASES.__getitem__, value))
    return result


validate = validate_GracefulShutdownSpec
