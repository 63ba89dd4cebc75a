"""Validators of the Adapter config (krm_fn/patterns/models/adapter.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.validated import MISSING, Unsure, boolean, required
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_absolute_path,
    _common_by_position_tag,
    _common_container,
    _common_dict_of_string,
    _common_one_of_auto_or_true_or_false,
    _common_optional_string,
    _common_port_name,
    _common_port_number,
    _common_resources,
    fill_PatternSpec,
)


class AdapterSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.adapter, validated."""

    __slots__ = (
        "container",
        "interval",
        "monitor",
        "monitor_labels",
        "native",
        "path",
        "port",
        "port_name",
        "position",
        "prometheus_annotations",
        "resources",
        "services",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "native",
        "resources",
        "position",
        "container",
        "port",
        "port_name",
        "path",
        "services",
        "prometheus_annotations",
        "monitor",
        "monitor_labels",
        "interval",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "native": "native",
        "resources": "resources",
        "position": "position",
        "container": "container",
        "port": "port",
        "portName": "port_name",
        "path": "path",
        "services": "services",
        "prometheusAnnotations": "prometheus_annotations",
        "monitor": "monitor",
        "monitorLabels": "monitor_labels",
        "interval": "interval",
    }
    native: Literal["auto", True, False]
    resources: dict[str, dict[str, str | int | float]]
    position: Literal["first", "last"] | Anchor
    container: dict[str, Any]
    port: int
    port_name: str
    path: str
    services: bool
    prometheus_annotations: bool
    monitor: Literal["none", "ServiceMonitor", "PodMonitor"]
    monitor_labels: dict[str, str]
    interval: str | None


def _one_of_none_or_servicemonitor_or_podmonitor(value: Any) -> Any:
    if (type(value), value) in (
        (str, "none"),
        (str, "ServiceMonitor"),
        (str, "PodMonitor"),
    ):
        return value
    raise Unsure


def validate_AdapterSpec(value: Any) -> AdapterSpec:
    """A Spec of krm_fn.patterns.models.adapter."""
    if type(value) is not dict or not value.keys() <= AdapterSpec.ALIASES.keys():
        raise Unsure
    result: AdapterSpec = AdapterSpec.__new__(AdapterSpec)
    fill_PatternSpec(result, value)
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_one_of_auto_or_true_or_false(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _common_resources(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_by_position_tag(item)
    item = value.get("container", MISSING)
    result.container = required() if item is MISSING else _common_container(item)
    item = value.get("port", MISSING)
    result.port = required() if item is MISSING else _common_port_number(item)
    item = value.get("portName", MISSING)
    result.port_name = "metrics" if item is MISSING else _common_port_name(item)
    item = value.get("path", MISSING)
    result.path = "/metrics" if item is MISSING else _common_absolute_path(item)
    item = value.get("services", MISSING)
    result.services = True if item is MISSING else boolean(item)
    item = value.get("prometheusAnnotations", MISSING)
    result.prometheus_annotations = False if item is MISSING else boolean(item)
    item = value.get("monitor", MISSING)
    result.monitor = (
        "none" if item is MISSING else _one_of_none_or_servicemonitor_or_podmonitor(item)
    )
    item = value.get("monitorLabels", MISSING)
    result.monitor_labels = dict() if item is MISSING else _common_dict_of_string(item)
    item = value.get("interval", MISSING)
    result.interval = None if item is MISSING else _common_optional_string(item)
    result.model_fields_set = frozenset(map(AdapterSpec.ALIASES.__getitem__, value))
    return result


validate = validate_AdapterSpec
