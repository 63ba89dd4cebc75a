"""Validators of the PodDefaults config (krm_fn/patterns/models/pod_defaults.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.patterns.checks import PatternSpecMethods, check_env_from, default_kubernetes_version
from krm_fn.patterns.pod_defaults import check_keys, check_label_values
from krm_fn.patterns.validated import MISSING, Unsure, Validated, boolean, checked
from krm_fn.patterns.validators import (
    PodTemplatePath,
    Target,
    _common_checked_12,
    _common_dict_23,
    _common_dict_30,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_list_27,
    _common_list_29,
    _common_list_32,
    _common_literal_14,
)


class PodDefaultsSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.patterns.models.pod_defaults, validated."""

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
    targets: list[Target]
    app_containers: list[str]
    kubernetes_version: str
    pod_template_paths: list[PodTemplatePath]
    pod_opt_out: bool
    fail_on_empty_match: bool
    fail_on_warnings: bool
    on_error: Literal["deny", "admit"]
    labels: dict[str, str]
    annotations: dict[str, str]
    env: list[dict[str, Any]]
    env_from: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    volume_mounts: list[dict[str, Any]]


def _checked_0(value: Any) -> Any:
    value = _common_dict_30(value)
    value = checked(check_keys, value)
    value = checked(check_label_values, value)
    return value


def _checked_1(value: Any) -> Any:
    value = _common_dict_30(value)
    value = checked(check_keys, value)
    return value


def _checked_2(value: Any) -> Any:
    value = _common_dict_23(value)
    value = checked(check_env_from, value)
    return value


def _list_3(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_2(item) for item in value]


def validate_PodDefaultsSpec(value: Any) -> PodDefaultsSpec:
    """A Spec of krm_fn.patterns.models.pod_defaults."""
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
    result.labels = dict() if item is MISSING else _checked_0(item)
    item = value.get("annotations", MISSING)
    result.annotations = dict() if item is MISSING else _checked_1(item)
    item = value.get("env", MISSING)
    result.env = list() if item is MISSING else _common_list_32(item)
    item = value.get("envFrom", MISSING)
    result.env_from = list() if item is MISSING else _list_3(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _common_list_27(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _common_list_29(item)
    result.model_fields_set = frozenset(map(PodDefaultsSpec.ALIASES.__getitem__, value))
    return result


validate = validate_PodDefaultsSpec
