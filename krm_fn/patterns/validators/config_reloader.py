"""Validators of the ConfigReloader config (krm_fn/patterns/models/config_reloader.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.config_reloader import check_one_method
from krm_fn.patterns.validated import (
    MISSING,
    Unsure,
    Validated,
    matching,
    model_checked,
    required,
    string,
)
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_by_position_tag,
    _common_container_override,
    _common_image_ref,
    _common_integer_at_least_1,
    _common_one_of_auto_or_true_or_false,
    _common_resources,
    fill_PatternSpec,
)

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
HTTP_URL = re.compile("^https?://")
PROCESS_NAME = re.compile("^[A-Za-z0-9._][A-Za-z0-9._-]{0,14}$")


class ConfigReloaderSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.config_reloader, validated."""

    __slots__ = (
        "container",
        "container_name",
        "http",
        "image",
        "native",
        "period_seconds",
        "position",
        "resources",
        "signal",
        "watch",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "native",
        "resources",
        "position",
        "watch",
        "http",
        "signal",
        "period_seconds",
        "image",
        "container_name",
        "container",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "native": "native",
        "resources": "resources",
        "position": "position",
        "watch": "watch",
        "http": "http",
        "signal": "signal",
        "periodSeconds": "period_seconds",
        "image": "image",
        "containerName": "container_name",
        "container": "container",
    }
    native: Literal["auto", True, False]
    resources: dict[str, dict[str, str | int | float]]
    position: Literal["first", "last"] | Anchor
    watch: list[str]
    http: ConfigReloaderHttpReload | None
    signal: ConfigReloaderSignalReload | None
    period_seconds: int
    image: str
    container_name: str
    container: dict[str, Any]


class ConfigReloaderHttpReload(Validated):
    """HttpReload of krm_fn.patterns.models.config_reloader, validated."""

    __slots__ = ("method", "url")
    FIELDS: tuple[str, ...] = ("url", "method")
    ALIASES = {"url": "url", "method": "method"}
    url: str
    method: Literal["POST", "GET"]


class ConfigReloaderSignalReload(Validated):
    """SignalReload of krm_fn.patterns.models.config_reloader, validated."""

    __slots__ = ("name", "process")
    FIELDS: tuple[str, ...] = ("name", "process")
    ALIASES = {"name": "name", "process": "process"}
    name: Literal["HUP", "USR1", "USR2", "TERM", "INT", "QUIT"]
    process: str


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def _list_of_dns_label(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_dns_label(item) for item in value]


def _list_of_dns_label_min_1(value: Any) -> Any:
    value = _list_of_dns_label(value)
    if len(value) < 1:
        raise Unsure
    return value


def _string_matching_http_url(value: Any) -> Any:
    value = string(value)
    value = matching(value, HTTP_URL)
    return value


def _one_of_post_or_get(value: Any) -> Any:
    if (type(value), value) in (
        (str, "POST"),
        (str, "GET"),
    ):
        return value
    raise Unsure


def validate_ConfigReloaderHttpReload(value: Any) -> ConfigReloaderHttpReload:
    """A HttpReload of krm_fn.patterns.models.config_reloader."""
    if type(value) is not dict or not value.keys() <= ConfigReloaderHttpReload.ALIASES.keys():
        raise Unsure
    result: ConfigReloaderHttpReload = ConfigReloaderHttpReload.__new__(ConfigReloaderHttpReload)
    item = value.get("url", MISSING)
    result.url = required() if item is MISSING else _string_matching_http_url(item)
    item = value.get("method", MISSING)
    result.method = "POST" if item is MISSING else _one_of_post_or_get(item)
    result.model_fields_set = frozenset(map(ConfigReloaderHttpReload.ALIASES.__getitem__, value))
    return result


def _optional_config_reloader_http_reload(value: Any) -> Any:
    return None if value is None else validate_ConfigReloaderHttpReload(value)


def _literal(value: Any) -> Any:
    if (type(value), value) in (
        (str, "HUP"),
        (str, "USR1"),
        (str, "USR2"),
        (str, "TERM"),
        (str, "INT"),
        (str, "QUIT"),
    ):
        return value
    raise Unsure


def _string_matching_process_name(value: Any) -> Any:
    value = string(value)
    value = matching(value, PROCESS_NAME)
    return value


def validate_ConfigReloaderSignalReload(value: Any) -> ConfigReloaderSignalReload:
    """A SignalReload of krm_fn.patterns.models.config_reloader."""
    if type(value) is not dict or not value.keys() <= ConfigReloaderSignalReload.ALIASES.keys():
        raise Unsure
    result: ConfigReloaderSignalReload = ConfigReloaderSignalReload.__new__(
        ConfigReloaderSignalReload
    )
    item = value.get("name", MISSING)
    result.name = "HUP" if item is MISSING else _literal(item)
    item = value.get("process", MISSING)
    result.process = required() if item is MISSING else _string_matching_process_name(item)
    result.model_fields_set = frozenset(map(ConfigReloaderSignalReload.ALIASES.__getitem__, value))
    return result


def _optional_config_reloader_signal_reload(value: Any) -> Any:
    return None if value is None else validate_ConfigReloaderSignalReload(value)


def validate_ConfigReloaderSpec(value: Any) -> ConfigReloaderSpec:
    """A Spec of krm_fn.patterns.models.config_reloader."""
    if type(value) is not dict or not value.keys() <= ConfigReloaderSpec.ALIASES.keys():
        raise Unsure
    result: ConfigReloaderSpec = ConfigReloaderSpec.__new__(ConfigReloaderSpec)
    fill_PatternSpec(result, value)
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_one_of_auto_or_true_or_false(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _common_resources(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_by_position_tag(item)
    item = value.get("watch", MISSING)
    result.watch = required() if item is MISSING else _list_of_dns_label_min_1(item)
    item = value.get("http", MISSING)
    result.http = None if item is MISSING else _optional_config_reloader_http_reload(item)
    item = value.get("signal", MISSING)
    result.signal = None if item is MISSING else _optional_config_reloader_signal_reload(item)
    item = value.get("periodSeconds", MISSING)
    result.period_seconds = 5 if item is MISSING else _common_integer_at_least_1(item)
    item = value.get("image", MISSING)
    result.image = "busybox:1.36.1" if item is MISSING else _common_image_ref(item)
    item = value.get("containerName", MISSING)
    result.container_name = "config-reloader" if item is MISSING else _dns_label(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_container_override(item)
    result.model_fields_set = frozenset(map(ConfigReloaderSpec.ALIASES.__getitem__, value))
    model_checked(check_one_method, result)
    return result


validate = validate_ConfigReloaderSpec
