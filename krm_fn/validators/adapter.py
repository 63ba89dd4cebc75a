"""Validators of the Adapter config (krm_fn/models/adapter.py).

Generated from the config models by `make validators` (krm_fn/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from typing import Any

from krm_fn.checks import (
    PatternSpecMethods,
    check_absolute_path,
    check_container,
    check_port_name,
    check_resources,
    default_kubernetes_version,
    position_tag,
)
from krm_fn.containers import sidecar_resources
from krm_fn.validated import (
    MISSING,
    Unsure,
    Validated,
    anything,
    boolean,
    checked,
    integer,
    required,
    string,
)
from krm_fn.validators import (
    _common_checked_12,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
    _common_optional_6,
    validate_Anchor,
)


class AdapterSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.adapter, validated."""

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
    targets: Any
    app_containers: Any
    kubernetes_version: Any
    pod_template_paths: Any
    pod_opt_out: Any
    fail_on_empty_match: Any
    fail_on_warnings: Any
    on_error: Any
    native: Any
    resources: Any
    position: Any
    container: Any
    port: Any
    port_name: Any
    path: Any
    services: Any
    prometheus_annotations: Any
    monitor: Any
    monitor_labels: Any
    interval: Any


def _literal_0(value: Any) -> Any:
    if (type(value), value) in (
        (str, "auto"),
        (bool, True),
        (bool, False),
    ):
        return value
    raise Unsure


def _union_1(value: Any) -> Any:
    if type(value) in (
        str,
        int,
        float,
    ):
        return value
    raise Unsure


def _dict_2(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _union_1(item) for key, item in value.items()}


def _dict_3(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _dict_2(item) for key, item in value.items()}


def _checked_4(value: Any) -> Any:
    value = _dict_3(value)
    value = checked(check_resources, value)
    return value


def _literal_5(value: Any) -> Any:
    if (type(value), value) in (
        (str, "first"),
        (str, "last"),
    ):
        return value
    raise Unsure


def _tagged_6(value: Any) -> Any:
    tag = position_tag(value)
    if tag == "first|last":
        return _literal_5(value)
    if tag == "before|after":
        return validate_Anchor(value)
    raise Unsure


def _dict_7(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_8(value: Any) -> Any:
    value = _dict_7(value)
    value = checked(check_container, value)
    return value


def _checked_9(value: Any) -> Any:
    value = integer(value)
    if not value >= 1:
        raise Unsure
    if not value <= 65535:
        raise Unsure
    return value


def _checked_10(value: Any) -> Any:
    value = string(value)
    value = checked(check_port_name, value)
    return value


def _checked_11(value: Any) -> Any:
    value = string(value)
    value = checked(check_absolute_path, value)
    return value


def _literal_12(value: Any) -> Any:
    if (type(value), value) in (
        (str, "none"),
        (str, "ServiceMonitor"),
        (str, "PodMonitor"),
    ):
        return value
    raise Unsure


def _dict_13(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): string(item) for key, item in value.items()}


def validate_AdapterSpec(value: Any) -> AdapterSpec:
    """A Spec of krm_fn.models.adapter."""
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
    result.native = "auto" if item is MISSING else _literal_0(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _checked_4(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _tagged_6(item)
    item = value.get("container", MISSING)
    result.container = required() if item is MISSING else _checked_8(item)
    item = value.get("port", MISSING)
    result.port = required() if item is MISSING else _checked_9(item)
    item = value.get("portName", MISSING)
    result.port_name = "metrics" if item is MISSING else _checked_10(item)
    item = value.get("path", MISSING)
    result.path = "/metrics" if item is MISSING else _checked_11(item)
    item = value.get("services", MISSING)
    result.services = True if item is MISSING else boolean(item)
    item = value.get("prometheusAnnotations", MISSING)
    result.prometheus_annotations = False if item is MISSING else boolean(item)
    item = value.get("monitor", MISSING)
    result.monitor = "none" if item is MISSING else _literal_12(item)
    item = value.get("monitorLabels", MISSING)
    result.monitor_labels = dict() if item is MISSING else _dict_13(item)
    item = value.get("interval", MISSING)
    result.interval = None if item is MISSING else _common_optional_6(item)
    result.model_fields_set = frozenset(map(AdapterSpec.ALIASES.__getitem__, value))
    return result


validate = validate_AdapterSpec
