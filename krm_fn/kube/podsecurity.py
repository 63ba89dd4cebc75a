"""The Pod Security Standards, checked at build time as the PodSecurity admission would.

`violations(spec, level, metadata, version)` lists what the API server would reject for a pod
spec in a namespace enforcing `baseline` or `restricted` at a version of the standards (the
namespace's `pod-security.kubernetes.io/enforce-version`: `v1.X`, or `latest`, the newest this
module knows, Kubernetes 1.37's), each with the field. The checks follow the admission plugin's
(k8s.io/pod-security-admission, policy/check_*.go) version by version: where a restricted check
replaces a baseline one (capabilities, hostPath volumes, seccomp, procMount), what a pod in a user
namespace (`hostUsers: false`) is spared (1.35+), what Windows pods are spared (1.25+), and the
checks that came or changed (runAsUser 1.23, capabilities 1.22, seccomp fields 1.19, SELinux
`container_engine_t` 1.31, probes' hosts 1.34, the safe sysctls of 1.27, 1.29, 1.32 and 1.37).
tests/test_cluster.py and tests/test_pod_security_server.py compare the verdicts with a real API
server's over generated pods.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

LEVELS = ("privileged", "baseline", "restricted")
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION_LABEL = "pod-security.kubernetes.io/enforce-version"
Version = tuple[int, int]
LATEST: Version = (1, 37)  # the newest version whose checks changed; `latest` and later are it
VERSION = re.compile(r"v1\.(0|[1-9][0-9]*)")  # the admission plugin's own rule

BASELINE_CAPABILITIES = frozenset(
    "AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID KILL MKNOD NET_BIND_SERVICE SETFCAP SETGID "
    "SETPCAP SETUID SYS_CHROOT".split()
)
# the safe sysctls, each with the version that allowed it
SAFE_SYSCTLS_SINCE: dict[str, Version] = {
    **dict.fromkeys(
        [
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        ],
        (1, 0),
    ),
    "net.ipv4.ip_local_reserved_ports": (1, 27),
    **dict.fromkeys(
        [
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ],
        (1, 29),
    ),
    **dict.fromkeys(["net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"], (1, 32)),
    **dict.fromkeys(["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"], (1, 37)),
}
SAFE_SYSCTLS = frozenset(SAFE_SYSCTLS_SINCE)
RESTRICTED_VOLUMES = frozenset(
    "configMap csi downwardAPI emptyDir ephemeral persistentVolumeClaim projected secret "
    "image".split()
)
SELINUX_TYPES = frozenset(["", "container_t", "container_init_t", "container_kvm_t"])
SELINUX_TYPES_1_31 = SELINUX_TYPES | {"container_engine_t"}
LEGACY_SECCOMP_ALLOWED = ("runtime/default", "docker/default")  # and localhost/*, before 1.19
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HOOKS = ("postStart", "preStop")
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"

Violation = tuple[str, str]  # (field path within the pod spec, what is wrong)


@dataclass(frozen=True)
class Policy:
    """What a namespace enforces: a level at a version of the standards."""

    level: str
    version: Version = LATEST

    def describe(self) -> str:
        """`"restricted"`, or `"restricted" (v1.24)` when pinned to an older version."""
        pinned = "" if self.version >= LATEST else f" (v{self.version[0]}.{self.version[1]})"
        return f'"{self.level}"{pinned}'


def enforced_policy(labels: dict[str, Any]) -> Policy | None:
    """The policy a namespace's labels enforce, as the admission plugin reads them.

    A version that is not `v1.X` is `latest`, as the plugin takes it; one newer than this
    module knows is the newest it knows (no check changed since).
    """
    if ENFORCE_LABEL not in labels:
        return None
    match = VERSION.fullmatch(str(labels.get(ENFORCE_VERSION_LABEL, "latest")))
    version = min((1, int(match.group(1))), LATEST) if match else LATEST
    return Policy(str(labels[ENFORCE_LABEL]), version)


def containers(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every container of a pod spec, with its field path."""
    for key in CONTAINER_LISTS:
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                yield f"spec.{key}[name={container.get('name')}]", container


def violations(
    spec: dict[str, Any],
    level: str,
    metadata: dict[str, Any] | None = None,
    version: Version = LATEST,
) -> list[Violation]:
    """What a namespace enforcing `level` at `version` would reject in this pod spec."""
    if level not in ("baseline", "restricted"):
        return []
    restricted = level == "restricted"
    found = list(_baseline(spec, metadata or {}, restricted, version))
    if restricted:
        found += _restricted(spec, version)
    return found


def _user_namespace(spec: dict[str, Any], version: Version = LATEST) -> bool:
    """A pod in its own user namespace, which the standards spare some checks from 1.35 on.

    Root in it is not root on the node.
    """
    return spec.get("hostUsers") is False and version >= (1, 35)


def _windows(spec: dict[str, Any], version: Version = LATEST) -> bool:
    """A Windows pod, which the standards spare the Linux-only checks from 1.25 on."""
    return (spec.get("os") or {}).get("name") == "windows" and version >= (1, 25)


def _baseline(
    spec: dict[str, Any], metadata: dict[str, Any], restricted: bool, version: Version
) -> Iterator[Violation]:
    """The baseline checks; those a restricted check replaces are skipped at restricted."""
    pod_security = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            yield f"spec.{field}", "must not share the host's namespaces"
    if (pod_security.get("windowsOptions") or {}).get("hostProcess"):
        yield "spec.securityContext.windowsOptions.hostProcess", "must not be true"
    if version < (1, 19):  # seccomp by annotation, at both levels
        yield from _legacy_seccomp(metadata)
    elif not restricted:
        yield from _seccomp_unconfined(pod_security, "spec.securityContext")
    selinux_types = SELINUX_TYPES_1_31 if version >= (1, 31) else SELINUX_TYPES
    yield from _selinux(pod_security, "spec.securityContext", selinux_types)
    if not _allowed_apparmor_type(pod_security):
        yield "spec.securityContext.appArmorProfile.type", "must be RuntimeDefault or Localhost"
    for sysctl in pod_security.get("sysctls") or []:
        since = SAFE_SYSCTLS_SINCE.get(sysctl.get("name"))
        if since is None or since > version:
            yield (
                "spec.securityContext.sysctls",
                f"sysctl {sysctl.get('name')} is not in the safe set",
            )
    if not restricted:
        for volume in spec.get("volumes") or []:
            if "hostPath" in volume:
                yield f"spec.volumes[name={volume.get('name')}]", "hostPath volumes are not allowed"
    annotations = metadata.get("annotations") or {}
    for key, value in annotations.items():
        if key.startswith(APPARMOR_ANNOTATION) and not (
            value in ("", "runtime/default") or str(value).startswith("localhost/")
        ):
            yield f"metadata.annotations.{key}", "AppArmor must be runtime/default or localhost/*"
    for path, container in containers(spec):
        security = container.get("securityContext") or {}
        if security.get("privileged"):
            yield f"{path}.securityContext.privileged", "privileged containers are not allowed"
        if (security.get("windowsOptions") or {}).get("hostProcess"):
            yield f"{path}.securityContext.windowsOptions.hostProcess", "must not be true"
        added = set((security.get("capabilities") or {}).get("add") or [])
        # restricted's own capabilities check replaces this one from 1.22
        if added - BASELINE_CAPABILITIES and (not restricted or version < (1, 22)):
            extra = ", ".join(sorted(added - BASELINE_CAPABILITIES))
            yield f"{path}.securityContext.capabilities.add", f"{extra} beyond the baseline set"
        if security.get("procMount") not in (None, "Default") and (
            restricted or not _user_namespace(spec, version)  # restricted: even in a user ns
        ):
            yield f"{path}.securityContext.procMount", "must be Default"
        if not _allowed_apparmor_type(security):
            problem = "must be RuntimeDefault or Localhost"
            yield f"{path}.securityContext.appArmorProfile.type", problem
        if not restricted and version >= (1, 19):
            yield from _seccomp_unconfined(security, f"{path}.securityContext")
        yield from _selinux(security, f"{path}.securityContext", selinux_types)
        for port in container.get("ports") or []:
            # with hostNetwork the API server defaults hostPort to containerPort
            host_port = port.get("hostPort") or (
                port.get("containerPort") if spec.get("hostNetwork") else None
            )
            if host_port:
                yield f"{path}.ports", f"hostPort {host_port} is not allowed"
        if version >= (1, 34):
            yield from _hosts(path, container)


def _allowed_apparmor_type(security: dict[str, Any]) -> bool:
    profile = security.get("appArmorProfile")
    return not isinstance(profile, dict) or profile.get("type") in ("RuntimeDefault", "Localhost")


def _hosts(path: str, container: dict[str, Any]) -> Iterator[Violation]:
    """Probes and lifecycle handlers may not reach another host (1.34+)."""
    lifecycle = container.get("lifecycle") or {}
    handlers = [(probe, container[probe]) for probe in PROBES if container.get(probe)]
    if lifecycle:
        handlers += [(f"lifecycle.{h}", lifecycle[h]) for h in HOOKS if lifecycle.get(h)]
    for where, handler in handlers:
        for kind in ("httpGet", "tcpSocket"):
            action = handler.get(kind) or {}
            if action.get("host"):
                yield f"{path}.{where}.{kind}.host", "must not name a host"


def _seccomp_allowed(profile: dict[str, Any]) -> bool:
    return profile.get("type") in ("RuntimeDefault", "Localhost")


def _seccomp_unconfined(security: dict[str, Any], path: str) -> Iterator[Violation]:
    profile = security.get("seccompProfile")
    if isinstance(profile, dict) and not _seccomp_allowed(profile):
        yield f"{path}.seccompProfile.type", "must be RuntimeDefault or Localhost"


def _legacy_seccomp(metadata: dict[str, Any]) -> Iterator[Violation]:
    """Seccomp as the standards checked it before the fields (1.0 to 1.18): by annotation."""
    for key, value in (metadata.get("annotations") or {}).items():
        if key.startswith(LEGACY_SECCOMP_ANNOTATIONS) and not (
            str(value) in LEGACY_SECCOMP_ALLOWED or str(value).startswith("localhost/")
        ):
            yield f"metadata.annotations.{key}", "seccomp must be runtime/default or localhost/*"


def _selinux(security: dict[str, Any], path: str, allowed: frozenset[str]) -> Iterator[Violation]:
    options = security.get("seLinuxOptions") or {}
    if options.get("type", "") not in allowed:
        yield f"{path}.seLinuxOptions.type", f"type {options['type']} is not allowed"
    for field in ("user", "role"):
        if options.get(field):
            yield f"{path}.seLinuxOptions.{field}", "must not be set"


def _restricted(spec: dict[str, Any], version: Version) -> Iterator[Violation]:
    pod_security = spec.get("securityContext") or {}
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if kinds and not kinds <= RESTRICTED_VOLUMES:
            problem = (
                "hostPath volumes are not allowed"
                if "hostPath" in kinds
                else f"{', '.join(sorted(kinds - RESTRICTED_VOLUMES))} volumes are not allowed"
            )
            yield f"spec.volumes[name={volume.get('name')}]", problem
    user_namespace = _user_namespace(spec, version)
    windows = _windows(spec, version)
    seccomp = version >= (1, 19) and not windows
    run_as_user = version >= (1, 23)
    pod_non_root = pod_security.get("runAsNonRoot")
    pod_seccomp = pod_security.get("seccompProfile")
    pod_seccomp_ok = isinstance(pod_seccomp, dict) and _seccomp_allowed(pod_seccomp)
    if seccomp:
        yield from _seccomp_unconfined(pod_security, "spec.securityContext")
    if not user_namespace:
        if pod_non_root is False:
            yield "spec.securityContext.runAsNonRoot", "must not be false"
        if run_as_user and pod_security.get("runAsUser") == 0:
            yield "spec.securityContext.runAsUser", "must not be 0"
    for path, container in containers(spec):
        security = container.get("securityContext") or {}
        where = f"{path}.securityContext"
        escalation = version >= (1, 8) and not windows
        if escalation and security.get("allowPrivilegeEscalation") is not False:
            yield f"{where}.allowPrivilegeEscalation", "must be false"
        if not user_namespace:
            non_root = security.get("runAsNonRoot")
            if non_root is False or (non_root is None and pod_non_root is not True):
                yield f"{where}.runAsNonRoot", "must be true (here or in the pod's securityContext)"
            if run_as_user and security.get("runAsUser") == 0:
                yield f"{where}.runAsUser", "must not be 0"
        if seccomp:
            if isinstance(security.get("seccompProfile"), dict):
                yield from _seccomp_unconfined(security, where)
            elif not pod_seccomp_ok:
                yield f"{where}.seccompProfile.type", "must be RuntimeDefault or Localhost"
        if version >= (1, 22) and not windows:
            capabilities = security.get("capabilities") or {}
            if "ALL" not in (capabilities.get("drop") or []):
                yield f"{where}.capabilities.drop", "must include ALL"
            if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
                yield f"{where}.capabilities.add", "may only add NET_BIND_SERVICE"


LEGACY_SECCOMP_ANNOTATIONS = (
    "seccomp.security.alpha.kubernetes.io/pod",
    "container.seccomp.security.alpha.kubernetes.io/",
)


def isolation_annotation(key: str) -> bool:
    """Whether weakened_isolation looks at an annotation of this key (AppArmor, seccomp)."""
    return key.startswith((APPARMOR_ANNOTATION, *LEGACY_SECCOMP_ANNOTATIONS))


def weakened_isolation(spec: dict[str, Any], metadata: dict[str, Any]) -> set[Violation]:
    """Everything in a pod that weakens isolation: what "restricted" rejects, and more.

    The process namespace shared between containers and legacy `unconfined` seccomp annotations
    are not part of the Pod Security Standards any more, but they weaken isolation all the same.
    """
    found = set(violations(spec, "restricted", metadata))
    if spec.get("shareProcessNamespace") is True:
        found.add(("spec.shareProcessNamespace", "containers see each other's processes"))
    for key, value in (metadata.get("annotations") or {}).items():
        if key.startswith(LEGACY_SECCOMP_ANNOTATIONS) and str(value) == "unconfined":
            found.add((f"metadata.annotations.{key}", "seccomp must not be unconfined"))
    return found
