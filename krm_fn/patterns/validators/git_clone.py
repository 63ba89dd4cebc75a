"""Validators of the GitClone config (krm_fn/patterns/models/git_clone.py).

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from krm_fn.kube.containers import init_resources
from krm_fn.patterns.git_clone import check_duration, check_ref, check_repository
from krm_fn.patterns.validated import MISSING, Unsure, boolean, checked, matching, required, string
from krm_fn.patterns.validators import (
    Anchor,
    PatternSpec,
    _common_absolute_path,
    _common_by_position_tag,
    _common_check_resources_check_requests_and_limits,
    _common_container_override,
    _common_file_name,
    _common_image_ref,
    _common_integer_at_least_0,
    _common_one_of_auto_or_true_or_false,
    fill_PatternSpec,
)

DNS_LABEL = re.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class GitCloneSpec(PatternSpec):
    """Spec of krm_fn.patterns.models.git_clone, validated."""

    __slots__ = (
        "container",
        "container_name",
        "depth",
        "image",
        "mount_path",
        "native",
        "position",
        "ref",
        "repository",
        "resources",
        "sync",
        "sync_image",
        "sync_link",
        "sync_period",
        "volume_name",
    )
    FIELDS: tuple[str, ...] = (
        *PatternSpec.FIELDS,
        "native",
        "position",
        "resources",
        "container",
        "repository",
        "ref",
        "depth",
        "mount_path",
        "volume_name",
        "container_name",
        "image",
        "sync",
        "sync_image",
        "sync_period",
        "sync_link",
    )
    ALIASES = {
        **PatternSpec.ALIASES,
        "native": "native",
        "position": "position",
        "resources": "resources",
        "container": "container",
        "repository": "repository",
        "ref": "ref",
        "depth": "depth",
        "mountPath": "mount_path",
        "volumeName": "volume_name",
        "containerName": "container_name",
        "image": "image",
        "sync": "sync",
        "syncImage": "sync_image",
        "syncPeriod": "sync_period",
        "syncLink": "sync_link",
    }
    native: Literal["auto", True, False]
    position: Literal["first", "last"] | Anchor
    resources: dict[str, dict[str, str | int | float]]
    container: dict[str, Any]
    repository: str
    ref: str | None
    depth: int
    mount_path: str
    volume_name: str
    container_name: str
    image: str
    sync: bool
    sync_image: str
    sync_period: str
    sync_link: str


def _string_check_repository(value: Any) -> Any:
    value = string(value)
    value = checked(check_repository, value)
    return value


def _string_check_ref(value: Any) -> Any:
    value = string(value)
    value = checked(check_ref, value)
    return value


def _optional_string_check_ref(value: Any) -> Any:
    return None if value is None else _string_check_ref(value)


def _dns_label(value: Any) -> Any:
    value = string(value)
    if len(value) > 63:
        raise Unsure
    value = matching(value, DNS_LABEL)
    return value


def _string_check_duration(value: Any) -> Any:
    value = string(value)
    value = checked(check_duration, value)
    return value


def validate_GitCloneSpec(value: Any) -> GitCloneSpec:
    """A Spec of krm_fn.patterns.models.git_clone."""
    if type(value) is not dict or not value.keys() <= GitCloneSpec.ALIASES.keys():
        raise Unsure
    result: GitCloneSpec = GitCloneSpec.__new__(GitCloneSpec)
    fill_PatternSpec(result, value)
    item = value.get("native", MISSING)
    result.native = "auto" if item is MISSING else _common_one_of_auto_or_true_or_false(item)
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
    item = value.get("repository", MISSING)
    result.repository = required() if item is MISSING else _string_check_repository(item)
    item = value.get("ref", MISSING)
    result.ref = None if item is MISSING else _optional_string_check_ref(item)
    item = value.get("depth", MISSING)
    result.depth = 1 if item is MISSING else _common_integer_at_least_0(item)
    item = value.get("mountPath", MISSING)
    result.mount_path = required() if item is MISSING else _common_absolute_path(item)
    item = value.get("volumeName", MISSING)
    result.volume_name = "source" if item is MISSING else _dns_label(item)
    item = value.get("containerName", MISSING)
    result.container_name = "git-clone" if item is MISSING else _dns_label(item)
    item = value.get("image", MISSING)
    result.image = "alpine/git:2.45.2" if item is MISSING else _common_image_ref(item)
    item = value.get("sync", MISSING)
    result.sync = False if item is MISSING else boolean(item)
    item = value.get("syncImage", MISSING)
    result.sync_image = (
        "registry.k8s.io/git-sync/git-sync:v4.4.0" if item is MISSING else _common_image_ref(item)
    )
    item = value.get("syncPeriod", MISSING)
    result.sync_period = "60s" if item is MISSING else _string_check_duration(item)
    item = value.get("syncLink", MISSING)
    result.sync_link = "current" if item is MISSING else _common_file_name(item)
    result.model_fields_set = frozenset(map(GitCloneSpec.ALIASES.__getitem__, value))
    return result


validate = validate_GitCloneSpec
