"""Validators of the VaultSecrets config (krm_fn/patterns/models/vault_secrets.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import init_resources
from krm_fn.patterns.checks import check_argument
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
    _common_absolute_path,
    _common_by_position_tag,
    _common_check_resources_check_requests_and_limits,
    _common_container_override,
    _common_file_name,
    _common_image_ref,
    _common_optional_http_url,
    _common_optional_list_of_string,
    _common_optional_string,
    fill_PatternSpec,
)
from krm_fn.patterns.vault_secrets import check_complete, check_distinct_files, check_one

VAULT_PATH = re.compile("^[A-Za-z0-9_][A-Za-z0-9_.@+=:/-]*$")
DNS_NAME = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class VaultSecretsSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.vault_secrets, validated."""

    __slots__ = (
        "address",
        "auth",
        "ca_secret_name",
        "command",
        "container",
        "container_name",
        "image",
        "mount_path",
        "namespace",
        "position",
        "resources",
        "secrets",
        "size_limit",
        "volume_name",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "position",
        "resources",
        "container",
        "address",
        "auth",
        "secrets",
        "namespace",
        "ca_secret_name",
        "command",
        "image",
        "container_name",
        "volume_name",
        "mount_path",
        "size_limit",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "position": "position",
        "resources": "resources",
        "container": "container",
        "address": "address",
        "auth": "auth",
        "secrets": "secrets",
        "namespace": "namespace",
        "caSecretName": "ca_secret_name",
        "command": "command",
        "image": "image",
        "containerName": "container_name",
        "volumeName": "volume_name",
        "mountPath": "mount_path",
        "sizeLimit": "size_limit",
    }
    position: Literal["first", "last"] | Anchor
    resources: dict[str, dict[str, str | int | float]]
    container: dict[str, Any]
    address: str | None
    auth: VaultSecretsAuth | None
    secrets: list[VaultSecretsSecretFile]
    namespace: str | None
    ca_secret_name: str | None
    command: list[str] | None
    image: str
    container_name: str
    volume_name: str
    mount_path: str
    size_limit: str | None


class VaultSecretsAuth(Validated):
    """Auth of krm_fn.patterns.models.vault_secrets, validated."""

    __slots__ = ("kubernetes", "token")
    FIELDS: tuple[str, ...] = ("kubernetes", "token")
    ALIASES = {"kubernetes": "kubernetes", "token": "token"}
    kubernetes: VaultSecretsKubernetesAuth | None
    token: VaultSecretsTokenAuth | None


class VaultSecretsKubernetesAuth(Validated):
    """KubernetesAuth of krm_fn.patterns.models.vault_secrets, validated."""

    __slots__ = ("mount", "role", "token_path")
    FIELDS: tuple[str, ...] = ("role", "mount", "token_path")
    ALIASES = {"role": "role", "mount": "mount", "tokenPath": "token_path"}
    role: str
    mount: str
    token_path: str


class VaultSecretsTokenAuth(Validated):
    """TokenAuth of krm_fn.patterns.models.vault_secrets, validated."""

    __slots__ = ("key", "secret_name")
    FIELDS: tuple[str, ...] = ("secret_name", "key")
    ALIASES = {"secretName": "secret_name", "key": "key"}
    secret_name: str
    key: str


class VaultSecretsSecretFile(Validated):
    """SecretFile of krm_fn.patterns.models.vault_secrets, validated."""

    __slots__ = ("field", "file", "path")
    FIELDS: tuple[str, ...] = ("path", "field", "file")
    ALIASES = {"path": "path", "field": "field", "file": "file"}
    path: str
    field: str | None
    file: str


def _string_min_1(value: Any) -> Any:
    value = string(value)
    if len(value) < 1:
        raise Unsure
    return value


def _string_matching_vault_path(value: Any) -> Any:
    value = string(value)
    value = matching(value, VAULT_PATH)
    return value


def validate_VaultSecretsKubernetesAuth(value: Any) -> VaultSecretsKubernetesAuth:
    """A KubernetesAuth of krm_fn.patterns.models.vault_secrets."""
    if type(value) is not dict or not value.keys() <= VaultSecretsKubernetesAuth.ALIASES.keys():
        raise Unsure
    result: VaultSecretsKubernetesAuth = VaultSecretsKubernetesAuth.__new__(
        VaultSecretsKubernetesAuth
    )
    item = value.get("role", MISSING)
    result.role = required() if item is MISSING else _string_min_1(item)
    item = value.get("mount", MISSING)
    result.mount = "kubernetes" if item is MISSING else _string_matching_vault_path(item)
    item = value.get("tokenPath", MISSING)
    result.token_path = (
        "/var/run/secrets/kubernetes.io/serviceaccount/token"
        if item is MISSING
        else _common_absolute_path(item)
    )
    result.model_fields_set = frozenset(map(VaultSecretsKubernetesAuth.ALIASES.__getitem__, value))
    return result


def _optional_vault_secrets_kubernetes_auth(value: Any) -> Any:
    return None if value is None else validate_VaultSecretsKubernetesAuth(value)


def _dns_name(value: Any) -> Any:
    value = string(value)
    value = matching(value, DNS_NAME)
    return value


def validate_VaultSecretsTokenAuth(value: Any) -> VaultSecretsTokenAuth:
    """A TokenAuth of krm_fn.patterns.models.vault_secrets."""
    if type(value) is not dict or not value.keys() <= VaultSecretsTokenAuth.ALIASES.keys():
        raise Unsure
    result: VaultSecretsTokenAuth = VaultSecretsTokenAuth.__new__(VaultSecretsTokenAuth)
    item = value.get("secretName", MISSING)
    result.secret_name = required() if item is MISSING else _dns_name(item)
    item = value.get("key", MISSING)
    result.key = "token" if item is MISSING else _common_file_name(item)
    result.model_fields_set = frozenset(map(VaultSecretsTokenAuth.ALIASES.__getitem__, value))
    return result


def _optional_vault_secrets_token_auth(value: Any) -> Any:
    return None if value is None else validate_VaultSecretsTokenAuth(value)


def validate_VaultSecretsAuth(value: Any) -> VaultSecretsAuth:
    """A Auth of krm_fn.patterns.models.vault_secrets."""
    if type(value) is not dict or not value.keys() <= VaultSecretsAuth.ALIASES.keys():
        raise Unsure
    result: VaultSecretsAuth = VaultSecretsAuth.__new__(VaultSecretsAuth)
    item = value.get("kubernetes", MISSING)
    result.kubernetes = None if item is MISSING else _optional_vault_secrets_kubernetes_auth(item)
    item = value.get("token", MISSING)
    result.token = None if item is MISSING else _optional_vault_secrets_token_auth(item)
    result.model_fields_set = frozenset(map(VaultSecretsAuth.ALIASES.__getitem__, value))
    model_checked(check_one, result)
    return result


def _optional_vault_secrets_auth(value: Any) -> Any:
    return None if value is None else validate_VaultSecretsAuth(value)


def _argument(value: Any) -> Any:
    value = string(value)
    value = checked(check_argument, value)
    return value


def _optional_argument(value: Any) -> Any:
    return None if value is None else _argument(value)


def validate_VaultSecretsSecretFile(value: Any) -> VaultSecretsSecretFile:
    """A SecretFile of krm_fn.patterns.models.vault_secrets."""
    if type(value) is not dict or not value.keys() <= VaultSecretsSecretFile.ALIASES.keys():
        raise Unsure
    result: VaultSecretsSecretFile = VaultSecretsSecretFile.__new__(VaultSecretsSecretFile)
    item = value.get("path", MISSING)
    result.path = required() if item is MISSING else _string_matching_vault_path(item)
    item = value.get("field", MISSING)
    result.field = None if item is MISSING else _optional_argument(item)
    item = value.get("file", MISSING)
    result.file = required() if item is MISSING else _common_file_name(item)
    result.model_fields_set = frozenset(map(VaultSecretsSecretFile.ALIASES.__getitem__, value))
    return result


def _list_of_vault_secrets_secret_file(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [validate_VaultSecretsSecretFile(item) for item in value]


def _list_of_vault_secrets_secret_file_check_distinct_files(value: Any) -> Any:
    value = _list_of_vault_secrets_secret_file(value)
    value = checked(check_distinct_files, value)
    return value


def _optional_dns_name(value: Any) -> Any:
    return None if value is None else _dns_name(value)


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def validate_VaultSecretsSpec(value: Any) -> VaultSecretsSpec:
    """A Spec of krm_fn.patterns.models.vault_secrets."""
    if type(value) is not dict or not value.keys() <= VaultSecretsSpec.ALIASES.keys():
        raise Unsure
    result: VaultSecretsSpec = VaultSecretsSpec.__new__(VaultSecretsSpec)
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
    item = value.get("address", MISSING)
    result.address = None if item is MISSING else _common_optional_http_url(item)
    item = value.get("auth", MISSING)
    result.auth = None if item is MISSING else _optional_vault_secrets_auth(item)
    item = value.get("secrets", MISSING)
    result.secrets = (
        list() if item is MISSING else _list_of_vault_secrets_secret_file_check_distinct_files(item)
    )
    item = value.get("namespace", MISSING)
    result.namespace = None if item is MISSING else _common_optional_string(item)
    item = value.get("caSecretName", MISSING)
    result.ca_secret_name = None if item is MISSING else _optional_dns_name(item)
    item = value.get("command", MISSING)
    result.command = None if item is MISSING else _common_optional_list_of_string(item)
    item = value.get("image", MISSING)
    result.image = "hashicorp/vault:1.17.6" if item is MISSING else _common_image_ref(item)
    item = value.get("containerName", MISSING)
    result.container_name = "vault-secrets" if item is MISSING else _dns_label(item)
    item = value.get("volumeName", MISSING)
    result.volume_name = "secrets" if item is MISSING else _dns_label(item)
    item = value.get("mountPath", MISSING)
    result.mount_path = "/secrets" if item is MISSING else _common_absolute_path(item)
    item = value.get("sizeLimit", MISSING)
    result.size_limit = None if item is MISSING else _common_optional_string(item)
    result.model_fields_set = frozenset(map(VaultSecretsSpec.ALIASES.__getitem__, value))
    model_checked(check_complete, result)
    return result


validate = validate_VaultSecretsSpec
