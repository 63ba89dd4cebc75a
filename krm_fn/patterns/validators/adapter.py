"""Validators of the Adapter config (krm_fn/patterns/models/adapter.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.checks import PatternSpecMethods, default_kubernetes_version
from krm_fn.patterns.validated import MISSING, Unsure, Validated, boolean, required
from krm_fn.patterns.validators import (
    Anchor,
    PodTemplatePath,
    Target,
    _common_checked_12,
    _common_checked_20,
    _common_checked_24,
    _common_checked_33,
    _common_checked_36,
    _common_checked_37,
    _common_dict_30,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
    _common_literal_16,
    _common_optional_6,
    _common_tagged_22,
)


class AdapterSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.patterns.models.adapter, validated."""

    __slots__ = (
        "app_containers",
        "container",
        "fail_on_empty_match",
        "fail_on_warnings",
        "interval",
        "kubernetes_version",
        "monitor",
        "monitor_labels",
        "native",
        "on_error",
        "path",
        "pod_opt_out",
        "pod_template_paths",
        "port",
        "port_name",
        "position",
        "prometheus_annotations",
        "resources",
        "services",
        "targets",
    )
    FIELDS = (
        "targets",
        "app_containers",
        "kubernetes_version",
        "pod_template_paths",
        "pod_opt_out",
        "fail_on_empty_match",
        "fail_on_warnings",
        "on_error",
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
        "targets": "targets",
        "appContainers": "app_containers",
        "kubernetesVersion": "kubernetes_version",
        "podTemplatePaths": "pod_template_paths",
        "podOptOut": "pod_opt_out",
        "failOnEmptyMatch": "fail_on_empty_match",
        "failOnWarnings": "fail_on_warnings",
        "onError": "on_error",
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
    targets: list[Target]
    app_containers: list[str]
    kubernetes_version: str
    pod_template_paths: list[PodTemplatePath]
    pod_opt_out: bool
    fail_on_empty_match: bool
    fail_on_warnings: bool
    on_error: Literal["deny", "admit"]
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


def _literal_0(value: Any) -> Any:
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
    item = value.get("targets", MISSING)
    result.targets = list() if item is MISSING else _common_list_10(item)
    item = value.get("appContainers", MISSING)
    result.app_containers = list() if item is MISSING else _common_list_11(item)
    item = value.get("kubernetesVersion", MISSING)
    result.kubernetes_version = (
        _common_checked_12(default_kubernetes_version())
        if item is MISSING
        else _common_checked_12(item)
    )
    item = value.get("podTemplatePaths", MISSING)
    result.pod_template_paths = list() if item is MISSING else _common_list_13(item)
    item = value.get("podOptOut", MISSING)
    result.pod_opt_out = True if item is MISSING else boolean(item)
    item = value.get("failOnEmptyMatch", MISSING)
    result.fail_on_empty_match = False if item is MISSING else boolean(item)
    item = value.get("failOnWarnings", MISSING)
    result.fail_on_warnings = False if item is MISSING else boolean(item)
    item = value.get("onError", MISSING)
    result.on_error = "deny" if item is MISSING else _common_literal_14(item)
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_literal_16(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _common_checked_20(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_tagged_22(item)
    item = value.get("container", MISSING)
    result.container = required() if item is MISSING else _common_checked_24(item)
    item = value.get("port", MISSING)
    result.port = required() if item is MISSING else _common_checked_36(item)
    item = value.get("portName", MISSING)
    result.port_name = "metrics" if item is MISSING else _common_checked_37(item)
    item = value.get("path", MISSING)
    result.path = "/metrics" if item is MISSING else _common_checked_33(item)
    item = value.get("services", MISSING)
    result.services = True if item is MISSING else boolean(item)
    item = value.get("prometheusAnnotations", MISSING)
    result.prometheus_annotations = False if item is MISSING else boolean(item)
    item = value.get("monitor", MISSING)
    result.monitor = "none" if item is MISSING else _literal_0(item)
    item = value.get("monitorLabels", MISSING)
    result.monitor_labels = dict() if item is MISSING else _common_dict_30(item)
    item = value.get("interval", MISSING)
    result.interval = None if item is MISSING else _common_optional_6(item)
    result.model_fields_set = frozenset(map(AdapterSpec.ALIASES.__getitem__, value))
    return result


validate = validate_AdapterSpec
