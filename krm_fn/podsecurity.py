"""The Pod Security Standards, checked at build time as the PodSecurity admission would.

`violations(spec, level)` lists what the API server would reject for a pod spec in a namespace
enforcing `baseline` or `restricted` (the latest version of each level), each with the field.
"""

from collections.abc import Iterator
from typing import Any

LEVELS = ("privileged", "baseline", "restricted")
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"

BASELINE_CAPABILITIES = frozenset(
    "AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID KILL MKNOD NET_BIND_SERVICE SETFCAP SETGID "
    "SETPCAP SETUID SYS_CHROOT".split()
)
SAFE_SYSCTLS = frozenset(
    "kernel.shm_rmid_forced net.ipv4.ip_local_port_range net.ipv4.ip_unprivileged_port_start "
    "net.ipv4.tcp_syncookies net.ipv4.ping_group_range net.ipv4.ip_local_reserved_ports "
    "net.ipv4.tcp_keepalive_time net.ipv4.tcp_fin_timeout net.ipv4.tcp_keepalive_intvl "
    "net.ipv4.tcp_keepalive_probes net.ipv4.tcp_rmem net.ipv4.tcp_wmem".split()
)
RESTRICTED_VOLUMES = frozenset(
    "configMap csi downwardAPI emptyDir ephemeral persistentVolumeClaim projected secret "
    "image".split()
)
SELINUX_TYPES = frozenset(
    ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"]
)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

Violation = tuple[str, str]  # (field path within the pod spec, what is wrong)


def containers(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every container of a pod spec, with its field path."""
    for key in CONTAINER_LISTS:
        for container in spec.get(key) or []:
            if isinstance(container, dict):
                yield f"spec.{key}[name={container.get('name')}]", container


def violations(
    spec: dict[str, Any], level: str, metadata: dict[str, Any] | None = None
) -> list[Violation]:
    """What a namespace enforcing `level` would reject in this pod spec."""
    if level not in ("baseline", "restricted"):
        return []
    found = list(_baseline(spec, metadata or {}))
    if level == "restricted":
        found += _restricted(spec)
    return found


def _baseline(spec: dict[str, Any], metadata: dict[str, Any]) -> Iterator[Violation]:
    pod_security = spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(field):
            yield f"spec.{field}", "must not share the host's namespaces"
    if (pod_security.get("windowsOptions") or {}).get("hostProcess"):
        yield "spec.securityContext.windowsOptions.hostProcess", "must not be true"
    yield from _seccomp_unconfined(pod_security, "spec.securityContext")
    yield from _selinux(pod_security, "spec.securityContext")
    if (pod_security.get("appArmorProfile") or {}).get("type") == "Unconfined":
        yield "spec.securityContext.appArmorProfile.type", "must not be Unconfined"
    for sysctl in pod_security.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            yield (
                "spec.securityContext.sysctls",
                f"sysctl {sysctl.get('name')} is not in the safe set",
            )
    for volume in spec.get("volumes") or []:
        if "hostPath" in volume:
            yield f"spec.volumes[name={volume.get('name')}]", "hostPath volumes are not allowed"
    annotations = metadata.get("annotations") or {}
    for key, value in annotations.items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
            value == "runtime/default" or str(value).startswith("localhost/")
        ):
            yield f"metadata.annotations.{key}", "AppArmor must be runtime/default or localhost/*"
    for path, container in containers(spec):
        security = container.get("securityContext") or {}
        if security.get("privileged"):
            yield f"{path}.securityContext.privileged", "privileged containers are not allowed"
        if (security.get("windowsOptions") or {}).get("hostProcess"):
            yield f"{path}.securityContext.windowsOptions.hostProcess", "must not be true"
        added = set((security.get("capabilities") or {}).get("add") or [])
        if added - BASELINE_CAPABILITIES:
            extra = ", ".join(sorted(added - BASELINE_CAPABILITIES))
            yield f"{path}.securityContext.capabilities.add", f"{extra} beyond the baseline set"
        if security.get("procMount") not in (None, "Default"):
            yield f"{path}.securityContext.procMount", "must be Default"
        if (security.get("appArmorProfile") or {}).get("type") == "Unconfined":
            yield f"{path}.securityContext.appArmorProfile.type", "must not be Unconfined"
        yield from _seccomp_unconfined(security, f"{path}.securityContext")
        yield from _selinux(security, f"{path}.securityContext")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                yield f"{path}.ports", f"hostPort {port['hostPort']} is not allowed"


def _seccomp_unconfined(security: dict[str, Any], path: str) -> Iterator[Violation]:
    if (security.get("seccompProfile") or {}).get("type") == "Unconfined":
        yield f"{path}.seccompProfile.type", "must not be Unconfined"


def _selinux(security: dict[str, Any], path: str) -> Iterator[Violation]:
    options = security.get("seLinuxOptions") or {}
    if options.get("type", "") not in SELINUX_TYPES:
        yield f"{path}.seLinuxOptions.type", f"type {options['type']} is not allowed"
    for field in ("user", "role"):
        if options.get(field):
            yield f"{path}.seLinuxOptions.{field}", "must not be set"


def _restricted(spec: dict[str, Any]) -> Iterator[Violation]:
    pod_security = spec.get("securityContext") or {}
    for volume in spec.get("volumes") or []:
        kinds = set(volume) - {"name", "hostPath"}  # hostPath: already a baseline violation
        if kinds and not kinds <= RESTRICTED_VOLUMES:
            yield (
                f"spec.volumes[name={volume.get('name')}]",
                f"{', '.join(sorted(kinds))} volumes are not allowed",
            )
    pod_non_root = pod_security.get("runAsNonRoot") is True
    pod_seccomp = (pod_security.get("seccompProfile") or {}).get("type") in (
        "RuntimeDefault",
        "Localhost",
    )
    if pod_security.get("runAsUser") == 0:
        yield "spec.securityContext.runAsUser", "must not be 0"
    for path, container in containers(spec):
        security = container.get("securityContext") or {}
        where = f"{path}.securityContext"
        if security.get("allowPrivilegeEscalation") is not False:
            yield f"{where}.allowPrivilegeEscalation", "must be false"
        non_root = security.get("runAsNonRoot")
        if non_root is False or (non_root is None and not pod_non_root):
            yield f"{where}.runAsNonRoot", "must be true (here or in the pod's securityContext)"
        if security.get("runAsUser") == 0:
            yield f"{where}.runAsUser", "must not be 0"
        seccomp = (security.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost") and not (seccomp is None and pod_seccomp):
            yield f"{where}.seccompProfile.type", "must be RuntimeDefault or Localhost"
        capabilities = security.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or []):
            yield f"{where}.capabilities.drop", "must include ALL"
        if set(capabilities.get("add") or []) - {"NET_BIND_SERVICE"}:
            yield f"{where}.capabilities.add", "may only add NET_BIND_SERVICE"


LEGACY_SECCOMP_ANNOTATIONS = (
    "seccomp.security.alpha.kubernetes.io/pod",
    "container.seccomp.security.alpha.kubernetes.io/",
)


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
