"""Validators of the Migration config (krm_fn/patterns/models/migration.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.patterns.migration import migration_resources
from krm_fn.patterns.validated import MISSING, Unsure, boolean, matching, required, string
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_by_position_tag,
    _common_container_override,
    _common_list_of_string,
    _common_optional_image_ref,
    _common_resources,
    fill_PatternSpec,
)

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class MigrationSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.migration, validated."""

    __slots__ = (
        "args",
        "command",
        "container",
        "container_name",
        "copy_env",
        "copy_volume_mounts",
        "image",
        "position",
        "resources",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
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
        **PatternSpec.ALIASES,
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
    position: Literal["first", "last"] | Anchor
    resources: dict[str, dict[str, str | int | float]]
    container: dict[str, Any]
    command: list[str]
    args: list[str]
    image: str | None
    container_name: str
    copy_env: bool
    copy_volume_mounts: bool


def _list_of_string_min_1(value: Any) -> Any:
    value = _common_list_of_string(value)
    if len(value) < 1:
        raise Unsure
    return value


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def validate_MigrationSpec(value: Any) -> MigrationSpec:
    """A Spec of krm_fn.patterns.models.migration."""
    if type(value) is not dict or not value.keys() <= MigrationSpec.ALIASES.keys():
        raise Unsure
    result: MigrationSpec = MigrationSpec.__new__(MigrationSpec)
    fill_PatternSpec(result, value)
    item = value.get("position", MISSING)
    result.position = "last" if item is MISSING else _common_by_position_tag(item)
    item = value.get("resources", MISSING)
    result.resources = migration_resources() if item is MISSING else _common_resources(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_container_override(item)
    item = value.get("command", MISSING)
    result.command = required() if item is MISSING else _list_of_string_min_1(item)
    item = value.get("args", MISSING)
    result.args = list() if item is MISSING else _common_list_of_string(item)
    item = value.get("image", MISSING)
    result.image = None if item is MISSING else _common_optional_image_ref(item)
    item = value.get("containerName", MISSING)
    result.container_name = "migrate" if item is MISSING else _dns_label(item)
    item = value.get("copyEnv", MISSING)
    result.copy_env = True if item is MISSING else boolean(item)
    item = value.get("copyVolumeMounts", MISSING)
    result.copy_volume_mounts = False if item is MISSING else boolean(item)
    result.model_fields_set = frozenset(map(MigrationSpec.ALIASES.__getitem__, value))
    return result


validate = validate_MigrationSpec
