"""Validators of the Migration config (krm_fn/patterns/models/migration.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.patterns.checks import PatternSpecMethods, default_kubernetes_version
from krm_fn.patterns.migration import migration_resources
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
    Anchor,
    PodTemplatePath,
    Target,
    _common_checked_12,
    _common_checked_20,
    _common_checked_35,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
    _common_optional_46,
    _common_tagged_22,
)

PATTERN_0 = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class MigrationSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.patterns.models.migration, validated."""

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
    targets: list[Target]
    app_containers: list[str]
    kubernetes_version: str
    pod_template_paths: list[PodTemplatePath]
    pod_opt_out: bool
    fail_on_empty_match: bool
    fail_on_warnings: bool
    on_error: Literal["deny", "admit"]
    position: Literal["first", "last"] | Anchor
    resources: dict[str, dict[str, str | int | float]]
    container: dict[str, Any]
    command: list[str]
    args: list[str]
    image: str | None
    container_name: str
    copy_env: bool
    copy_volume_mounts: bool


def _checked_0(value: Any) -> Any:
    value = _common_list_11(value)
    if len(value) < 1:
        raise Unsure
    return value


def _checked_1(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, PATTERN_0)
    return value


def validate_MigrationSpec(value: Any) -> MigrationSpec:
    """A Spec of krm_fn.patterns.models.migration."""
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
    result.position = "last" if item is MISSING else _common_tagged_22(item)
    item = value.get("resources", MISSING)
    result.resources = migration_resources() if item is MISSING else _common_checked_20(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_checked_35(item)
    item = value.get("command", MISSING)
    result.command = required() if item is MISSING else _checked_0(item)
    item = value.get("args", MISSING)
    result.args = list() if item is MISSING else _common_list_11(item)
    item = value.get("image", MISSING)
    result.image = None if item is MISSING else _common_optional_46(item)
    item = value.get("containerName", MISSING)
    result.container_name = "migrate" if item is MISSING else _checked_1(item)
    item = value.get("copyEnv", MISSING)
    result.copy_env = True if item is MISSING else boolean(item)
    item = value.get("copyVolumeMounts", MISSING)
    result.copy_volume_mounts = False if item is MISSING else boolean(item)
    result.model_fields_set = frozenset(map(MigrationSpec.ALIASES.__getitem__, value))
    return result


validate = validate_MigrationSpec
