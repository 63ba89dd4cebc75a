"""Validators of the InitContainer config (krm_fn/patterns/models/init_container.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.kube.containers import init_resources
from krm_fn.patterns.validated import MISSING, Unsure, required
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_by_position_tag,
    _common_list_of_container,
    _common_list_of_volume,
    _common_list_of_volume_mount,
    _common_resources,
    fill_PatternSpec,
)


class InitContainerSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.init_container, validated."""

    __slots__ = ("init_containers", "position", "resources", "volume_mounts", "volumes")
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "init_containers",
        "volumes",
        "volume_mounts",
        "position",
        "resources",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "initContainers": "init_containers",
        "volumes": "volumes",
        "volumeMounts": "volume_mounts",
        "position": "position",
        "resources": "resources",
    }
    init_containers: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    volume_mounts: list[dict[str, Any]]
    position: Literal["first", "last"] | Anchor
    resources: dict[str, dict[str, str | int | float]]


def _list_of_container_min_1(value: Any) -> Any:
    value = _common_list_of_container(value)
    if len(value) < 1:
        raise Unsure
    return value


def validate_InitContainerSpec(value: Any) -> InitContainerSpec:
    """A Spec of krm_fn.patterns.models.init_container."""
    if type(value) is not dict or not value.keys() <= InitContainerSpec.ALIASES.keys():
        raise Unsure
    result: InitContainerSpec = InitContainerSpec.__new__(InitContainerSpec)
    fill_PatternSpec(result, value)
    item = value.get("initContainers", MISSING)
    result.init_containers = required() if item is MISSING else _list_of_container_min_1(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _common_list_of_volume(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _common_list_of_volume_mount(item)
    item = value.get("position", MISSING)
    result.position = "last" if item is MISSING else _common_by_position_tag(item)
    item = value.get("resources", MISSING)
    result.resources = init_resources() if item is MISSING else _common_resources(item)
    result.model_fields_set = frozenset(map(InitContainerSpec.ALIASES.__getitem__, value))
    return result


validate = validate_InitContainerSpec
