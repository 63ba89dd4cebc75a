"""Validators of the Ambassador config (krm_fn/models/ambassador.py).

Generated from the config models by `make validators` (krm_fn/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

import re
from typing import Any

from krm_fn.checks import (
    PatternSpecMethods,
    check_container_override,
    check_env,
    check_host,
    check_image,
    check_port_name,
    check_resources,
    check_server_name,
    default_kubernetes_version,
    position_tag,
)
from krm_fn.containers import sidecar_resources
from krm_fn.patterns.ambassador import check_one_direction
from krm_fn.validated import (
    MISSING,
    Unsure,
    Validated,
    anything,
    boolean,
    checked,
    integer,
    matching,
    model_checked,
    required,
    string,
)
from krm_fn.validators import (
    _common_checked_12,
    _common_list_10,
    _common_list_11,
    _common_list_13,
    _common_literal_14,
    validate_Anchor,
)

PATTERN_0 = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PATTERN_1 = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class AmbassadorSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.ambassador, validated."""

    __slots__ = (
        "app_args",
        "app_containers",
        "app_env",
        "args",
        "command",
        "config_map_name",
        "container",
        "container_name",
        "fail_on_empty_match",
        "fail_on_warnings",
        "image",
        "inbound",
        "kubernetes_version",
        "native",
        "on_error",
        "outbound",
        "pod_opt_out",
        "pod_template_paths",
        "position",
        "resources",
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
        "inbound",
        "outbound",
        "container_name",
        "image",
        "command",
        "args",
        "config_map_name",
        "app_env",
        "app_args",
        "container",
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
        "inbound": "inbound",
        "outbound": "outbound",
        "containerName": "container_name",
        "image": "image",
        "command": "command",
        "args": "args",
        "configMapName": "config_map_name",
        "appEnv": "app_env",
        "appArgs": "app_args",
        "container": "container",
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
    inbound: Any
    outbound: Any
    container_name: Any
    image: Any
    command: Any
    args: Any
    config_map_name: Any
    app_env: Any
    app_args: Any
    container: Any


class AmbassadorInbound(Validated):
    """Inbound of krm_fn.models.ambassador, validated."""

    __slots__ = ("app_port", "health_port", "port", "port_name", "server_name", "tls")
    FIELDS = ("port", "app_port", "port_name", "server_name", "tls", "health_port")
    ALIASES = {
        "port": "port",
        "appPort": "app_port",
        "portName": "port_name",
        "serverName": "server_name",
        "tls": "tls",
        "healthPort": "health_port",
    }
    port: Any
    app_port: Any
    port_name: Any
    server_name: Any
    tls: Any
    health_port: Any


class AmbassadorTls(Validated):
    """Tls of krm_fn.models.ambassador, validated."""

    __slots__ = ("client_ca_secret_name", "plain_http", "secret_name")
    FIELDS = ("secret_name", "client_ca_secret_name", "plain_http")
    ALIASES = {
        "secretName": "secret_name",
        "clientCASecretName": "client_ca_secret_name",
        "plainHttp": "plain_http",
    }
    secret_name: Any
    client_ca_secret_name: Any
    plain_http: Any


class AmbassadorOutbound(Validated):
    """Outbound of krm_fn.models.ambassador, validated."""

    __slots__ = ("ca_secret_name", "client_cert_secret_name", "local_port", "remote")
    FIELDS = ("local_port", "remote", "ca_secret_name", "client_cert_secret_name")
    ALIASES = {
        "localPort": "local_port",
        "remote": "remote",
        "caSecretName": "ca_secret_name",
        "clientCertSecretName": "client_cert_secret_name",
    }
    local_port: Any
    remote: Any
    ca_secret_name: Any
    client_cert_secret_name: Any


class AmbassadorRemote(Validated):
    """Remote of krm_fn.models.ambassador, validated."""

    __slots__ = ("host", "port")
    FIELDS = ("host", "port")
    ALIASES = {"host": "host", "port": "port"}
    host: Any
    port: Any


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


def _checked_7(value: Any) -> Any:
    value = integer(value)
    if not value >= 1:
        raise Unsure
    if not value <= 65535:
        raise Unsure
    return value


def _checked_8(value: Any) -> Any:
    value = string(value)
    value = checked(check_port_name, value)
    return value


def _checked_9(value: Any) -> Any:
    value = string(value)
    value = checked(check_server_name, value)
    return value


def _optional_10(value: Any) -> Any:
    return None if value is None else _checked_9(value)


def _checked_11(value: Any) -> Any:
    value = string(value)
    value = matching(value, PATTERN_0)
    return value


def _optional_12(value: Any) -> Any:
    return None if value is None else _checked_11(value)


def _literal_13(value: Any) -> Any:
    if (type(value), value) in (
        (str, "reject"),
        (str, "redirect"),
    ):
        return value
    raise Unsure


def validate_AmbassadorTls(value: Any) -> AmbassadorTls:
    """A Tls of krm_fn.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorTls.ALIASES.keys():
        raise Unsure
    result: AmbassadorTls = AmbassadorTls.__new__(AmbassadorTls)
    item = value.get("secretName", MISSING)
    result.secret_name = required() if item is MISSING else _checked_11(item)
    item = value.get("clientCASecretName", MISSING)
    result.client_ca_secret_name = None if item is MISSING else _optional_12(item)
    item = value.get("plainHttp", MISSING)
    result.plain_http = "reject" if item is MISSING else _literal_13(item)
    result.model_fields_set = frozenset(map(AmbassadorTls.ALIASES.__getitem__, value))
    return result


def _optional_15(value: Any) -> Any:
    return None if value is None else _checked_7(value)


def validate_AmbassadorInbound(value: Any) -> AmbassadorInbound:
    """A Inbound of krm_fn.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorInbound.ALIASES.keys():
        raise Unsure
    result: AmbassadorInbound = AmbassadorInbound.__new__(AmbassadorInbound)
    item = value.get("port", MISSING)
    result.port = required() if item is MISSING else _checked_7(item)
    item = value.get("appPort", MISSING)
    result.app_port = required() if item is MISSING else _checked_7(item)
    item = value.get("portName", MISSING)
    result.port_name = "https" if item is MISSING else _checked_8(item)
    item = value.get("serverName", MISSING)
    result.server_name = None if item is MISSING else _optional_10(item)
    item = value.get("tls", MISSING)
    result.tls = required() if item is MISSING else validate_AmbassadorTls(item)
    item = value.get("healthPort", MISSING)
    result.health_port = None if item is MISSING else _optional_15(item)
    result.model_fields_set = frozenset(map(AmbassadorInbound.ALIASES.__getitem__, value))
    return result


def _optional_17(value: Any) -> Any:
    return None if value is None else validate_AmbassadorInbound(value)


def _checked_18(value: Any) -> Any:
    value = string(value)
    value = checked(check_host, value)
    return value


def validate_AmbassadorRemote(value: Any) -> AmbassadorRemote:
    """A Remote of krm_fn.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorRemote.ALIASES.keys():
        raise Unsure
    result: AmbassadorRemote = AmbassadorRemote.__new__(AmbassadorRemote)
    item = value.get("host", MISSING)
    result.host = required() if item is MISSING else _checked_18(item)
    item = value.get("port", MISSING)
    result.port = required() if item is MISSING else _checked_7(item)
    result.model_fields_set = frozenset(map(AmbassadorRemote.ALIASES.__getitem__, value))
    return result


def validate_AmbassadorOutbound(value: Any) -> AmbassadorOutbound:
    """A Outbound of krm_fn.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorOutbound.ALIASES.keys():
        raise Unsure
    result: AmbassadorOutbound = AmbassadorOutbound.__new__(AmbassadorOutbound)
    item = value.get("localPort", MISSING)
    result.local_port = required() if item is MISSING else _checked_7(item)
    item = value.get("remote", MISSING)
    result.remote = required() if item is MISSING else validate_AmbassadorRemote(item)
    item = value.get("caSecretName", MISSING)
    result.ca_secret_name = None if item is MISSING else _optional_12(item)
    item = value.get("clientCertSecretName", MISSING)
    result.client_cert_secret_name = None if item is MISSING else _optional_12(item)
    result.model_fields_set = frozenset(map(AmbassadorOutbound.ALIASES.__getitem__, value))
    return result


def _optional_21(value: Any) -> Any:
    return None if value is None else validate_AmbassadorOutbound(value)


def _checked_22(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, PATTERN_1)
    return value


def _checked_23(value: Any) -> Any:
    value = string(value)
    value = checked(check_image, value)
    return value


def _optional_24(value: Any) -> Any:
    return None if value is None else _common_list_11(value)


def _dict_25(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_26(value: Any) -> Any:
    value = _dict_25(value)
    value = checked(check_env, value)
    return value


def _list_27(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_checked_26(item) for item in value]


def _checked_28(value: Any) -> Any:
    value = _dict_25(value)
    value = checked(check_container_override, value)
    return value


def validate_AmbassadorSpec(value: Any) -> AmbassadorSpec:
    """A Spec of krm_fn.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorSpec.ALIASES.keys():
        raise Unsure
    result: AmbassadorSpec = AmbassadorSpec.__new__(AmbassadorSpec)
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
    item = value.get("inbound", MISSING)
    result.inbound = None if item is MISSING else _optional_17(item)
    item = value.get("outbound", MISSING)
    result.outbound = None if item is MISSING else _optional_21(item)
    item = value.get("containerName", MISSING)
    result.container_name = "nginx-proxy" if item is MISSING else _checked_22(item)
    item = value.get("image", MISSING)
    result.image = "nginx:1.27.3" if item is MISSING else _checked_23(item)
    item = value.get("command", MISSING)
    result.command = None if item is MISSING else _optional_24(item)
    item = value.get("args", MISSING)
    result.args = None if item is MISSING else _optional_24(item)
    item = value.get("configMapName", MISSING)
    result.config_map_name = None if item is MISSING else _optional_12(item)
    item = value.get("appEnv", MISSING)
    result.app_env = list() if item is MISSING else _list_27(item)
    item = value.get("appArgs", MISSING)
    result.app_args = list() if item is MISSING else _common_list_11(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _checked_28(item)
    result.model_fields_set = frozenset(map(AmbassadorSpec.ALIASES.__getitem__, value))
    model_checked(check_one_direction, result)
    return result


validate = validate_AmbassadorSpec
