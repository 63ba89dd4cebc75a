"""Validators of the Migration config (krm_fn/models/migration.py).

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
from krm_fn.patterns.migration import migration_resources
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


class MigrationSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.migration, validated."""

    __slots__ = (
        "app_containers",
        "args",
        "command",
        "container",
        "container_name",
        "copy_env",
        "copy_volume_mounts",
        "fail_on_empty_match",
        "fail_on_warnings",
        "image",
        "kubernetes_version",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
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
        "position",
        "resources",
        "container",
        "command",
        "args",
        "image",
        "container_name",
        "copy_env",
        "copy_volume_mounts",
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
        "command": "command",
        "args": "args",
        "image": "image",
        "containerName": "container_name",
        "copyEnv": "copy_env",
        "copyVolumeMounts": "copy_volume_mounts",
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
    command: Any
    args: Any
    image: Any
    container_name: Any
    copy_env: Any
    copy_volume_mounts: Any


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
    return value


def _dict_6(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_7(value: Any) -> Any:
    value = _dict_6(value)
    value = checked(check_container_override, value)
    return value


def _checked_8(value: Any) -> Any:
    value = _common_list_11(value)
    if len(value) < 1:
        raise Unsure
    return value


def _checked_9(value: Any) -> Any:
    value = string(value)
    value = checked(check_image, value)
    return value


def _optional_10(value: Any) -> Any:
    return None if value is None else _checked_9(value)


def _checked_11(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, PATTERN_0)
    return value


def validate_MigrationSpec(value: Any) -> MigrationSpec:
    """A Spec of krm_fn.models.migration."""
    if type(value) is not dict or not value.keys() <= MigrationSpec.ALIASES.keys():
        raise Unsure
    result: MigrationSpec = MigrationSpec.__new__(MigrationSpec)
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
    result.position = "last" if item is MISSING else _tagged_1(item)
    item = value.get("resources", MISSING)
    result.resources = migration_resources() if item is MISSING else _checked_5(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _checked_7(item)
    item = value.get("command", MISSING)
    result.command = required() if item is MISSING else _checked_8(item)
    item = value.get("args", MISSING)
    result.args = list() if item is MISSING else _common_list_11(item)
    item = value.get("image", MISSING)
    result.image = None if item is MISSING else _optional_10(item)
    item = value.get("containerName", MISSING)
    result.container_name = "migrate" if item is MISSING else _checked_11(item)
    item = value.get("copyEnv", MISSING)
    result.copy_env = True if item is MISSING else boolean(item)
    item = value.get("copyVolumeMounts", MISSING)
    result.copy_volume_mounts = False if item is MISSING else boolean(item)
    result.model_fields_set = frozenset(map(MigrationSpec.ALIASES.__getitem__, value))
    return result


validate = validate_MigrationSpec
