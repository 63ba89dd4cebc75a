"""Validators of the Sysctl config (krm_fn/patterns/models/sysctl.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import init_resources
from krm_fn.patterns.sysctl import check_names
from krm_fn.patterns.validated import MISSING, Unsure, boolean, checked, matching, required, string
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_by_position_tag,
    _common_check_resources_check_requests_and_limits,
    _common_container_override,
    _common_dict_of_string,
    _common_image_ref,
    fill_PatternSpec,
)

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class SysctlSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.sysctl, validated."""

    __slots__ = (
        "allow_privileged",
        "container",
        "container_name",
        "image",
        "position",
        "resources",
        "sysctls",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "position",
        "resources",
        "container",
        "sysctls",
        "allow_privileged",
        "container_name",
        "image",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "position": "position",
        "resources": "resources",
        "container": "container",
        "sysctls": "sysctls",
        "allowPrivileged": "allow_privileged",
        "containerName": "container_name",
        "image": "image",
    }
    position: Literal["first", "last"] | Anchor
    resources: dict[str, dict[str, str | int | float]]
    container: dict[str, Any]
    sysctls: dict[str, str]
    allow_privileged: bool
    container_name: str
    image: str


def _dict_of_string_min_1_check_names(value: Any) -> Any:
    value = _common_dict_of_string(value)
    if len(value) < 1:
        raise Unsure
    value = checked(check_names, value)
    return value


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def validate_SysctlSpec(value: Any) -> SysctlSpec:
    """A Spec of krm_fn.patterns.models.sysctl."""
    if type(value) is not dict or not value.keys() <= SysctlSpec.ALIASES.keys():
        raise Unsure
    result: SysctlSpec = SysctlSpec.__new__(SysctlSpec)
    fill_PatternSpec(result, value)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_by_position_tag(item)
    item = value.get("resources", MISSING)
    result.resources = (
        init_resources()
        if item is MISSING
        else _common_check_resources_check_requests_and_limits(item)
    )
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_container_override(item)
    item = value.get("sysctls", MISSING)
    result.sysctls = required() if item is MISSING else _dict_of_string_min_1_check_names(item)
    item = value.get("allowPrivileged", MISSING)
    result.allow_privileged = False if item is MISSING else boolean(item)
    item = value.get("containerName", MISSING)
    result.container_name = "sysctl" if item is MISSING else _dns_label(item)
    item = value.get("image", MISSING)
    result.image = "busybox:1.36.1" if item is MISSING else _common_image_ref(item)
    result.model_fields_set = frozenset(map(SysctlSpec.ALIASES.__getitem__, value))
    return result


validate = validate_SysctlSpec
