"""Validators of the PodDefaults config (krm_fn/patterns/models/pod_defaults.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any

from krm_fn.patterns.checks import check_env_from
from krm_fn.patterns.pod_defaults import check_keys, check_label_values
from krm_fn.patterns.validated import MISSING, Unsure, checked
from krm_fn.patterns.validators import (
    PatternSpec,
    _common_dict_of_anything,
    _common_dict_of_string,
    _common_list_of_env_var,
    _common_list_of_volume,
    _common_list_of_volume_mount,
    fill_PatternSpec,
)


class PodDefaultsSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.pod_defaults, validated."""

    __slots__ = ("annotations", "env", "env_from", "labels", "volume_mounts", "volumes")
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "labels",
        "annotations",
        "env",
        "env_from",
        "volumes",
        "volume_mounts",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "labels": "labels",
        "annotations": "annotations",
        "env": "env",
        "envFrom": "env_from",
        "volumes": "volumes",
        "volumeMounts": "volume_mounts",
    }
    labels: dict[str, str]
    annotations: dict[str, str]
    env: list[dict[str, Any]]
    env_from: list[dict[str, Any]]
    volumes: list[dict[str, Any]]
    volume_mounts: list[dict[str, Any]]


def _dict_of_string_check_keys_check_label_values(value: Any) -> Any:
    value = _common_dict_of_string(value)
    value = checked(check_keys, value)
    value = checked(check_label_values, value)
    return value


def _dict_of_string_check_keys(value: Any) -> Any:
    value = _common_dict_of_string(value)
    value = checked(check_keys, value)
    return value


def _env_from_source(value: Any) -> Any:
    value = _common_dict_of_anything(value)
    value = checked(check_env_from, value)
    return value


def _list_of_env_from_source(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_env_from_source(item) for item in value]


def validate_PodDefaultsSpec(value: Any) -> PodDefaultsSpec:
    """A Spec of krm_fn.patterns.models.pod_defaults."""
    if type(value) is not dict or not value.keys() <= PodDefaultsSpec.ALIASES.keys():
        raise Unsure
    result: PodDefaultsSpec = PodDefaultsSpec.__new__(PodDefaultsSpec)
    fill_PatternSpec(result, value)
    item = value.get("labels", MISSING)
    result.labels = (
        dict() if item is MISSING else _dict_of_string_check_keys_check_label_values(item)
    )
    item = value.get("annotations", MISSING)
    result.annotations = dict() if item is MISSING else _dict_of_string_check_keys(item)
    item = value.get("env", MISSING)
    result.env = list() if item is MISSING else _common_list_of_env_var(item)
    item = value.get("envFrom", MISSING)
    result.env_from = list() if item is MISSING else _list_of_env_from_source(item)
    item = value.get("volumes", MISSING)
    result.volumes = list() if item is MISSING else _common_list_of_volume(item)
    item = value.get("volumeMounts", MISSING)
    result.volume_mounts = list() if item is MISSING else _common_list_of_volume_mount(item)
    result.model_fields_set = frozenset(map(PodDefaultsSpec.ALIASES.__getitem__, value))
    return result


validate = validate_PodDefaultsSpec
