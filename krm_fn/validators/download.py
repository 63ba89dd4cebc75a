"""Validators of the Download config (krm_fn/models/download.py).

Generated from the config models by `make validators` (krm_fn/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

import re
from typing import Any

from krm_fn.checks import (
    PatternSpecMethods,
    check_absolute_path,
    check_container_override,
    check_file_name,
    check_http_url,
    check_image,
    check_resources,
    default_kubernetes_version,
    position_tag,
)
from krm_fn.containers import init_resources
from krm_fn.patterns.download import check_download_file_name, check_sha256, check_url
from krm_fn.patterns.init_container import check_requests_and_limits
from krm_fn.validated import (
    MISSING,
    Unsure,
    Validated,
    anything,
    boolean,
    checked,
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
    _common_optional_6,
    validate_Anchor,
)

PATTERN_0 = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
PATTERN_1 = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
PATTERN_2 = re.compile("^[a-z0-9]+(-[a-z0-9]+)*$")


class DownloadSpec(Validated, PatternSpecMethods):
    """Spec of krm_fn.models.download, validated."""

    __slots__ = (
        "app_containers",
        "container",
        "container_name",
        "credentials_secret_name",
        "fail_on_empty_match",
        "fail_on_warnings",
        "file",
        "image",
        "kubernetes_version",
        "mount_path",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
        "position",
        "resources",
        "s3",
        "sha256",
        "size_limit",
        "targets",
        "url",
        "volume_name",
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
        "targets": "targets",
        "appContainers": "app_containers",
        "kubernetesVersion": "kubernetes_version",
        "podTemplatePaths": "pod_template_paths",
        "podOptOut": "pod_opt_out",
        "failOnEmptyMatch": "fail_on_empty_match",
        "failOnWarnings": "fail_on_warnings",
        "onError": "on_error",
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
    targets: Any
    app_containers: Any
    kubernetes_version: Any
    pod_template_paths: Any
    pod_opt_out: Any
    fail_on_empty_match: Any
    fail_on_warnings: Any
    on_error: Any
    position: Any
    resources: Any
    container: Any
    url: Any
    file: Any
    sha256: Any
    mount_path: Any
    volume_name: Any
    size_limit: Any
    credentials_secret_name: Any
    s3: Any
    image: Any
    container_name: Any


class DownloadS3(Validated):
    """S3 of krm_fn.models.download, validated."""

    __slots__ = ("endpoint", "region")
    FIELDS = ("region", "endpoint")
    ALIASES = {"region": "region", "endpoint": "endpoint"}
    region: Any
    endpoint: Any


def _literal_0(value: Any) -> Any:
    if (type(value), value) in (
        (str, "first"),
        (str, "last"),
    ):
        return value
    raise Unsure


def _tagged_1(value: Any) -> Any:
    tag = position_tag(value)
    if tag == "first|last":
        return _literal_0(value)
    if tag == "before|after":
        return validate_Anchor(value)
    raise Unsure


def _union_2(value: Any) -> Any:
    if type(value) in (
        str,
        int,
        float,
    ):
        return value
    raise Unsure


def _dict_3(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _union_2(item) for key, item in value.items()}


def _dict_4(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _dict_3(item) for key, item in value.items()}


def _checked_5(value: Any) -> Any:
    value = _dict_4(value)
    value = checked(check_resources, value)
    value = checked(check_requests_and_limits, value)
    return value


def _dict_6(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _checked_7(value: Any) -> Any:
    value = _dict_6(value)
    value = checked(check_container_override, value)
    return value


def _checked_8(value: Any) -> Any:
    value = string(value)
    value = checked(check_url, value)
    return value


def _checked_9(value: Any) -> Any:
    value = string(value)
    value = checked(check_file_name, value)
    return value


def _optional_10(value: Any) -> Any:
    return None if value is None else _checked_9(value)


def _checked_11(value: Any) -> Any:
    value = string(value)
    value = checked(check_sha256, value)
    return value


def _optional_12(value: Any) -> Any:
    return None if value is None else _checked_11(value)


def _checked_13(value: Any) -> Any:
    value = string(value)
    value = checked(check_absolute_path, value)
    return value


def _checked_14(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, PATTERN_0)
    return value


def _checked_15(value: Any) -> Any:
    value = string(value)
    value = matching(value, PATTERN_1)
    return value


def _optional_16(value: Any) -> Any:
    return None if value is None else _checked_15(value)


def _checked_17(value: Any) -> Any:
    value = string(value)
    value = matching(value, PATTERN_2)
    return value


def _optional_18(value: Any) -> Any:
    return None if value is None else _checked_17(value)


def _checked_19(value: Any) -> Any:
    value = string(value)
    value = checked(check_http_url, value)
    return value


def _optional_20(value: Any) -> Any:
    return None if value is None else _checked_19(value)


def validate_DownloadS3(value: Any) -> DownloadS3:
    """A S3 of krm_fn.models.download."""
    if type(value) is not dict or not value.keys() <= DownloadS3.ALIASES.keys():
        raise Unsure
    result: DownloadS3 = DownloadS3.__new__(DownloadS3)
    item = value.get("region", MISSING)
    result.region = None if item is MISSING else _optional_18(item)
    item = value.get("endpoint", MISSING)
    result.endpoint = None if item is MISSING else _optional_20(item)
    result.model_fields_set = frozenset(map(DownloadS3.ALIASES.__getitem__, value))
    return result


def _checked_22(value: Any) -> Any:
    value = string(value)
    value = checked(check_image, value)
    return value


def _optional_23(value: Any) -> Any:
    return None if value is None else _checked_22(value)


def validate_DownloadSpec(value: Any) -> DownloadSpec:
    """A Spec of krm_fn.models.download."""
    if type(value) is not dict or not value.keys() <= DownloadSpec.ALIASES.keys():
        raise Unsure
    result: DownloadSpec = DownloadSpec.__new__(DownloadSpec)
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
    item = value.get("position", MISSING)
    result.position = "last" if item is MISSING else _tagged_1(item)
    item = value.get("resources", MISSING)
    result.resources = init_resources() if item is MISSING else _checked_5(item)
    item = value.get("container", MISSING)
    result.container = dict() if item is MISSING else _checked_7(item)
    item = value.get("url", MISSING)
    result.url = required() if item is MISSING else _checked_8(item)
    item = value.get("file", MISSING)
    result.file = None if item is MISSING else _optional_10(item)
    item = value.get("sha256", MISSING)
    result.sha256 = None if item is MISSING else _optional_12(item)
    item = value.get("mountPath", MISSING)
    result.mount_path = required() if item is MISSING else _checked_13(item)
    item = value.get("volumeName", MISSING)
    result.volume_name = "download" if item is MISSING else _checked_14(item)
    item = value.get("sizeLimit", MISSING)
    result.size_limit = None if item is MISSING else _common_optional_6(item)
    item = value.get("credentialsSecretName", MISSING)
    result.credentials_secret_name = None if item is MISSING else _optional_16(item)
    item = value.get("s3", MISSING)
    result.s3 = validate_DownloadS3({}) if item is MISSING else validate_DownloadS3(item)
    item = value.get("image", MISSING)
    result.image = None if item is MISSING else _optional_23(item)
    item = value.get("containerName", MISSING)
    result.container_name = "download" if item is MISSING else _checked_14(item)
    result.model_fields_set = frozenset(map(DownloadSpec.ALIASES.__getitem__, value))
    model_checked(check_download_file_name, result)
    return result


validate = validate_DownloadSpec
