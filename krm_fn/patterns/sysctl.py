"""Sysctl: kernel settings an app needs, the safe way where there is one.

Kubernetes knows two kinds of sysctls. **Namespaced safe sysctls** (the set the kubelet allows by
default: `kernel.shm_rmid_forced`, `net.ipv4.ip_local_port_range`, `net.ipv4.tcp_syncookies`,
`net.ipv4.ping_group_range`, `net.ipv4.ip_unprivileged_port_start`, and from 1.27
`net.ipv4.ip_local_reserved_ports`, from 1.29 `net.ipv4.tcp_keepalive_time|intvl|probes` and
`net.ipv4.tcp_fin_timeout`, from 1.32 `net.ipv4.tcp_rmem|wmem`) apply to the pod alone: krm-fn
puts them into the pod's `securityContext.sysctls`, with no extra container and no privilege,
which every Pod Security level accepts.

**Everything else** (Elasticsearch's `vm.max_map_count=262144`, node-wide and not namespaced)
can only be set from a privileged container, which changes the node for every pod on it. krm-fn
then adds a short-lived init container running `sysctl -w`, privileged, so the app itself stays
unprivileged. Because that is dangerous, it refuses unless the config says
`allowPrivileged: true`, and even then reports a warning naming the workload: the baseline and
restricted Pod Security levels reject the pod, so its namespace must allow privileged pods.

Seen running on the test node (tests/test_scenarios.py): the namespaced sysctl in the pod's
/proc/sys; the node's sysctl set by the privileged init container only with `allowPrivileged`
(refused without it), the host's value put back after.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.patterns import Facts
from krm_fn.patterns.init_container import init_container

if TYPE_CHECKING:
    from krm_fn.patterns.models.sysctl import Spec

SAFE_SINCE: dict[str, tuple[int, int]] = {
    "kernel.shm_rmid_forced": (1, 0),
    "net.ipv4.ip_local_port_range": (1, 0),
    "net.ipv4.tcp_syncookies": (1, 0),
    "net.ipv4.ping_group_range": (1, 18),
    "net.ipv4.ip_unprivileged_port_start": (1, 22),
    "net.ipv4.ip_local_reserved_ports": (1, 27),
    "net.ipv4.tcp_keepalive_time": (1, 29),
    "net.ipv4.tcp_fin_timeout": (1, 29),
    "net.ipv4.tcp_keepalive_intvl": (1, 29),
    "net.ipv4.tcp_keepalive_probes": (1, 29),
    "net.ipv4.tcp_rmem": (1, 32),
    "net.ipv4.tcp_wmem": (1, 32),
}
PRIVILEGED = {"privileged": True, "runAsUser": 0, "runAsNonRoot": False}


def check_names(value: dict[str, str]) -> dict[str, str]:
    """Sysctl names as the kernel spells them."""
    for name, setting in value.items():
        if not re.fullmatch(r"[a-z0-9_]+([./][a-z0-9_]+)*", name):
            raise ValueError(f'"{name}" is not a sysctl name')
        if not re.fullmatch(r"[-A-Za-z0-9_. \t]+", setting):
            raise ValueError(f'sysctl {name}: "{setting}" is not a plain value')
    return value


def command(sysctls: dict[str, str]) -> str:
    """The shell command that sets node-level sysctls."""
    return " && ".join(f"sysctl -w {name}='{value}'" for name, value in sysctls.items())


FACTS = Facts(
    example="elasticsearch-sysctl",
    admission_policy="compiles (the privileged init container too, with `allowPrivileged: true`)",
    record_fields=frozenset(["sysctls"]),
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Safe sysctls into the pod's securityContext, the rest through a privileged init container."""
    node_level = {}
    for name, value in spec.sysctls.items():
        since = SAFE_SINCE.get(name)
        if since and spec.version_at_least(*since):
            pod.add_pod_sysctl(name, value)
        else:
            node_level[name] = value
    if not node_level:
        return
    names = ", ".join(node_level)
    if not spec.allow_privileged:
        pod.error(
            f"{names} can only be set by a privileged container, which changes the node for every "
            "pod on it; set allowPrivileged: true to accept that",
            "spec.initContainers",
        )
        return
    pod.report(
        "warning",
        f"privileged init container {spec.container_name} sets {names} on the node; the "
        "baseline and restricted Pod Security levels reject this pod",
        f"spec.initContainers[name={spec.container_name}]",
    )
    pod.accept_privilege(spec.container_name)
    container = {
        "name": spec.container_name,
        "image": spec.image,
        "command": ["sh", "-c", command(node_level)],
    }
    pod.add_init_containers([init_container(spec, container, PRIVILEGED)], spec.position)
