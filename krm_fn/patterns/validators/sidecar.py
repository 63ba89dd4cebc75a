"""Validators of the Sidecar config (krm_fn/patterns/models/sidecar.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.checks import PatternSpecMethods, default_kubernetes_version
from krm_fn.patterns.sidecar import check_no_restart_policy
from krm_fn.patterns.validated import MISSING, Unsure, Validated, boolean, checked, required
from krm_fn.patterns.validators import (
    Anchor,
    PodTemplatePath,
    Target,
    _common_checked_12,
    _common_checked_20,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_list_25,
    _common_list_27,
    _common_list_29,
    _common_literal_14,
    _common_literal_16,
    _common_tagged_22,
)


class SidecarSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.patterns.models.sidecar, validated."""

    __slots__ = (
        "app_containers",
        "containers",
        "fail_on_empty_match",
        "fail_on_warnings",
        "kubernetes_version",
        "native",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
        "position",
        "resources",
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
        "native",
        "resources",
        "position",
        "containers",
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
        "native": "native",
        "resources": "resources",
        "position": "position",
        "containers": "containers",
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
    native: Literal["auto", True, False]
    resources: dict[str, dict[str, str | int | float]]
    position: Literal["first", "last"] | Anchor
    containers: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    volume_mounts: list[dict[str, Any]]


def _checked_0(value: Any) -> Any:
    value = _common_list_25(value)
    if len(value) < 1:
        raise Unsure
    value = checked(check_no_restart_policy, value)
    return value


def validate_SidecarSpec(value: Any) -> SidecarSpec:
    """A Spec of krm_fn.patterns.models.sidecar."""
    if type(value) is not dict or not value.keys() <= SidecarSpec.ALIASES.keys():
        raise Unsure
    result: SidecarSpec = SidecarSpec.__new__(SidecarSpec)
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
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_literal_16(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _common_checked_20(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_tagged_22(item)
    item = value.get("containers", MISSING)
    result.containers = required() if item is MISSING else _checked_0(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _common_list_27(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _common_list_29(item)
    result.model_fields_set = frozenset(map(SidecarSpec.ALIASES.__getitem__, value))
    return result


validate = validate_SidecarSpec
