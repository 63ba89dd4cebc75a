"""Validators of the WaitFor config (krm_fn/patterns/models/wait_for.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import init_resources
from krm_fn.patterns.validated import MISSING, Unsure, checked, matching, model_checked, string
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_by_position_tag,
    _common_check_resources_check_requests_and_limits,
    _common_container_override,
    _common_host,
    _common_http_url,
    _common_image_ref,
    _common_integer_at_least_1,
    _common_list_of_string,
    fill_PatternSpec,
)
from krm_fn.patterns.wait_for import check_host_port, check_something

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class WaitForSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.wait_for, validated."""

    __slots__ = (
        "container",
        "container_name",
        "dns",
        "http",
        "image",
        "interval_seconds",
        "position",
        "resources",
        "tcp",
        "timeout_seconds",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "position",
        "resources",
        "container",
        "tcp",
        "http",
        "dns",
        "timeout_seconds",
        "interval_seconds",
        "image",
        "container_name",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "position": "position",
        "resources": "resources",
        "container": "container",
        "tcp": "tcp",
        "http": "http",
        "dns": "dns",
        "timeoutSeconds": "timeout_seconds",
        "intervalSeconds": "interval_seconds",
        "image": "image",
        "containerName": "container_name",
    }
    position: Literal["first", "last"] | Anchor
    resources: dict[str, dict[str, str | int | float]]
    container: dict[str, Any]
    tcp: list[str]
    http: list[str]
    dns: list[str]
    timeout_seconds: int
    interval_seconds: int
    image: str
    container_name: str


def _list_of_string_check_host_port(value: Any) -> Any:
    value = _common_list_of_string(value)
    value = checked(check_host_port, value)
    return value


def _list_of_http_url(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_common_http_url(item) for item in value]


def _list_of_host(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_common_host(item) for item in value]


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def validate_WaitForSpec(value: Any) -> WaitForSpec:
    """A Spec of krm_fn.patterns.models.wait_for."""
    if type(value) is not dict or not value.keys() <= WaitForSpec.ALIASES.keys():
        raise Unsure
    result: WaitForSpec = WaitForSpec.__new__(WaitForSpec)
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
    item = value.get("tcp", MISSING)
    result.tcp = list() if item is MISSING else _list_of_string_check_host_port(item)
    item = value.get("http", MISSING)
    result.http = list() if item is MISSING else _list_of_http_url(item)
    item = value.get("dns", MISSING)
    result.dns = list() if item is MISSING else _list_of_host(item)
    item = value.get("timeoutSeconds", MISSING)
    result.timeout_seconds = 300 if item is MISSING else _common_integer_at_least_1(item)
    item = value.get("intervalSeconds", MISSING)
    result.interval_seconds = 2 if item is MISSING else _common_integer_at_least_1(item)
    item = value.get("image", MISSING)
    result.image = "busybox:1.36.1" if item is MISSING else _common_image_ref(item)
    item = value.get("containerName", MISSING)
    result.container_name = "wait-for" if item is MISSING else _dns_label(item)
    result.model_fields_set = frozenset(map(WaitForSpec.ALIASES.__getitem__, value))
    model_checked(check_something, result)
    return result


validate = validate_WaitForSpec
