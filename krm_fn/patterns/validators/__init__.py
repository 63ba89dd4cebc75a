"""Validators of the config models, one module per kind, and of the fields they share.

Generated from the config models by `make validators` (scripts/codegen.py); do not edit:
a test fails when this is not what the models generate.
"""

from __future__ import annotations

from typing import Any, Literal

from krm_fn.patterns.checks import (
    PatternSpecMethods,
    check_absolute_path,
    check_anchor,
    check_container,
    check_container_override,
    check_env,
    check_file_name,
    check_host,
    check_http_url,
    check_image,
    check_jsonpath,
    check_mount,
    check_port_name,
    check_regex,
    check_requests_and_limits,
    check_resources,
    check_selector,
    check_volume,
    default_kubernetes_version,
    normalize_version,
    position_tag,
)
from krm_fn.patterns.validated import (
    MISSING,
    Unsure,
    Validated,
    anything,
    boolean,
    checked,
    integer,
    model_checked,
    required,
    string,
)


class Model(Validated):
    """Model of krm_fn.patterns.models.spec, validated."""

    __slots__ = ()
    FIELDS: tuple[str, ...] = ()
    ALIASES = {}


class Target(Validated):
    """Target of krm_fn.patterns.models.spec, validated."""

    __slots__ = (
        "annotation_selector",
        "group",
        "kind",
        "label_selector",
        "name",
        "namespace",
        "version",
    )
    FIELDS: tuple[str, ...] = (
        "group",
        "version",
        "kind",
        "name",
        "namespace",
        "label_selector",
        "annotation_selector",
    )
    ALIASES = {
        "group": "group",
        "version": "version",
        "kind": "kind",
        "name": "name",
        "namespace": "namespace",
        "labelSelector": "label_selector",
        "annotationSelector": "annotation_selector",
    }
    group: str | None
    version: str | None
    kind: str | None
    name: str | None
    namespace: str | None
    label_selector: str | None
    annotation_selector: str | None


class PodTemplatePath(Validated):
    """PodTemplatePath of krm_fn.patterns.models.spec, validated."""

    __slots__ = ("group", "kind", "path")
    FIELDS: tuple[str, ...] = ("group", "kind", "path")
    ALIASES = {"group": "group", "kind": "kind", "path": "path"}
    group: str | None
    kind: str
    path: str


class Anchor(Validated):
    """Anchor of krm_fn.patterns.models.spec, validated."""

    __slots__ = ("after", "before")
    FIELDS: tuple[str, ...] = ("before", "after")
    ALIASES = {"before": "before", "after": "after"}
    before: str | None
    after: str | None


class PatternSpec(Validated, PatternSpecMethods):
    """PatternSpec of krm_fn.patterns.models.spec, validated."""

    __slots__ = (
        "app_containers",
        "fail_on_empty_match",
        "fail_on_warnings",
        "kubernetes_version",
        "on_error",
        "pod_opt_out",
        "pod_template_paths",
        "targets",
    )
    FIELDS: tuple[str, ...] = (
        "targets",
        "app_containers",
        "kubernetes_version",
        "pod_template_paths",
        "pod_opt_out",
        "fail_on_empty_match",
        "fail_on_warnings",
        "on_error",
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
    }
    targets: list[Target]
    app_containers: list[str]
    kubernetes_version: str
    pod_template_paths: list[PodTemplatePath]
    pod_opt_out: bool
    fail_on_empty_match: bool
    fail_on_warnings: bool
    on_error: Literal["deny", "admit"]


def validate_Model(value: Any) -> Model:
    """A Model of krm_fn.patterns.models.spec."""
    if type(value) is not dict or not value.keys() <= Model.ALIASES.keys():
        raise Unsure
    result: Model = Model.__new__(Model)
    result.model_fields_set = frozenset(map(Model.ALIASES.__getitem__, value))
    return result


def _common_regex(value: Any) -> Any:
    value = string(value)
    value = checked(check_regex, value)
    return value


def _common_optional_regex(value: Any) -> Any:
    return None if value is None else _common_regex(value)


def _common_selector(value: Any) -> Any:
    value = string(value)
    value = checked(check_selector, value)
    return value


def _common_optional_selector(value: Any) -> Any:
    return None if value is None else _common_selector(value)


def validate_Target(value: Any) -> Target:
    """A Target of krm_fn.patterns.models.spec."""
    if type(value) is not dict or not value.keys() <= Target.ALIASES.keys():
        raise Unsure
    result: Target = Target.__new__(Target)
    item = value.get("group", MISSING)
    result.group = None if item is MISSING else _common_optional_regex(item)
    item = value.get("version", MISSING)
    result.version = None if item is MISSING else _common_optional_regex(item)
    item = value.get("kind", MISSING)
    result.kind = None if item is MISSING else _common_optional_regex(item)
    item = value.get("name", MISSING)
    result.name = None if item is MISSING else _common_optional_regex(item)
    item = value.get("namespace", MISSING)
    result.namespace = None if item is MISSING else _common_optional_regex(item)
    item = value.get("labelSelector", MISSING)
    result.label_selector = None if item is MISSING else _common_optional_selector(item)
    item = value.get("annotationSelector", MISSING)
    result.annotation_selector = None if item is MISSING else _common_optional_selector(item)
    result.model_fields_set = frozenset(map(Target.ALIASES.__getitem__, value))
    return result


def _common_optional_string(value: Any) -> Any:
    return None if value is None else string(value)


def _common_string_check_jsonpath(value: Any) -> Any:
    value = string(value)
    value = checked(check_jsonpath, value)
    return value


def validate_PodTemplatePath(value: Any) -> PodTemplatePath:
    """A PodTemplatePath of krm_fn.patterns.models.spec."""
    if type(value) is not dict or not value.keys() <= PodTemplatePath.ALIASES.keys():
        raise Unsure
    result: PodTemplatePath = PodTemplatePath.__new__(PodTemplatePath)
    item = value.get("group", MISSING)
    result.group = None if item is MISSING else _common_optional_string(item)
    item = value.get("kind", MISSING)
    result.kind = required() if item is MISSING else string(item)
    item = value.get("path", MISSING)
    result.path = required() if item is MISSING else _common_string_check_jsonpath(item)
    result.model_fields_set = frozenset(map(PodTemplatePath.ALIASES.__getitem__, value))
    return result


def validate_Anchor(value: Any) -> Anchor:
    """A Anchor of krm_fn.patterns.models.spec."""
    if type(value) is not dict or not value.keys() <= Anchor.ALIASES.keys():
        raise Unsure
    result: Anchor = Anchor.__new__(Anchor)
    item = value.get("before", MISSING)
    result.before = None if item is MISSING else _common_optional_string(item)
    item = value.get("after", MISSING)
    result.after = None if item is MISSING else _common_optional_string(item)
    result.model_fields_set = frozenset(map(Anchor.ALIASES.__getitem__, value))
    model_checked(check_anchor, result)
    return result


def _common_list_of_target(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [validate_Target(item) for item in value]


def _common_list_of_string(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [string(item) for item in value]


def _common_string_normalize_version(value: Any) -> Any:
    value = checked(normalize_version, value)
    value = string(value)
    return value


def _common_list_of_pod_template_path(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [validate_PodTemplatePath(item) for item in value]


def _common_one_of_deny_or_admit(value: Any) -> Any:
    if (type(value), value) in (
        (str, "deny"),
        (str, "admit"),
    ):
        return value
    raise Unsure


def fill_PatternSpec(result: PatternSpec, value: dict[str, Any]) -> None:
    """Set the fields of PatternSpec in `result`."""
    item = value.get("targets", MISSING)
    result.targets = list() if item is MISSING else _common_list_of_target(item)
    item = value.get("appContainers", MISSING)
    result.app_containers = list() if item is MISSING else _common_list_of_string(item)
    item = value.get("kubernetesVersion", MISSING)
    result.kubernetes_version = (
        _common_string_normalize_version(default_kubernetes_version())
        if item is MISSING
        else _common_string_normalize_version(item)
    )
    item = value.get("podTemplatePaths", MISSING)
    result.pod_template_paths = (
        list() if item is MISSING else _common_list_of_pod_template_path(item)
    )
    item = value.get("podOptOut", MISSING)
    result.pod_opt_out = True if item is MISSING else boolean(item)
    item = value.get("failOnEmptyMatch", MISSING)
    result.fail_on_empty_match = False if item is MISSING else boolean(item)
    item = value.get("failOnWarnings", MISSING)
    result.fail_on_warnings = False if item is MISSING else boolean(item)
    item = value.get("onError", MISSING)
    result.on_error = "deny" if item is MISSING else _common_one_of_deny_or_admit(item)


def validate_PatternSpec(value: Any) -> PatternSpec:
    """A PatternSpec of krm_fn.patterns.models.spec."""
    if type(value) is not dict or not value.keys() <= PatternSpec.ALIASES.keys():
        raise Unsure
    result: PatternSpec = PatternSpec.__new__(PatternSpec)
    fill_PatternSpec(result, value)
    result.model_fields_set = frozenset(map(PatternSpec.ALIASES.__getitem__, value))
    return result


def _common_one_of_auto_or_true_or_false(value: Any) -> Any:
    if (type(value), value) in (
        (str, "auto"),
        (bool, True),
        (bool, False),
    ):
        return value
    raise Unsure


def _common_string_or_integer_or_floating(value: Any) -> Any:
    if type(value) in (
        str,
        int,
        float,
    ):
        return value
    raise Unsure


def _common_dict_of_string_or_integer_or_floating(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): _common_string_or_integer_or_floating(item) for key, item in value.items()}


def _common_dict_of_dict_of_string_or_integer_or_floating(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {
        string(key): _common_dict_of_string_or_integer_or_floating(item)
        for key, item in value.items()
    }


def _common_resources(value: Any) -> Any:
    value = _common_dict_of_dict_of_string_or_integer_or_floating(value)
    value = checked(check_resources, value)
    return value


def _common_one_of_first_or_last(value: Any) -> Any:
    if (type(value), value) in (
        (str, "first"),
        (str, "last"),
    ):
        return value
    raise Unsure


def _common_by_position_tag(value: Any) -> Any:
    tag = position_tag(value)
    if tag == "first|last":
        return _common_one_of_first_or_last(value)
    if tag == "before|after":
        return validate_Anchor(value)
    raise Unsure


def _common_dict_of_anything(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): anything(item) for key, item in value.items()}


def _common_container(value: Any) -> Any:
    value = _common_dict_of_anything(value)
    value = checked(check_container, value)
    return value


def _common_list_of_container(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_common_container(item) for item in value]


def _common_volume(value: Any) -> Any:
    value = _common_dict_of_anything(value)
    value = checked(check_volume, value)
    return value


def _common_list_of_volume(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_common_volume(item) for item in value]


def _common_volume_mount(value: Any) -> Any:
    value = _common_dict_of_anything(value)
    value = checked(check_mount, value)
    return value


def _common_list_of_volume_mount(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_common_volume_mount(item) for item in value]


def _common_dict_of_string(value: Any) -> Any:
    if type(value) is not dict:
        raise Unsure
    return {string(key): string(item) for key, item in value.items()}


def _common_env_var(value: Any) -> Any:
    value = _common_dict_of_anything(value)
    value = checked(check_env, value)
    return value


def _common_list_of_env_var(value: Any) -> Any:
    if type(value) is not list:
        raise Unsure
    return [_common_env_var(item) for item in value]


def _common_absolute_path(value: Any) -> Any:
    value = string(value)
    value = checked(check_absolute_path, value)
    return value


def _common_image_ref(value: Any) -> Any:
    value = string(value)
    value = checked(check_image, value)
    return value


def _common_container_override(value: Any) -> Any:
    value = _common_dict_of_anything(value)
    value = checked(check_container_override, value)
    return value


def _common_port_number(value: Any) -> Any:
    value = integer(value)
    if not value >= 1:
        raise Unsure
    if not value <= 65535:
        raise Unsure
    return value


def _common_port_name(value: Any) -> Any:
    value = string(value)
    value = checked(check_port_name, value)
    return value


def _common_optional_port_number(value: Any) -> Any:
    return None if value is None else _common_port_number(value)


def _common_host(value: Any) -> Any:
    value = string(value)
    value = checked(check_host, value)
    return value


def _common_optional_list_of_string(value: Any) -> Any:
    return None if value is None else _common_list_of_string(value)


def _common_check_resources_check_requests_and_limits(value: Any) -> Any:
    value = _common_dict_of_dict_of_string_or_integer_or_floating(value)
    value = checked(check_resources, value)
    value = checked(check_requests_and_limits, value)
    return value


def _common_http_url(value: Any) -> Any:
    value = string(value)
    value = checked(check_http_url, value)
    return value


def _common_optional_http_url(value: Any) -> Any:
    return None if value is None else _common_http_url(value)


def _common_file_name(value: Any) -> Any:
    value = string(value)
    value = checked(check_file_name, value)
    return value


def _common_integer_at_least_0(value: Any) -> Any:
    value = integer(value)
    if not value >= 0:
        raise Unsure
    return value


def _common_optional_image_ref(value: Any) -> Any:
    return None if value is None else _common_image_ref(value)


def _common_integer_at_least_1(value: Any) -> Any:
    value = integer(value)
    if not value >= 1:
        raise Unsure
    return value


# the module of each kind (imported when a config uses the kind)
MODULES = {
    "Sidecar": "krm_fn.patterns.validators.sidecar",
    "InitContainer": "krm_fn.patterns.validators.init_container",
    "PodDefaults": "krm_fn.patterns.validators.pod_defaults",
    "LogTailer": "krm_fn.patterns.validators.log_tailer",
    "Adapter": "krm_fn.patterns.validators.adapter",
    "Ambassador": "krm_fn.patterns.validators.ambassador",
    "Sysctl": "krm_fn.patterns.validators.sysctl",
    "VaultSecrets": "krm_fn.patterns.validators.vault_secrets",
    "GitClone": "krm_fn.patterns.validators.git_clone",
    "Download": "krm_fn.patterns.validators.download",
    "Migration": "krm_fn.patterns.validators.migration",
    "WaitFor": "krm_fn.patterns.validators.wait_for",
    "GracefulShutdown": "krm_fn.patterns.validators.graceful_shutdown",
    "ConfigReloader": "krm_fn.patterns.validators.config_reloader",
    "LocalCache": "krm_fn.patterns.validators.local_cache",
    "PodResources": "krm_fn.patterns.validators.pod_resources",
    "PodPatterns": "krm_fn.patterns.validators.bundle",
}


def validate(kind: str, value: Any) -> Any:
    """The validated spec of a kind, or Unsure: then pydantic decides."""
    import importlib

    return importlib.import_module(MODULES[kind]).validate(value)
