"""Validators of the Ambassador config (krm_fn/patterns/models/ambassador.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.ambassador import check_one_direction
from krm_fn.patterns.checks import check_server_name
from krm_fn.patterns.validated import (
    MISSING,
    Unsure,
    Validated,
    checked,
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
    _common_host,
    _common_image_ref,
    _common_list_of_env_var,
    _common_list_of_string,
    _common_one_of_auto_or_true_or_false,
    _common_optional_list_of_string,
    _common_optional_port_number,
    _common_port_name,
    _common_port_number,
    _common_resources,
    fill_PatternSpec,
)

DNS_NAME = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class AmbassadorSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.ambassador, validated."""

    __slots__ = (
        "app_args",
        "app_env",
        "args",
        "command",
        "config_map_name",
        "container",
        "container_name",
        "image",
        "inbound",
        "native",
        "outbound",
        "position",
        "resources",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
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
        **PatternSpec.ALIASES,
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
    native: Literal["auto", True, False]
    resources: dict[str, dict[str, str | int | float]]
    position: Literal["first", "last"] | Anchor
    inbound: AmbassadorInbound | None
    outbound: AmbassadorOutbound | None
    container_name: str
    image: str
    command: list[str] | None
    args: list[str] | None
    config_map_name: str | None
    app_env: list[dict[str, Any]]
    app_args: list[str]
    container: dict[str, Any]


class AmbassadorInbound(Validated):
    """Inbound of krm_fn.patterns.models.ambassador, validated."""

    __slots__ = ("app_port", "health_port", "port", "port_name", "server_name", "tls")
    FIELDS: tuple[str, ...] = ("port", "app_port", "port_name", "server_name", "tls", "health_port")
    ALIASES = {
        "port": "port",
        "appPort": "app_port",
        "portName": "port_name",
        "serverName": "server_name",
        "tls": "tls",
        "healthPort": "health_port",
    }
    port: int
    app_port: int
    port_name: str
    server_name: str | None
    tls: AmbassadorTls
    health_port: int | None


class AmbassadorTls(Validated):
    """Tls of krm_fn.patterns.models.ambassador, validated."""

    __slots__ = ("client_ca_secret_name", "plain_http", "secret_name")
    FIELDS: tuple[str, ...] = ("secret_name", "client_ca_secret_name", "plain_http")
    ALIASES = {
        "secretName": "secret_name",
        "clientCASecretName": "client_ca_secret_name",
        "plainHttp": "plain_http",
    }
    secret_name: str
    client_ca_secret_name: str | None
    plain_http: Literal["reject", "redirect"]


class AmbassadorOutbound(Validated):
    """Outbound of krm_fn.patterns.models.ambassador, validated."""

    __slots__ = ("ca_secret_name", "client_cert_secret_name", "local_port", "remote")
    FIELDS: tuple[str, ...] = ("local_port", "remote", "ca_secret_name", "client_cert_secret_name")
    ALIASES = {
        "localPort": "local_port",
        "remote": "remote",
        "caSecretName": "ca_secret_name",
        "clientCertSecretName": "client_cert_secret_name",
    }
    local_port: int
    remote: AmbassadorRemote
    ca_secret_name: str | None
    client_cert_secret_name: str | None


class AmbassadorRemote(Validated):
    """Remote of krm_fn.patterns.models.ambassador, validated."""

    __slots__ = ("host", "port")
    FIELDS: tuple[str, ...] = ("host", "port")
    ALIASES = {"host": "host", "port": "port"}
    host: str
    port: int


def _server_name(value: Any) -> Any:
    value = string(value)
    value = checked(check_server_name, value)
    return value


def _optional_server_name(value: Any) -> Any:
    return None if value is None else _server_name(value)


def _dns_name(value: Any) -> Any:
    value = string(value)
    value = matching(value, DNS_NAME)
    return value


def _optional_dns_name(value: Any) -> Any:
    return None if value is None else _dns_name(value)


def _one_of_reject_or_redirect(value: Any) -> Any:
    if (type(value), value) in (
        (str, "reject"),
        (str, "redirect"),
    ):
        return value
    raise Unsure


def validate_AmbassadorTls(value: Any) -> AmbassadorTls:
    """A Tls of krm_fn.patterns.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorTls.ALIASES.keys():
        raise Unsure
    result: AmbassadorTls = AmbassadorTls.__new__(AmbassadorTls)
    item = value.get("secretName", MISSING)
    result.secret_name = required() if item is MISSING else _dns_name(item)
    item = value.get("clientCASecretName", MISSING)
    result.client_ca_secret_name = None if item is MISSING else _optional_dns_name(item)
    item = value.get("plainHttp", MISSING)
    result.plain_http = "reject" if item is MISSING else _one_of_reject_or_redirect(item)
    result.model_fields_set = frozenset(map(AmbassadorTls.ALIASES.__getitem__, value))
    return result


def validate_AmbassadorInbound(value: Any) -> AmbassadorInbound:
    """A Inbound of krm_fn.patterns.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorInbound.ALIASES.keys():
        raise Unsure
    result: AmbassadorInbound = AmbassadorInbound.__new__(AmbassadorInbound)
    item = value.get("port", MISSING)
    result.port = required() if item is MISSING else _common_port_number(item)
    item = value.get("appPort", MISSING)
    result.app_port = required() if item is MISSING else _common_port_number(item)
    item = value.get("portName", MISSING)
    result.port_name = "https" if item is MISSING else _common_port_name(item)
    item = value.get("serverName", MISSING)
    result.server_name = None if item is MISSING else _optional_server_name(item)
    item = value.get("tls", MISSING)
    result.tls = required() if item is MISSING else validate_AmbassadorTls(item)
    item = value.get("healthPort", MISSING)
    result.health_port = None if item is MISSING else _common_optional_port_number(item)
    result.model_fields_set = frozenset(map(AmbassadorInbound.ALIASES.__getitem__, value))
    return result


def _optional_ambassador_inbound(value: Any) -> Any:
    return None if value is None else validate_AmbassadorInbound(value)


def validate_AmbassadorRemote(value: Any) -> AmbassadorRemote:
    """A Remote of krm_fn.patterns.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorRemote.ALIASES.keys():
        raise Unsure
    result: AmbassadorRemote = AmbassadorRemote.__new__(AmbassadorRemote)
    item = value.get("host", MISSING)
    result.host = required() if item is MISSING else _common_host(item)
    item = value.get("port", MISSING)
    result.port = required() if item is MISSING else _common_port_number(item)
    result.model_fields_set = frozenset(map(AmbassadorRemote.ALIASES.__getitem__, value))
    return result


def validate_AmbassadorOutbound(value: Any) -> AmbassadorOutbound:
    """A Outbound of krm_fn.patterns.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorOutbound.ALIASES.keys():
        raise Unsure
    result: AmbassadorOutbound = AmbassadorOutbound.__new__(AmbassadorOutbound)
    item = value.get("localPort", MISSING)
    result.local_port = required() if item is MISSING else _common_port_number(item)
    item = value.get("remote", MISSING)
    result.remote = required() if item is MISSING else validate_AmbassadorRemote(item)
    item = value.get("caSecretName", MISSING)
    result.ca_secret_name = None if item is MISSING else _optional_dns_name(item)
    item = value.get("clientCertSecretName", MISSING)
    result.client_cert_secret_name = None if item is MISSING else _optional_dns_name(item)
    result.model_fields_set = frozenset(map(AmbassadorOutbound.ALIASES.__getitem__, value))
    return result


def _optional_ambassador_outbound(value: Any) -> Any:
    return None if value is None else validate_AmbassadorOutbound(value)


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def validate_AmbassadorSpec(value: Any) -> AmbassadorSpec:
    """A Spec of krm_fn.patterns.models.ambassador."""
    if type(value) is not dict or not value.keys() <= AmbassadorSpec.ALIASES.keys():
        raise Unsure
    result: AmbassadorSpec = AmbassadorSpec.__new__(AmbassadorSpec)
    fill_PatternSpec(result, value)
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_one_of_auto_or_true_or_false(item)
    item = value.get("resources", MISSING)
    result.resources = sidecar_resources() if item is MISSING else _common_resources(item)
    item = value.get("position", MISSING)
    result.position = "first" if item is MISSING else _common_by_position_tag(item)
    item = value.get("inbound", MISSING)
    result.inbound = None if item is MISSING else _optional_ambassador_inbound(item)
    item = value.get("outbound", MISSING)
    result.outbound = None if item is MISSING else _optional_ambassador_outbound(item)
    item = value.get("containerName", MISSING)
    result.container_name = "nginx-proxy" if item is MISSING else _dns_label(item)
    item = value.get("image", MISSING)
    result.image = "nginx:1.27.3" if item is MISSING else _common_image_ref(item)
    item = value.get("command", MISSING)
    result.command = None if item is MISSING else _common_optional_list_of_string(item)
    item = value.get("args", MISSING)
    result.args = None if item is MISSING else _common_optional_list_of_string(item)
    item = value.get("configMapName", MISSING)
    result.config_map_name = None if item is MISSING else _optional_dns_name(item)
    item = value.get("appEnv", MISSING)
    result.app_env = list() if item is MISSING else _common_list_of_env_var(item)
    item = value.get("appArgs", MISSING)
    result.app_args = list() if item is MISSING else _common_list_of_string(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_container_override(item)
    result.model_fields_set = frozenset(map(AmbassadorSpec.ALIASES.__getitem__, value))
    model_checked(check_one_direction, result)
    return result


validate = validate_AmbassadorSpec
