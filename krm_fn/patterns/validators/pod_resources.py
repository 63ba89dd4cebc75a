"""Validators of the PodResources config (krm_fn/patterns/models/pod_resources.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.patterns.checks import PatternSpecMethods, default_kubernetes_version
from krm_fn.patterns.pod_resources import check_quantities
from krm_fn.patterns.validated import MISSING, Unsure, Validated, boolean, checked
from krm_fn.patterns.validators import (
    PodTemplatePath,
    Target,
    _common_checked_12,
    _common_dict_18,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
)


class PodResourcesSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.patterns.models.pod_resources, validated."""

    __slots__ = (
        "allow_init_dominance",
        "app_containers",
        "fail_on_empty_match",
        "fail_on_warnings",
        "kubernetes_version",
        "max_limits",
        "max_requests",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
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
        "max_requests",
        "max_limits",
        "allow_init_dominance",
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
        "maxRequests": "max_requests",
        "maxLimits": "max_limits",
        "allowInitDominance": "allow_init_dominance",
    }
    targets: list[Target]
    app_containers: list[str]
    kubernetes_version: str
    pod_template_paths: list[PodTemplatePath]
    pod_opt_out: bool
    fail_on_empty_match: bool
    fail_on_warnings: bool
    on_error: Literal["deny", "admit"]
    max_requests: dict[str, str | int | float]
    max_limits: dict[str, str | int | float]
    allow_init_dominance: bool


def _checked_0(value: Any) -> Any:
    value = _common_dict_18(value)
    value = checked(check_quantities, value)
    return value


def validate_PodResourcesSpec(value: Any) -> PodResourcesSpec:
    """A Spec of krm_fn.patterns.models.pod_resources."""
    if type(value) is not dict or not value.keys() <= PodResourcesSpec.ALIASES.keys():
        raise Unsure
    result: PodResourcesSpec = PodResourcesSpec.__new__(PodResourcesSpec)
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
    item = value.get("maxRequests", MISSING)
    result.max_requests = dict() if item is MISSING else _checked_0(item)
    item = value.get("maxLimits", MISSING)
    result.max_limits = dict() if item is MISSING else _checked_0(item)
    item = value.get("allowInitDominance", MISSING)
    result.allow_init_dominance = False if item is MISSING else boolean(item)
    result.model_fields_set = frozenset(map(PodResourcesSpec.ALIASES.__getitem__, value))
    return result


validate = validate_PodResourcesSpec
