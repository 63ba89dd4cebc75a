"""Validators of the Sidecar config (krm_fn/models/sidecar.py).

Generated from the config models by `make validators` (krm_fn/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from typing import Any

from krm_fn.checks import (
    PatternSpecMethods,
    check_container,
    check_mount,
    check_resources,
    check_volume,
    default_kubernetes_version,
    position_tag,
)
from krm_fn.containers import sidecar_resources
from krm_fn.patterns.sidecar import check_no_restart_policy
from krm_fn.validated import (
    MISSING,
    Unsure,
    Validated,
    anything,
    boolean,
    checked,
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


class SidecarSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.sidecar, validated."""

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
    targets: Any
    app_containers: Any
    kubernetes_version: Any
    pod_template_paths: Any
    pod_opt_out: Any
    fail_on_empty_match: Any
    fail_on_warnings: Any
    on_error: Any
    native: Any
    resources: Any
    position: Any
    containers: Any
    volumes: Any
    volume_mounts: Any


def _literal_0(value: Any) -> Any:
    if (type(value), value) in (
        (str, "auto"),
        (bool, True),
        (bool, False),
    ):
        return value
    raise Unsure


def _union_1(value: Any) -> Any:
    if type(value) in (
        str,
        int,
        float,
    ):
        return value
    raise Unsure


def _dict_2(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _union_1(item) for key, item in value.items()}


def _dict_3(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _dict_2(item) for key, item in value.items()}


def _checked_4(value: Any) -> Any:
    value = _dict_3(value)
    value = checked(check_resources, value)
    return value


def _literal_5(value: Any) -> Any:
    if (type(value), value) in (
        (str, "first"),
        (str, "last"),
    ):
        return value
    raise Unsure


def _tagged_6(value: Any) -> Any:
    tag = position_tag(value)
    if tag == "first|last":
        return _literal_5(value)
    if tag == "before|after":
        return validate_Anchor(value)
    raise Unsure


def _dict_7(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_8(value: Any) -> Any:
    value = _dict_7(value)
    value = checked(check_container, value)
    return value


def _list_9(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_8(item) for item in value]


def _checked_10(value: Any) -> Any:
    value = _list_9(value)
    if len(value) < 1:
        raise Unsure
    value = checked(check_no_restart_policy, value)
    return value


def _checked_11(value: Any) -> Any:
    value = _dict_7(value)
    value = checked(check_volume, value)
    return value


def _list_12(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_11(item) for item in value]


def _checked_13(value: Any) -> Any:
    value = _dict_7(value)
    value = checked(check_mount, value)
    return value


def _list_14(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_13(item) for item in value]


def validate_SidecarSpec(value: Any) -> SidecarSpec:
    """A Spec of krm_fn.models.sidecar."""
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
    result.native = "auto" if item is MISSING else _literal_0(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _checked_4(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _tagged_6(item)
    item = value.get("containers", MISSING)
    result.containers = required() if item is MISSING else _checked_10(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _list_12(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _list_14(item)
    result.model_fields_set = frozenset(map(SidecarSpec.ALIASES.__getitem__, value))
    return result


validate = validate_SidecarSpec
