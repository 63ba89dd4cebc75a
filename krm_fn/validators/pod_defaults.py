"""Validators of the PodDefaults config (krm_fn/models/pod_defaults.py).

Generated from the config models by `make validators` (krm_fn/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from typing import Any

from krm_fn.checks import (
    PatternSpecMethods,
    check_env,
    check_env_from,
    check_mount,
    check_volume,
    default_kubernetes_version,
)
from krm_fn.patterns.pod_defaults import check_keys, check_label_values
from krm_fn.validated import MISSING, Unsure, Validated, anything, boolean, checked, string
from krm_fn.validators import (
    _common_checked_12,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
)


class PodDefaultsSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.pod_defaults, validated."""

    __slots__ = (
        "annotations",
        "app_containers",
        "env",
        "env_from",
        "fail_on_empty_match",
        "fail_on_warnings",
        "kubernetes_version",
        "labels",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
        "targets",
        "volume_mounts",
        "volumes",
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
        "labels",
        "annotations",
        "env",
        "env_from",
        "volumes",
        "volume_mounts",
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
        "labels": "labels",
        "annotations": "annotations",
        "env": "env",
        "envFrom": "env_from",
        "volumes": "volumes",
        "volumeMounts": "volume_mounts",
    }
    targets: Any
    app_containers: Any
    kubernetes_version: Any
    pod_template_paths: Any
    pod_opt_out: Any
    fail_on_empty_match: Any
    fail_on_warnings: Any
    on_error: Any
    labels: Any
    annotations: Any
    env: Any
    env_from: Any
    volumes: Any
    volume_mounts: Any


def _dict_0(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): string(item) for key, item in value.items()}


def _checked_1(value: Any) -> Any:
    value = _dict_0(value)
    value = checked(check_keys, value)
    value = checked(check_label_values, value)
    return value


def _checked_2(value: Any) -> Any:
    value = _dict_0(value)
    value = checked(check_keys, value)
    return value


def _dict_3(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_4(value: Any) -> Any:
    value = _dict_3(value)
    value = checked(check_env, value)
    return value


def _list_5(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_4(item) for item in value]


def _checked_6(value: Any) -> Any:
    value = _dict_3(value)
    value = checked(check_env_from, value)
    return value


def _list_7(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_6(item) for item in value]


def _checked_8(value: Any) -> Any:
    value = _dict_3(value)
    value = checked(check_volume, value)
    return value


def _list_9(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_8(item) for item in value]


def _checked_10(value: Any) -> Any:
    value = _dict_3(value)
    value = checked(check_mount, value)
    return value


def _list_11(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_10(item) for item in value]


def validate_PodDefaultsSpec(value: Any) -> PodDefaultsSpec:
    """A Spec of krm_fn.models.pod_defaults."""
    if type(value) is not dict or not value.keys() <= PodDefaultsSpec.ALIASES.keys():
        raise Unsure
    result: PodDefaultsSpec = PodDefaultsSpec.__new__(PodDefaultsSpec)
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
    item = value.get("labels", MISSING)
    result.labels = dict() if item is MISSING else _checked_1(item)
    item = value.get("annotations", MISSING)
    result.annotations = dict() if item is MISSING else _checked_2(item)
    item = value.get("env", MISSING)
    result.env = list() if item is MISSING else _list_5(item)
    item = value.get("envFrom", MISSING)
    result.env_from = list() if item is MISSING else _list_7(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _list_9(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _list_11(item)
    result.model_fields_set = frozenset(map(PodDefaultsSpec.ALIASES.__getitem__, value))
    return result


validate = validate_PodDefaultsSpec
