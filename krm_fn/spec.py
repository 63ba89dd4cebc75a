"""The config fields every pattern shares, and checks for the Kubernetes objects patterns inject."""

import os
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from krm_fn.selection import compile_pattern, parse_selector

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

CONTAINER_FIELDS = frozenset(
    [
        "name",
        "image",
        "command",
        "args",
        "workingDir",
        "ports",
        "envFrom",
        "env",
        "resources",
        "resizePolicy",
        "restartPolicy",
        "restartPolicyRules",
        "volumeMounts",
        "volumeDevices",
        "livenessProbe",
        "readinessProbe",
        "startupProbe",
        "lifecycle",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "imagePullPolicy",
        "securityContext",
        "stdin",
        "stdinOnce",
        "tty",
    ]
)
MOUNT_FIELDS = frozenset(
    [
        "name",
        "mountPath",
        "subPath",
        "subPathExpr",
        "readOnly",
        "recursiveReadOnly",
        "mountPropagation",
    ]
)
ENV_FIELDS = frozenset(["name", "value", "valueFrom"])
ENV_FROM_FIELDS = frozenset(["configMapRef", "secretRef", "prefix"])


class Model(BaseModel):
    """Base of every config model: camelCase in YAML, unknown fields rejected."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        defer_build=True,
        field_title_generator=lambda name, _: name.replace("_", " ").capitalize(),
    )


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError(f"{what} must be a mapping")
    return value


def _unknown(value: dict[str, Any], known: frozenset[str], what: str) -> None:
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"unknown {what} field(s) {', '.join(unknown)}")


def _name(value: dict[str, Any], what: str) -> str:
    name = value.get("name")
    if not isinstance(name, str) or not DNS_LABEL.match(name) or len(name) > 63:
        raise ValueError(f"{what} needs a `name` that is a DNS label (lowercase, digits, '-')")
    return name


def check_container(value: Any) -> dict[str, Any]:
    """A container spec: a DNS-label name, an image, and only Kubernetes Container fields."""
    container = _mapping(value, "a container")
    _name(container, "a container")
    _unknown(container, CONTAINER_FIELDS, "container")
    if not isinstance(container.get("image"), str) or not container["image"]:
        raise ValueError(f'container "{container["name"]}" needs an `image`')
    if container.get("resources") is not None:
        check_resources(container["resources"], f'container "{container["name"]}": ')
    return container


def check_resources(value: Any, where: str = "") -> Any:
    """Requests and limits of Kubernetes quantities (`100m`, `128Mi`)."""
    from krm_fn.resources import parse_quantity

    if not isinstance(value, dict):
        raise ValueError(f"{where}resources must be a mapping of requests and limits")
    for kind, amounts in value.items():
        if kind not in ("requests", "limits", "claims"):
            raise ValueError(f"{where}resources has requests and limits, not {kind}")
        for name, amount in (amounts or {}).items() if kind != "claims" else []:
            try:
                parse_quantity(amount)
            except (ValueError, TypeError):
                raise ValueError(
                    f'{where}resources.{kind}.{name}: "{amount}" is not a Kubernetes quantity '
                    "(such as 100m, 0.5, 128Mi)"
                ) from None
    return value


def check_volume(value: Any) -> dict[str, Any]:
    """A pod volume: a name and one volume source."""
    volume = _mapping(value, "a volume")
    name = _name(volume, "a volume")
    if len(volume) != 2:
        raise ValueError(f'volume "{name}" needs exactly one source (emptyDir, configMap, ...)')
    return volume


def check_mount(value: Any) -> dict[str, Any]:
    """A volumeMount: the volume's name and a mountPath."""
    mount = _mapping(value, "a volumeMount")
    _unknown(mount, MOUNT_FIELDS, "volumeMount")
    if not isinstance(mount.get("name"), str) or not isinstance(mount.get("mountPath"), str):
        raise ValueError("a volumeMount needs `name` and `mountPath`")
    return mount


def check_env(value: Any) -> dict[str, Any]:
    """An env var: a name and a value or valueFrom."""
    env = _mapping(value, "an env var")
    _unknown(env, ENV_FIELDS, "env")
    if not isinstance(env.get("name"), str) or not env["name"]:
        raise ValueError("an env var needs a `name`")
    if "value" in env and not isinstance(env["value"], str):
        raise ValueError(f'env "{env["name"]}": `value` must be a string (quote it in YAML)')
    return env


def check_env_from(value: Any) -> dict[str, Any]:
    """An envFrom source: a configMapRef or a secretRef, with an optional prefix."""
    env_from = _mapping(value, "an envFrom entry")
    _unknown(env_from, ENV_FROM_FIELDS, "envFrom")
    if ("configMapRef" in env_from) == ("secretRef" in env_from):
        raise ValueError("an envFrom entry needs exactly one of configMapRef and secretRef")
    return env_from


Container = Annotated[dict[str, Any], AfterValidator(check_container)]
Volume = Annotated[dict[str, Any], AfterValidator(check_volume)]
VolumeMount = Annotated[dict[str, Any], AfterValidator(check_mount)]
EnvVar = Annotated[dict[str, Any], AfterValidator(check_env)]
EnvFromSource = Annotated[dict[str, Any], AfterValidator(check_env_from)]


class Target(Model):
    """A kustomize-style selector; every field set must match. Name fields are regexes."""

    group: str | None = Field(None, description="API group regex, e.g. `apps` ('' is core).")
    version: str | None = Field(None, description="API version regex, e.g. `v1`.")
    kind: str | None = Field(None, description="Kind regex, e.g. `Deployment|StatefulSet`.")
    name: str | None = Field(None, description="Name regex; must match the whole name.")
    namespace: str | None = Field(None, description="Namespace regex.")
    label_selector: str | None = Field(
        None, description="Label selector on the workload's labels, e.g. `app=web,tier!=db`."
    )
    annotation_selector: str | None = Field(
        None, description="Selector in label-selector syntax on the workload's annotations."
    )

    @field_validator("group", "version", "kind", "name", "namespace")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                compile_pattern(value)
            except re.error as err:
                raise ValueError(f"not a valid regular expression: {err}") from None
        return value

    @field_validator("label_selector", "annotation_selector")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None:
            parse_selector(value)
        return value


class PodTemplatePath(Model):
    """Where a custom workload kind keeps its pod template (metadata + spec)."""

    group: str | None = Field(
        None, description="API group of the kind, e.g. `argoproj.io`; unset matches any group."
    )
    kind: str = Field(description="Kind, e.g. `Rollout`.")
    path: str = Field(description="JSONPath to the pod template(s), e.g. `$.spec.template`.")

    @field_validator("path")
    @classmethod
    def _jsonpath(cls, value: str) -> str:
        from krm_fn.workloads import parse_jsonpath

        parse_jsonpath(value)
        return value


class Anchor(Model):
    """A position relative to an existing init container."""

    before: str | None = Field(None, description="Insert before the init container of this name.")
    after: str | None = Field(None, description="Insert after the init container of this name.")

    @model_validator(mode="after")
    def _one(self) -> "Anchor":
        if (self.before is None) == (self.after is None):
            raise ValueError("set exactly one of `before` and `after`")
        return self


def _position_tag(value: Any) -> str:
    return "before|after" if isinstance(value, dict) else "first|last"


Position = Annotated[
    Annotated[Literal["first", "last"], Tag("first|last")] | Annotated[Anchor, Tag("before|after")],
    Discriminator(_position_tag),
]
UNION_TAGS = frozenset(["first|last", "before|after"])

DEFAULT_VERSION = "1.33"
VERSION_ENV = "KRM_FN_KUBERNETES_VERSION"
VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")


class PatternSpec(Model):
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
    kubernetes_version: str = Field(
        default_factory=lambda: os.environ.get(VERSION_ENV) or DEFAULT_VERSION,
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
    on_error: Literal["deny", "admit"] = Field(
        "deny",
        description="At admission (`krm-fn webhook`): what an error does to the pod: `deny` it "
        "with the error (as Istio, Linkerd and Vault do), or `admit` it unchanged with the error "
        "as a warning. At build time an error always fails the build.",
    )

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> str:
        match = VERSION.match(str(value).strip())
        if not match:
            raise ValueError(f'"{value}" is not a Kubernetes version like 1.33 ({VERSION_ENV}?)')
        return f"{match[1]}.{match[2]}"

    def version_at_least(self, major: int, minor: int) -> bool:
        """Whether the target Kubernetes version is at least major.minor."""
        have = tuple(int(part) for part in self.kubernetes_version.split("."))
        return have >= (major, minor)


def check_container_override(value: Any) -> dict[str, Any]:
    """Container fields laid over a generated container (resources, securityContext, image...)."""
    container = _mapping(value, "container overrides")
    _unknown(container, CONTAINER_FIELDS - {"name"}, "container")
    return container


ContainerOverride = Annotated[dict[str, Any], AfterValidator(check_container_override)]
PortNumber = Annotated[int, Field(ge=1, le=65535)]


def check_port_name(value: str) -> str:
    """An IANA service name, as Kubernetes port names must be."""
    if len(value) > 15 or not DNS_LABEL.match(value) or not re.search("[a-z]", value):
        raise ValueError(f'"{value}" is not a port name (up to 15 of a-z, 0-9, "-", one letter)')
    return value


PortName = Annotated[str, AfterValidator(check_port_name)]
DnsLabel = Annotated[str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", max_length=63)]
DnsName = Annotated[
    str, Field(pattern=r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
]


def check_absolute_path(value: str) -> str:
    """A path that starts with /."""
    if not value.startswith("/"):
        raise ValueError(f'"{value}" is not an absolute path (it must start with /)')
    return value


def check_file_name(value: str) -> str:
    """A plain file name, no directories."""
    if not re.fullmatch(r"[A-Za-z0-9._-]+", value) or value in (".", ".."):
        raise ValueError(f'"{value}" is not a plain file name (letters, digits, ".", "_", "-")')
    return value


HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
    r"(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*\.?$"
)


def check_host(value: str) -> str:
    """A DNS host name or an IP address: nothing a config file or a command line reads as more."""
    import ipaddress

    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    if not HOST_NAME.match(value):
        raise ValueError(f'"{value}" is not a host name (letters, digits, "-", ".") or IP address')
    return value


def check_server_name(value: str) -> str:
    """A host name, optionally with a leading `*.` wildcard (nginx's server_name)."""
    check_host(value.removeprefix("*."))
    return value


def check_argument(value: str) -> str:
    """A value that lands alone in a command line: no leading `-` (an option), printable."""
    if value.startswith("-") or not value.isprintable() or not value.strip():
        raise ValueError(
            f"{value!r} would be read as an option or is not printable text; a value may not "
            "start with '-'"
        )
    return value


def check_http_url(value: str) -> str:
    """An http:// or https:// URL without spaces or control characters."""
    if not re.match(r"^https?://[^\s/?#]+", value) or not value.isprintable() or " " in value:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


AbsolutePath = Annotated[str, AfterValidator(check_absolute_path)]
Argument = Annotated[str, AfterValidator(check_argument)]
HttpUrl = Annotated[str, AfterValidator(check_http_url)]
Host = Annotated[str, AfterValidator(check_host)]
ServerName = Annotated[str, AfterValidator(check_server_name)]
FileName = Annotated[str, AfterValidator(check_file_name)]
Quantity = str | int | float
Resources = Annotated[dict[str, dict[str, Quantity]], AfterValidator(check_resources)]
