"""Validators of the Sidecar config (krm_fn/patterns/models/sidecar.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.sidecar import check_no_restart_policy
from krm_fn.patterns.validated import MISSING, Unsure, checked, required
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_by_position_tag,
    _common_list_of_container,
    _common_list_of_volume,
    _common_list_of_volume_mount,
    _common_one_of_auto_or_true_or_false,
    _common_resources,
    fill_PatternSpec,
)


class SidecarSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.sidecar, validated."""

    __slots__ = ("containers", "native", "position", "resources", "volume_mounts", "volumes")
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "native",
        "resources",
        "position",
        "containers",
        "volumes",
        "volume_mounts",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "native": "native",
        "resources": "resources",
        "position": "position",
        "containers": "containers",
        "volumes": "volumes",
        "volumeMounts": "volume_mounts",
    }
    native: Literal["auto", True, False]
    resources: dict[str, dict[str, str | int | float]]
    position: Literal["first", "last"] | Anchor
    containers: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    volume_mounts: list[dict[str, Any]]


def _list_of_container_min_1_check_no_restart_policy(value: Any) -> Any:
    value = _common_list_of_container(value)
    if len(value) < 1:
        raise Unsure
    value = checked(check_no_restart_policy, value)
    return value


def validate_SidecarSpec(value: Any) -> SidecarSpec:
    """A Spec of krm_fn.patterns.models.sidecar."""
    if type(value) is not dict or not value.keys() <= SidecarSpec.ALIASES.keys():
        raise Unsure
    result: SidecarSpec = SidecarSpec.__new__(SidecarSpec)
    fill_PatternSpec(result, value)
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_one_of_auto_or_true_or_false(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _common_resources(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_by_position_tag(item)
    item = value.get("containers", MISSING)
    result.containers = (
        required() if item is MISSING else _list_of_container_min_1_check_no_restart_policy(item)
    )
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _common_list_of_volume(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _common_list_of_volume_mount(item)
    result.model_fields_set = frozenset(map(SidecarSpec.ALIASES.__getitem__, value))
    return result


validate = validate_SidecarSpec
