"""Validators of the LogTailer config (krm_fn/patterns/models/log_tailer.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.checks import PatternSpecMethods, default_kubernetes_version
from krm_fn.patterns.log_tailer import check_relative_file
from krm_fn.patterns.validated import (
    MISSING,
    Unsure,
    Validated,
    boolean,
    checked,
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
    _common_checked_33,
    _common_checked_34,
    _common_checked_35,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_list_27,
    _common_list_29,
    _common_list_32,
    _common_literal_14,
    _common_literal_16,
    _common_optional_6,
    _common_tagged_22,
)

PATTERN_0 = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class LogTailerSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.patterns.models.log_tailer, validated."""

    __slots__ = (
        "app_containers",
        "app_env",
        "container",
        "container_name",
        "fail_on_empty_match",
        "fail_on_warnings",
        "files",
        "image",
        "kubernetes_version",
        "log_dir",
        "mount_path",
        "native",
        "on_error",
        "per_file",
        "pod_opt_out",
        "pod_template_paths",
        "position",
        "resources",
        "size_limit",
        "targets",
        "volume_mounts",
        "volume_name",
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
        "log_dir",
        "files",
        "per_file",
        "container_name",
        "image",
        "volume_name",
        "mount_path",
        "size_limit",
        "app_env",
        "volumes",
        "volume_mounts",
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
        "logDir": "log_dir",
        "files": "files",
        "perFile": "per_file",
        "containerName": "container_name",
        "image": "image",
        "volumeName": "volume_name",
        "mountPath": "mount_path",
        "sizeLimit": "size_limit",
        "appEnv": "app_env",
        "volumes": "volumes",
        "volumeMounts": "volume_mounts",
        "container": "container",
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
    log_dir: str
    files: list[str]
    per_file: bool
    container_name: str
    image: str
    volume_name: str
    mount_path: str
    size_limit: str | None
    app_env: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    volume_mounts: list[dict[str, Any]]
    container: dict[str, Any]


def _checked_0(value: Any) -> Any:
    value = string(value)
    value = checked(check_relative_file, value)
    return value


def _list_1(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_0(item) for item in value]


def _checked_2(value: Any) -> Any:
    value = _list_1(value)
    if len(value) < 1:
        raise Unsure
    return value


def _checked_3(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, PATTERN_0)
    return value


def validate_LogTailerSpec(value: Any) -> LogTailerSpec:
    """A Spec of krm_fn.patterns.models.log_tailer."""
    if type(value) is not dict or not value.keys() <= LogTailerSpec.ALIASES.keys():
        raise Unsure
    result: LogTailerSpec = LogTailerSpec.__new__(LogTailerSpec)
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
    item = value.get("logDir", MISSING)
    result.log_dir = required() if item is MISSING else _common_checked_33(item)
    item = value.get("files", MISSING)
    result.files = required() if item is MISSING else _checked_2(item)
    item = value.get("perFile", MISSING)
    result.per_file = False if item is MISSING else boolean(item)
    item = value.get("containerName", MISSING)
    result.container_name = "logs" if item is MISSING else _checked_3(item)
    item = value.get("image", MISSING)
    result.image = "busybox:1.36.1" if item is MISSING else _common_checked_34(item)
    item = value.get("volumeName", MISSING)
    result.volume_name = "logs" if item is MISSING else _checked_3(item)
    item = value.get("mountPath", MISSING)
    result.mount_path = "/logs" if item is MISSING else _common_checked_33(item)
    item = value.get("sizeLimit", MISSING)
    result.size_limit = None if item is MISSING else _common_optional_6(item)
    item = value.get("appEnv", MISSING)
    result.app_env = list() if item is MISSING else _common_list_32(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _common_list_27(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _common_list_29(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_checked_35(item)
    result.model_fields_set = frozenset(map(LogTailerSpec.ALIASES.__getitem__, value))
    return result


validate = validate_LogTailerSpec
