"""Validators of the PodPatterns config (krm_fn/patterns/models/bundle.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.patterns.checks import PatternSpecMethods, default_kubernetes_version
from krm_fn.patterns.validated import (
    MISSING,
    Unsure,
    Validated,
    boolean,
    matching,
    required,
    string,
)
from krm_fn.patterns.validators import (
    PodTemplatePath,
    Target,
    _common_checked_12,
    _common_dict_23,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
)

PATTERN_0 = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class BundleBundleSpec(Validated, PatternSpecMethods):
    """BundleSpec of krm_fn.patterns.models.bundle, validated."""

    __slots__ = (
        "app_containers",
        "fail_on_empty_match",
        "fail_on_warnings",
        "kubernetes_version",
        "on_error",
        "patterns",
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
        "patterns",
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
        "patterns": "patterns",
    }
    targets: list[Target]
    app_containers: list[str]
    kubernetes_version: str
    pod_template_paths: list[PodTemplatePath]
    pod_opt_out: bool
    fail_on_empty_match: bool
    fail_on_warnings: bool
    on_error: Literal["deny", "admit"]
    patterns: list[BundlePatternEntry]


class BundlePatternEntry(Validated):
    """PatternEntry of krm_fn.patterns.models.bundle, validated."""

    __slots__ = ("kind", "name", "spec")
    FIELDS = ("kind", "name", "spec")
    ALIASES = {"kind": "kind", "name": "name", "spec": "spec"}
    kind: str
    name: str | None
    spec: dict[str, Any]


def _checked_0(value: Any) -> Any:
    value = string(value)
    value = matching(value, PATTERN_0)
    return value


def _optional_1(value: Any) -> Any:
    return None if value is None else _checked_0(value)


def validate_BundlePatternEntry(value: Any) -> BundlePatternEntry:
    """A PatternEntry of krm_fn.patterns.models.bundle."""
    if type(value) is not dict or not value.keys() <= BundlePatternEntry.ALIASES.keys():
        raise Unsure
    result: BundlePatternEntry = BundlePatternEntry.__new__(BundlePatternEntry)
    item = value.get("kind", MISSING)
    result.kind = required() if item is MISSING else string(item)
    item = value.get("name", MISSING)
    result.name = None if item is MISSING else _optional_1(item)
    item = value.get("spec", MISSING)
    result.spec = dict() if item is MISSING else _common_dict_23(item)
    result.model_fields_set = frozenset(map(BundlePatternEntry.ALIASES.__getitem__, value))
    return result


def _list_3(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [validate_BundlePatternEntry(item) for item in value]


def _checked_4(value: Any) -> Any:
    value = _list_3(value)
    if len(value) < 1:
        raise Unsure
    return value


def validate_BundleBundleSpec(value: Any) -> BundleBundleSpec:
    """A BundleSpec of krm_fn.patterns.models.bundle."""
    if type(value) is not dict or not value.keys() <= BundleBundleSpec.ALIASES.keys():
        raise Unsure
    result: BundleBundleSpec = BundleBundleSpec.__new__(BundleBundleSpec)
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
    item = value.get("patterns", MISSING)
    result.patterns = required() if item is MISSING else _checked_4(item)
    result.model_fields_set = frozenset(map(BundleBundleSpec.ALIASES.__getitem__, value))
    return result


validate = validate_BundleBundleSpec
