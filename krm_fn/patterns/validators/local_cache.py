"""Validators of the LocalCache config (krm_fn/patterns/models/local_cache.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.local_cache import check_quantity
from krm_fn.patterns.validated import MISSING, Unsure, checked, matching, string
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_by_position_tag,
    _common_container_override,
    _common_list_of_env_var,
    _common_one_of_auto_or_true_or_false,
    _common_optional_image_ref,
    _common_optional_port_number,
    _common_resources,
    fill_PatternSpec,
)

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class LocalCacheSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.local_cache, validated."""

    __slots__ = (
        "app_env",
        "container",
        "container_name",
        "cpu",
        "engine",
        "eviction_policy",
        "image",
        "memory",
        "native",
        "port",
        "position",
        "resources",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
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
        **PatternSpec.ALIASES,
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
    native: Literal["auto", True, False]
    resources: dict[str, dict[str, str | int | float]]
    position: Literal["first", "last"] | Anchor
    engine: Literal["redis", "memcached"]
    image: str | None
    port: int | None
    memory: str
    cpu: str
    eviction_policy: Literal[
        "noeviction",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ]
    app_env: list[dict[str, Any]]
    container_name: str | None
    container: dict[str, Any]


def _one_of_redis_or_memcached(value: Any) -> Any:
    if (type(value), value) in (
        (str, "redis"),
        (str, "memcached"),
    ):
        return value
    raise Unsure


def _string_check_quantity(value: Any) -> Any:
    value = string(value)
    value = checked(check_quantity, value)
    return value


def _literal(value: Any) -> Any:
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


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def _optional_dns_label(value: Any) -> Any:
    return None if value is None else _dns_label(value)


def validate_LocalCacheSpec(value: Any) -> LocalCacheSpec:
    """A Spec of krm_fn.patterns.models.local_cache."""
    if type(value) is not dict or not value.keys() <= LocalCacheSpec.ALIASES.keys():
        raise Unsure
    result: LocalCacheSpec = LocalCacheSpec.__new__(LocalCacheSpec)
    fill_PatternSpec(result, value)
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_one_of_auto_or_true_or_false(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _common_resources(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_by_position_tag(item)
    item = value.get("engine", MISSING)
    result.engine = "redis" if item is MISSING else _one_of_redis_or_memcached(item)
    item = value.get("image", MISSING)
    result.image = None if item is MISSING else _common_optional_image_ref(item)
    item = value.get("port", MISSING)
    result.port = None if item is MISSING else _common_optional_port_number(item)
    item = value.get("memory", MISSING)
    result.memory = "256Mi" if item is MISSING else _string_check_quantity(item)
    item = value.get("cpu", MISSING)
    result.cpu = "50m" if item is MISSING else _string_check_quantity(item)
    item = value.get("evictionPolicy", MISSING)
    result.eviction_policy = "allkeys-lru" if item is MISSING else _literal(item)
    item = value.get("appEnv", MISSING)
    result.app_env = list() if item is MISSING else _common_list_of_env_var(item)
    item = value.get("containerName", MISSING)
    result.container_name = None if item is MISSING else _optional_dns_label(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_container_override(item)
    result.model_fields_set = frozenset(map(LocalCacheSpec.ALIASES.__getitem__, value))
    return result


validate = validate_LocalCacheSpec
