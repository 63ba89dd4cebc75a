"""Validators of the LogTailer config (krm_fn/patterns/models/log_tailer.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.log_tailer import check_relative_file
from krm_fn.patterns.validated import MISSING, Unsure, boolean, checked, matching, required, string
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_absolute_path,
    _common_by_position_tag,
    _common_container_override,
    _common_image_ref,
    _common_list_of_env_var,
    _common_list_of_volume,
    _common_list_of_volume_mount,
    _common_one_of_auto_or_true_or_false,
    _common_optional_string,
    _common_resources,
    fill_PatternSpec,
)

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class LogTailerSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.log_tailer, validated."""

    __slots__ = (
        "app_env",
        "container",
        "container_name",
        "files",
        "image",
        "log_dir",
        "mount_path",
        "native",
        "per_file",
        "position",
        "resources",
        "size_limit",
        "volume_mounts",
        "volume_name",
        "volumes",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
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
        **PatternSpec.ALIASES,
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


def _string_check_relative_file(value: Any) -> Any:
    value = string(value)
    value = checked(check_relative_file, value)
    return value


def _list_of_string_check_relative_file(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_string_check_relative_file(item) for item in value]


def _list_of_string_check_relative_file_min_1(value: Any) -> Any:
    value = _list_of_string_check_relative_file(value)
    if len(value) < 1:
        raise Unsure
    return value


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def validate_LogTailerSpec(value: Any) -> LogTailerSpec:
    """A Spec of krm_fn.patterns.models.log_tailer."""
    if type(value) is not dict or not value.keys() <= LogTailerSpec.ALIASES.keys():
        raise Unsure
    result: LogTailerSpec = LogTailerSpec.__new__(LogTailerSpec)
    fill_PatternSpec(result, value)
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_one_of_auto_or_true_or_false(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _common_resources(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_by_position_tag(item)
    item = value.get("logDir", MISSING)
    result.log_dir = required() if item is MISSING else _common_absolute_path(item)
    item = value.get("files", MISSING)
    result.files = (
        required() if item is MISSING else _list_of_string_check_relative_file_min_1(item)
    )
    item = value.get("perFile", MISSING)
    result.per_file = False if item is MISSING else boolean(item)
    item = value.get("containerName", MISSING)
    result.container_name = "logs" if item is MISSING else _dns_label(item)
    item = value.get("image", MISSING)
    result.image = "busybox:1.36.1" if item is MISSING else _common_image_ref(item)
    item = value.get("volumeName", MISSING)
    result.volume_name = "logs" if item is MISSING else _dns_label(item)
    item = value.get("mountPath", MISSING)
    result.mount_path = "/logs" if item is MISSING else _common_absolute_path(item)
    item = value.get("sizeLimit", MISSING)
    result.size_limit = None if item is MISSING else _common_optional_string(item)
    item = value.get("appEnv", MISSING)
    result.app_env = list() if item is MISSING else _common_list_of_env_var(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _common_list_of_volume(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _common_list_of_volume_mount(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_container_override(item)
    result.model_fields_set = frozenset(map(LogTailerSpec.ALIASES.__getitem__, value))
    return result


validate = validate_LogTailerSpec
