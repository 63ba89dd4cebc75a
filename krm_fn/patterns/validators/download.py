"""Validators of the Download config (krm_fn/patterns/models/download.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import init_resources
from krm_fn.patterns.download import check_download_file_name, check_sha256, check_url
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
    _common_optional_http_url,
    _common_optional_image_ref,
    _common_optional_string,
    fill_PatternSpec,
)

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_NAME = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
AWS_REGION = re.compile("^[a-z0-9]+(-[a-z0-9]+)*$")


class DownloadSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.download, validated."""

    __slots__ = (
        "container",
        "container_name",
        "credentials_secret_name",
        "file",
        "image",
        "mount_path",
        "position",
        "resources",
        "s3",
        "sha256",
        "size_limit",
        "url",
        "volume_name",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "position",
        "resources",
        "container",
        "url",
        "file",
        "sha256",
        "mount_path",
        "volume_name",
        "size_limit",
        "credentials_secret_name",
        "s3",
        "image",
        "container_name",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "position": "position",
        "resources": "resources",
        "container": "container",
        "url": "url",
        "file": "file",
        "sha256": "sha256",
        "mountPath": "mount_path",
        "volumeName": "volume_name",
        "sizeLimit": "size_limit",
        "credentialsSecretName": "credentials_secret_name",
        "s3": "s3",
        "image": "image",
        "containerName": "container_name",
    }
    position: Literal["first", "last"] | Anchor
    resources: dict[str, dict[str, str | int | float]]
    container: dict[str, Any]
    url: str
    file: str | None
    sha256: str | None
    mount_path: str
    volume_name: str
    size_limit: str | None
    credentials_secret_name: str | None
    s3: DownloadS3
    image: str | None
    container_name: str


class DownloadS3(Validated):
    """S3 of krm_fn.patterns.models.download, validated."""

    __slots__ = ("endpoint", "region")
    FIELDS: tuple[str, ...] = ("region", "endpoint")
    ALIASES = {"region": "region", "endpoint": "endpoint"}
    region: str | None
    endpoint: str | None


def _string_check_url(value: Any) -> Any:
    value = string(value)
    value = checked(check_url, value)
    return value


def _optional_file_name(value: Any) -> Any:
    return None if value is None else _common_file_name(value)


def _string_check_sha256(value: Any) -> Any:
    value = string(value)
    value = checked(check_sha256, value)
    return value


def _optional_string_check_sha256(value: Any) -> Any:
    return None if value is None else _string_check_sha256(value)


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def _dns_name(value: Any) -> Any:
    value = string(value)
    value = matching(value, DNS_NAME)
    return value


def _optional_dns_name(value: Any) -> Any:
    return None if value is None else _dns_name(value)


def _string_matching_aws_region(value: Any) -> Any:
    value = string(value)
    value = matching(value, AWS_REGION)
    return value


def _optional_string_matching_aws_region(value: Any) -> Any:
    return None if value is None else _string_matching_aws_region(value)


def validate_DownloadS3(value: Any) -> DownloadS3:
    """A S3 of krm_fn.patterns.models.download."""
    if type(value) is not dict or not value.keys() <= DownloadS3.ALIASES.keys():
        raise Unsure
    result: DownloadS3 = DownloadS3.__new__(DownloadS3)
    item = value.get("region", MISSING)
    result.region = None if item is MISSING else _optional_string_matching_aws_region(item)
    item = value.get("endpoint", MISSING)
    result.endpoint = None if item is MISSING else _common_optional_http_url(item)
    result.model_fields_set = frozenset(map(DownloadS3.ALIASES.__getitem__, value))
    return result


def validate_DownloadSpec(value: Any) -> DownloadSpec:
    """A Spec of krm_fn.patterns.models.download."""
    if type(value) is not dict or not value.keys() <= DownloadSpec.ALIASES.keys():
        raise Unsure
    result: DownloadSpec = DownloadSpec.__new__(DownloadSpec)
    fill_PatternSpec(result, value)
    item = value.get("position", MISSING)
    result.position = "last" if item is MISSING else _common_by_position_tag(item)
    item = value.get("resources", MISSING)
    result.resources = (
        init_resources()
        if item is MISSING
        else _common_check_resources_check_requests_and_limits(item)
    )
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _common_container_override(item)
    item = value.get("url", MISSING)
    result.url = required() if item is MISSING else _string_check_url(item)
    item = value.get("file", MISSING)
    result.file = None if item is MISSING else _optional_file_name(item)
    item = value.get("sha256", MISSING)
    result.sha256 = None if item is MISSING else _optional_string_check_sha256(item)
    item = value.get("mountPath", MISSING)
    result.mount_path = required() if item is MISSING else _common_absolute_path(item)
    item = value.get("volumeName", MISSING)
    result.volume_name = "download" if item is MISSING else _dns_label(item)
    item = value.get("sizeLimit", MISSING)
    result.size_limit = None if item is MISSING else _common_optional_string(item)
    item = value.get("credentialsSecretName", MISSING)
    result.credentials_secret_name = None if item is MISSING else _optional_dns_name(item)
    item = value.get("s3", MISSING)
    result.s3 = validate_DownloadS3({}) if item is MISSING else validate_DownloadS3(item)
    item = value.get("image", MISSING)
    result.image = None if item is MISSING else _common_optional_image_ref(item)
    item = value.get("containerName", MISSING)
    result.container_name = "download" if item is MISSING else _dns_label(item)
    result.model_fields_set = frozenset(map(DownloadSpec.ALIASES.__getitem__, value))
    model_checked(check_download_file_name, result)
    return result


validate = validate_DownloadSpec
