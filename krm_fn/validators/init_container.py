"""Validators of the InitContainer config (krm_fn/models/init_container.py).

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
from krm_fn.containers import init_resources
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


class InitContainerSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.init_container, validated."""

    __slots__ = (
        "app_containers",
        "fail_on_empty_match",
        "fail_on_warnings",
        "init_containers",
        "kubernetes_version",
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
        "init_containers",
        "volumes",
        "volume_mounts",
        "position",
        "resources",
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
        "initContainers": "init_containers",
        "volumes": "volumes",
        "volumeMounts": "volume_mounts",
        "position": "position",
        "resources": "resources",
    }
    targets: Any
    app_containers: Any
    kubernetes_version: Any
    pod_template_paths: Any
    pod_opt_out: Any
    fail_on_empty_match: Any
    fail_on_warnings: Any
    on_error: Any
    init_containers: Any
    volumes: Any
    volume_mounts: Any
    position: Any
    resources: Any


def _dict_0(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_1(value: Any) -> Any:
    value = _dict_0(value)
    value = checked(check_container, value)
    return value


def _list_2(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_1(item) for item in value]


def _checked_3(value: Any) -> Any:
    value = _list_2(value)
    if len(value) < 1:
        raise Unsure
    return value


def _checked_4(value: Any) -> Any:
    value = _dict_0(value)
    value = checked(check_volume, value)
    return value


def _list_5(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_4(item) for item in value]


def _checked_6(value: Any) -> Any:
    value = _dict_0(value)
    value = checked(check_mount, value)
    return value


def _list_7(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_6(item) for item in value]


def _literal_8(value: Any) -> Any:
    if (type(value), value) in (
        (str, "first"),
        (str, "last"),
    ):
        return value
    raise Unsure


def _tagged_9(value: Any) -> Any:
    tag = position_tag(value)
    if tag == "first|last":
        return _literal_8(value)
    if tag == "before|after":
        return validate_Anchor(value)
    raise Unsure


def _union_10(value: Any) -> Any:
    if type(value) in (
        str,
        int,
        float,
    ):
        return value
    raise Unsure


def _dict_11(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _union_10(item) for key, item in value.items()}


def _dict_12(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _dict_11(item) for key, item in value.items()}


def _checked_13(value: Any) -> Any:
    value = _dict_12(value)
    value = checked(check_resources, value)
    return value


def validate_InitContainerSpec(value: Any) -> InitContainerSpec:
    """A Spec of krm_fn.models.init_container."""
    if type(value) is not dict or not value.keys() <= InitContainerSpec.ALIASES.keys():
        raise Unsure
    result: InitContainerSpec = InitContainerSpec.__new__(InitContainerSpec)
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
    item = value.get("initContainers", MISSING)
    result.init_containers = required() if item is MISSING else _checked_3(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _list_5(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _list_7(item)
    item = value.get("position", MISSING)
    result.position = "last" if item is MISSING else _tagged_9(item)
    item = value.get("resources", MISSING)
    result.resources = init_resources() if item is MISSING else _checked_13(item)
    result.model_fields_set = frozenset(map(InitContainerSpec.ALIASES.__getitem__, value))
    return result


validate = validate_InitContainerSpec
