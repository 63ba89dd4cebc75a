"""The checks behind the config models, with no pydantic: the run path calls them directly.

krm_fn/patterns/models/spec.py and the models use them as validators; the generated validators
(krm_fn/engine/generated/validators.py) call the same functions, so a check is written once.
"""

import os
import re
from typing import TYPE_CHECKING, Any

from krm_fn.kube.selection import PatternError, compile_pattern, parse_selector

if TYPE_CHECKING:
    from krm_fn.patterns.models.spec import Anchor

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
    check_image(container["image"])
    if container.get("resources") is not None:
        check_resources(container["resources"], f'container "{container["name"]}": ')
    _shaped(container, f'container "{container["name"]}": ')
    return container


def _shaped(container: dict[str, Any], where: str) -> None:
    """Container fields typed as Kubernetes types them.

    What the pod's shape check would refuse after injection is refused here, at the config.
    """
    from krm_fn.kube.shapes import CONTAINER, problems

    found = problems(container, CONTAINER, "")
    if found:
        field, message = found[0]
        raise ValueError(f"{where}{field.lstrip('.')}: {message}")


def check_resources(value: Any, where: str = "") -> dict[str, Any]:
    """Requests and limits of Kubernetes quantities (`100m`, `128Mi`)."""
    from krm_fn.kube.quantities import parse_quantity

    if not isinstance(value, dict):
        raise ValueError(f"{where}resources must be a mapping of requests and limits")
    for kind, amounts in value.items():
        if kind not in ("requests", "limits", "claims"):
            raise ValueError(f"{where}resources has requests and limits, not {kind}")
        if kind == "claims" or amounts is None:
            continue
        if not isinstance(amounts, dict):
            raise ValueError(f"{where}resources.{kind} must be a mapping, e.g. {{cpu: 100m}}")
        for name, amount in amounts.items():
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


def check_regex(value: str) -> str:
    """A regular expression as krm-fn's selectors use it (RE2, as kustomize)."""
    try:
        compile_pattern(value)
    except PatternError as err:
        raise ValueError(f"not a valid regular expression (RE2, as kustomize's): {err}") from None
    return value


def check_selector(value: str) -> str:
    """A label selector (`app=web,tier!=db`)."""
    parse_selector(value)
    return value


def check_jsonpath(value: str) -> str:
    """A JSONPath to pod templates (`$.spec.template`)."""
    from krm_fn.kube.workloads import parse_jsonpath

    parse_jsonpath(value)
    return value


def check_anchor(anchor: "Anchor") -> "Anchor":
    """An Anchor sets exactly one of before and after."""
    if (anchor.before is None) == (anchor.after is None):
        raise ValueError("set exactly one of `before` and `after`")
    return anchor


def position_tag(value: Any) -> str:
    """Which member of the Position union a value is: an anchor mapping or first/last."""
    return "before|after" if isinstance(value, dict) else "first|last"


UNION_TAGS = frozenset(["first|last", "before|after"])

DEFAULT_VERSION = "1.33"
VERSION_ENV = "KRM_FN_KUBERNETES_VERSION"
VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$")


def default_kubernetes_version() -> str:
    """The env KRM_FN_KUBERNETES_VERSION, else DEFAULT_VERSION."""
    return os.environ.get(VERSION_ENV) or DEFAULT_VERSION


def normalize_version(value: Any) -> str:
    """A Kubernetes version as major.minor (`v1.30.2` -> `1.30`)."""
    match = VERSION.match(str(value).strip())
    if not match:
        raise ValueError(f'"{value}" is not a Kubernetes version like 1.33 ({VERSION_ENV}?)')
    return f"{match[1]}.{match[2]}"


class PatternSpecMethods:
    """Methods every pattern's spec has, validated by pydantic or by the generated validators."""

    if TYPE_CHECKING:  # a field of the models; not declared here, or pydantic would order it first
        kubernetes_version: str

    def version_at_least(self, major: int, minor: int) -> bool:
        """Whether the target Kubernetes version is at least major.minor."""
        have = tuple(int(part) for part in self.kubernetes_version.split("."))
        return have >= (major, minor)


def check_requests_and_limits(value: dict[str, Any]) -> dict[str, Any]:
    """Resources of the init containers a pattern generates: requests and limits only."""
    unknown = set(value) - {"requests", "limits"}
    if unknown:
        raise ValueError(f"resources has requests and limits, not {', '.join(sorted(unknown))}")
    return value


def check_container_override(value: Any) -> dict[str, Any]:
    """Container fields laid over a generated container (resources, securityContext, image...)."""
    container = _mapping(value, "container overrides")
    _unknown(container, CONTAINER_FIELDS - {"name"}, "container")
    _shaped(container, "")
    if isinstance(container.get("image"), str):
        check_image(container["image"])
    return container


def check_port_name(value: str) -> str:
    """An IANA service name, as Kubernetes port names must be."""
    if len(value) > 15 or not DNS_LABEL.match(value) or not re.search("[a-z]", value):
        raise ValueError(f'"{value}" is not a port name (up to 15 of a-z, 0-9, "-", one letter)')
    return value


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
        raise ValueError(f'"{value}" is not a host name or IP address: {_host_problem(value)}')
    return value


def _host_problem(value: str) -> str:
    """Which rule of a DNS host name `value` breaks."""
    if len(value) > 253:
        return f"it has {len(value)} characters, and a host name at most 253"
    for label in value.removesuffix(".").split("."):
        if len(label) > 63:
            return (
                f'"{label[:20]}..." has {len(label)} characters, and each part between dots (a '
                "DNS label) at most 63"
            )
        if not label:
            return "it has an empty part between dots"
        if label.startswith("-") or label.endswith("-"):
            return f'"{label}" starts or ends with "-"'
    return 'only letters, digits, "-" and "." may be used'


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


# An image reference as the container runtimes parse it (distribution/reference): [registry[:port]/]
# path[:tag][@digest], the path in lower case.
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"(?:{_LABEL}(?:\.{_LABEL})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
IMAGE_REFERENCE = re.compile(
    rf"^(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*(?::[\w][\w.-]{{0,127}})?"
    r"(?:@[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,})?$"
)


def check_image(value: str) -> str:
    """An image reference (`busybox:1.36.1`, `registry:5000/team/app@sha256:...`)."""
    if len(value) > 512 or not IMAGE_REFERENCE.match(value):
        raise ValueError(
            f"{value!r} is not an image reference ([registry/]name[:tag][@digest], the name in "
            "lower case)"
        )
    return value


def check_http_url(value: str) -> str:
    """An http:// or https:// URL without spaces or control characters."""
    if not re.match(r"^https?://[^\s/?#]+", value) or not value.isprintable() or " " in value:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value
