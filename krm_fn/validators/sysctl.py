"""Validators of the Sysctl config (krm_fn/models/sysctl.py).

Generated from the config models by `make validators` (krm_fn/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

import re
from typing import Any

from krm_fn.checks import (
    PatternSpecMethods,
    check_container_override,
    check_image,
    check_resources,
    default_kubernetes_version,
    position_tag,
)
from krm_fn.containers import init_resources
from krm_fn.patterns.init_container import check_requests_and_limits
from krm_fn.patterns.sysctl import check_names
from krm_fn.validated import (
    MISSING,
    Unsure,
    Validated,
    anything,
    boolean,
    checked,
    matching,
    required,
    string,
)
from krm_fn.validators import (
    _common_checked_12,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
    validate_Anchor,
)

PATTERN_0 = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class SysctlSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.sysctl, validated."""

    __slots__ = (
        "allow_privileged",
        "app_containers",
        "container",
        "container_name",
        "fail_on_empty_match",
        "fail_on_warnings",
        "image",
        "kubernetes_version",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
        "position",
        "resources",
        "sysctls",
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
        "position",
        "resources",
        "container",
        "sysctls",
        "allow_privileged",
        "container_name",
        "image",
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
        "position": "position",
        "resources": "resources",
        "container": "container",
        "sysctls": "sysctls",
        "allowPrivileged": "allow_privileged",
        "containerName": "container_name",
        "image": "image",
    }
    targets: Any
    app_containers: Any
    kubernetes_version: Any
    pod_template_paths: Any
    pod_opt_out: Any
    fail_on_empty_match: Any
    fail_on_warnings: Any
    on_error: Any
    position: Any
    resources: Any
    container: Any
    sysctls: Any
    allow_privileged: Any
    container_name: Any
    image: Any


def _literal_0(value: Any) -> Any:
    if (type(value), value) in (
        (str, "first"),
        (str, "last"),
    ):
        return value
    raise Unsure


def _tagged_1(value: Any) -> Any:
    tag = position_tag(value)
    if tag == "first|last":
        return _literal_0(value)
    if tag == "before|after":
        return validate_Anchor(value)
    raise Unsure


def _union_2(value: Any) -> Any:
    if type(value) in (
        str,
        int,
        float,
    ):
        return value
    raise Unsure


def _dict_3(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _union_2(item) for key, item in value.items()}


def _dict_4(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _dict_3(item) for key, item in value.items()}


def _checked_5(value: Any) -> Any:
    value = _dict_4(value)
    value = checked(check_resources, value)
    value = checked(check_requests_and_limits, value)
    return value


def _dict_6(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_7(value: Any) -> Any:
    value = _dict_6(value)
    value = checked(check_container_override, value)
    return value


def _dict_8(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): string(item) for key, item in value.items()}


def _checked_9(value: Any) -> Any:
    value = _dict_8(value)
    if len(value) < 1:
        raise Unsure
    value = checked(check_names, value)
    return value


def _checked_10(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, PATTERN_0)
    return value


def _checked_11(value: Any) -> Any:
    value = string(value)
    value = checked(check_image, value)
    return value


def validate_SysctlSpec(value: Any) -> SysctlSpec:
    """A Spec of krm_fn.models.sysctl."""
    if type(value) is not dict or not value.keys() <= SysctlSpec.ALIASES.keys():
        raise Unsure
    result: SysctlSpec = SysctlSpec.__new__(SysctlSpec)
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
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _tagged_1(item)
    item = value.get("resources", MISSING)
    result.resources = init_resources() if item is MISSING else _checked_5(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _checked_7(item)
    item = value.get("sysctls", MISSING)
    result.sysctls = required() if item is MISSING else _checked_9(item)
    item = value.get("allowPrivileged", MISSING)
    result.allow_privileged = False if item is MISSING else boolean(item)
    item = value.get("containerName", MISSING)
    result.container_name = "sysctl" if item is MISSING else _checked_10(item)
    item = value.get("image", MISSING)
    result.image = "busybox:1.36.1" if item is MISSING else _checked_11(item)
    result.model_fields_set = frozenset(map(SysctlSpec.ALIASES.__getitem__, value))
    return result


validate = validate_SysctlSpec
