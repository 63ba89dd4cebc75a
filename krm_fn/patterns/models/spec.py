"""The config fields every pattern shares, as pydantic models and annotated types.

The checks themselves are in krm_fn/patterns/checks.py, without pydantic, so that the validators
generated from these models (krm_fn/patterns/validators/) call the same code.
"""

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)
from pydantic.alias_generators import to_camel

from krm_fn.patterns.checks import (
    DEFAULT_VERSION,
    VERSION_ENV,
    PatternSpecMethods,
    check_absolute_path,
    check_anchor,
    check_argument,
    check_container,
    check_container_override,
    check_env,
    check_env_from,
    check_file_name,
    check_host,
    check_http_url,
    check_image,
    check_jsonpath,
    check_mount,
    check_port_name,
    check_regex,
    check_resources,
    check_selector,
    check_server_name,
    check_volume,
    default_kubernetes_version,
    normalize_version,
    position_tag,
)


class Model(BaseModel):
    """Base of every config model: camelCase in YAML, unknown fields rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        defer_build=True,
        field_title_generator=lambda name, _: name.replace("_", " ").capitalize(),
    )


Container = Annotated[dict[str, Any], AfterValidator(check_container)]
Volume = Annotated[dict[str, Any], AfterValidator(check_volume)]
VolumeMount = Annotated[dict[str, Any], AfterValidator(check_mount)]
EnvVar = Annotated[dict[str, Any], AfterValidator(check_env)]
EnvFromSource = Annotated[dict[str, Any], AfterValidator(check_env_from)]


Regex = Annotated[str, AfterValidator(check_regex)]
Selector = Annotated[str, AfterValidator(check_selector)]


class Target(Model):
    """A kustomize-style selector; every field set must match. Name fields are regexes."""

    group: Regex | None = Field(None, description="API group regex, e.g. `apps` ('' is core).")
    version: Regex | None = Field(None, description="API version regex, e.g. `v1`.")
    kind: Regex | None = Field(None, description="Kind regex, e.g. `Deployment|StatefulSet`.")
    name: Regex | None = Field(None, description="Name regex; must match the whole name.")
    namespace: Regex | None = Field(None, description="Namespace regex.")
    label_selector: Selector | None = Field(
        None, description="Label selector on the workload's labels, e.g. `app=web,tier!=db`."
    )
    annotation_selector: Selector | None = Field(
        None, description="Selector in label-selector syntax on the workload's annotations."
    )


class PodTemplatePath(Model):
    """Where a custom workload kind keeps its pod template (metadata + spec)."""

    group: str | None = Field(
        None, description="API group of the kind, e.g. `argoproj.io`; unset matches any group."
    )
    kind: str = Field(description="Kind, e.g. `Rollout`.")
    path: Annotated[str, AfterValidator(check_jsonpath)] = Field(
        description="JSONPath to the pod template(s), e.g. `$.spec.template`."
    )


class Anchor(Model):
    """A position relative to an existing init container."""

    before: str | None = Field(None, description="Insert before the init container of this name.")
    after: str | None = Field(None, description="Insert after the init container of this name.")

    _one = model_validator(mode="after")(check_anchor)


Position = Annotated[
    Annotated[Literal["first", "last"], Tag("first|last")] | Annotated[Anchor, Tag("before|after")],
    Discriminator(position_tag),
]


class PatternSpec(Model, PatternSpecMethods):
    """Fields every pattern has."""

    targets: list[Target] = Field(
        default_factory=list,
        description="Which workloads to change; a workload matching any target is changed. "
        "Empty: every workload.",
    )
    app_containers: list[str] = Field(
        default_factory=list,
        description="The app containers the pattern attaches to (mounts, env). Empty: the pod's "
        "default container (`kubectl.kubernetes.io/default-container`, else the first); `*`: all.",
    )
    kubernetes_version: Annotated[str, BeforeValidator(normalize_version)] = Field(
        default_factory=default_kubernetes_version,
        validate_default=True,
        description="Kubernetes version the output targets, e.g. `1.33` (it decides native "
        f"sidecars, the preStop sleep action...). Default: the env {VERSION_ENV} (the Argo CD "
        f"plugin sets it from KUBE_VERSION), else {DEFAULT_VERSION}.",
    )
    pod_template_paths: list[PodTemplatePath] = Field(
        default_factory=list,
        description="Pod template locations for custom workload kinds (Argo Rollout, Knative "
        "Service, OpenKruise CloneSet...).",
    )
    pod_opt_out: bool = Field(
        True,
        description='Whether a workload or pod annotated `krm-fn.dev/inject: "false"` is skipped. '
        "`false`: the config applies to every pod it selects (a policy pods may not refuse, "
        "such as a secrets agent).",
    )
    fail_on_empty_match: bool = Field(
        False,
        description="A config that selects no workload is an error, not a warning (as "
        "`krm-fn run --strict`): for pipelines where that means a typo in a target.",
    )
    fail_on_warnings: bool = Field(
        False,
        description="This config's warnings are errors (a target that selects nothing, a raised "
        "grace period, a kept value...): the build fails, and at admission `onError` decides. "
        "For every config at once: `KRM_FN_FAIL_ON_WARNINGS=true` or `krm-fn run "
        "--fail-on-warnings`. For ways in that hide warnings (kustomize, Helm 3).",
    )
    on_error: Literal["deny", "admit"] = Field(
        "deny",
        description="At admission (`krm-fn webhook`): what an error does to the pod: `deny` it "
        "with the error (as Istio, Linkerd and Vault do), or `admit` it unchanged with the error "
        "as a warning. At build time an error always fails the build.",
    )


ContainerOverride = Annotated[dict[str, Any], AfterValidator(check_container_override)]
PortNumber = Annotated[int, Field(ge=1, le=65535)]


PortName = Annotated[str, AfterValidator(check_port_name)]
DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_NAME = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
DnsLabel = Annotated[str, Field(pattern=DNS_LABEL, max_length=63)]
DnsName = Annotated[str, Field(pattern=DNS_NAME)]


AbsolutePath = Annotated[str, AfterValidator(check_absolute_path)]
Argument = Annotated[str, AfterValidator(check_argument)]
HttpUrl = Annotated[str, AfterValidator(check_http_url)]
ImageRef = Annotated[str, AfterValidator(check_image)]
Host = Annotated[str, AfterValidator(check_host)]
ServerName = Annotated[str, AfterValidator(check_server_name)]
FileName = Annotated[str, AfterValidator(check_file_name)]
Quantity = str | int | float
Resources = Annotated[dict[str, dict[str, Quantity]], AfterValidator(check_resources)]
