"""Validators of the LocalCache config (krm_fn/models/local_cache.py).

Generated from the config models by `make validators` (krm_fn/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

import re
from typing import Any

from krm_fn.checks import (
    PatternSpecMethods,
    check_container_override,
    check_env,
    check_image,
    check_resources,
    default_kubernetes_version,
    position_tag,
)
from krm_fn.containers import sidecar_resources
from krm_fn.patterns.local_cache import check_quantity
from krm_fn.validated import (
    MISSING,
    Unsure,
    Validated,
    anything,
    boolean,
    checked,
    integer,
    matching,
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


class LocalCacheSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.local_cache, validated."""

    __slots__ = (
        "app_containers",
        "app_env",
        "container",
        "container_name",
        "cpu",
        "engine",
        "eviction_policy",
        "fail_on_empty_match",
        "fail_on_warnings",
        "image",
        "kubernetes_version",
        "memory",
        "native",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
        "port",
        "position",
        "resources",
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
        "native",
        "resources",
        "position",
        "engine",
        "image",
        "port",
        "memory",
        "cpu",
        "eviction_policy",
        "app_env",
        "container_name",
        "container",
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
        "engine": "engine",
        "image": "image",
        "port": "port",
        "memory": "memory",
        "cpu": "cpu",
        "evictionPolicy": "eviction_policy",
        "appEnv": "app_env",
        "containerName": "container_name",
        "container": "container",
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
    engine: Any
    image: Any
    port: Any
    memory: Any
    cpu: Any
    eviction_policy: Any
    app_env: Any
    container_name: Any
    container: Any


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


def _literal_7(value: Any) -> Any:
    if (type(value), value) in (
        (str, "redis"),
        (str, "memcached"),
    ):
        return value
    raise Unsure


def _checked_8(value: Any) -> Any:
    value = string(value)
    value = checked(check_image, value)
    return value


def _optional_9(value: Any) -> Any:
    return None if value is None else _checked_8(value)


def _checked_10(value: Any) -> Any:
    value = integer(value)
    if not value >= 1:
        raise Unsure
    if not value <= 65535:
        raise Unsure
    return value


def _optional_11(value: Any) -> Any:
    return None if value is None else _checked_10(value)


def _checked_12(value: Any) -> Any:
    value = string(value)
    value = checked(check_quantity, value)
    return value


def _literal_13(value: Any) -> Any:
    if (type(value), value) in (
        (str, "noeviction"),
        (str, "allkeys-lru"),
        (str, "allkeys-lfu"),
        (str, "allkeys-random"),
        (str, "volatile-lru"),
        (str, "volatile-lfu"),
        (str, "volatile-random"),
        (str, "volatile-ttl"),
    ):
        return value
    raise Unsure


def _dict_14(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_15(value: Any) -> Any:
    value = _dict_14(value)
    value = checked(check_env, value)
    return value


def _list_16(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_15(item) for item in value]


def _checked_17(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, PATTERN_0)
    return value


def _optional_18(value: Any) -> Any:
    return None if value is None else _checked_17(value)


def _checked_19(value: Any) -> Any:
    value = _dict_14(value)
    value = checked(check_container_override, value)
    return value


def validate_LocalCacheSpec(value: Any) -> LocalCacheSpec:
    """A Spec of krm_fn.models.local_cache."""
    if type(value) is not dict or not value.keys() <= LocalCacheSpec.ALIASES.keys():
        raise Unsure
    result: LocalCacheSpec = LocalCacheSpec.__new__(LocalCacheSpec)
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
    item = value.get("engine", MISSING)
    result.engine = "redis" if item is MISSING else _literal_7(item)
    item = value.get("image", MISSING)
    result.image = None if item is MISSING else _optional_9(item)
    item = value.get("port", MISSING)
    result.port = None if item is MISSING else _optional_11(item)
    item = value.get("memory", MISSING)
    result.memory = "256Mi" if item is MISSING else _checked_12(item)
    item = value.get("cpu", MISSING)
    result.cpu = "50m" if item is MISSING else _checked_12(item)
    item = value.get("evictionPolicy", MISSING)
    result.eviction_policy = "allkeys-lru" if item is MISSING else _literal_13(item)
    item = value.get("appEnv", MISSING)
    result.app_env = list() if item is MISSING else _list_16(item)
    item = value.get("containerName", MISSING)
    result.container_name = None if item is MISSING else _optional_18(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _checked_19(item)
    result.model_fields_set = frozenset(map(LocalCacheSpec.ALIASES.__getitem__, value))
    return result


validate = validate_LocalCacheSpec
