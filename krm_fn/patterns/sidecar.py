"""Sidecar: run extra containers beside the app, sharing volumes with it.

What it changes: the sidecar containers, the pod `volumes` they share with the app, and the
`volumeMounts` added to the app containers (`appContainers`, default the pod's default container).

Native or plain: with `native: auto` (the default) and a target of Kubernetes 1.29 or newer
(`kubernetesVersion`, default 1.33), sidecars become native sidecars: init containers with
`restartPolicy: Always`, placed `first` among the init containers unless `position` says
otherwise. They start before the app (and before later init containers, so a proxy serves a
migration too), and they do not keep a Job from completing. With an older target they are plain
containers, and on a Job, a CronJob or a pod with `restartPolicy: Never/OnFailure` krm-fn warns
that the pod will not complete: the app's container ends, the sidecar's never does, and the pod
stays Running (the tests run both on a node: with the native sidecar the Job completes). Set
`kubernetesVersion` to the cluster's, or give the sidecar a way to stop. `native: true` on a
target older than 1.29 is an error.

Conflicts: a sidecar named like a container the workload already has is an error (rename it);
a volume of the same name and the same source is shared, with another source it is an error;
a mount path already used in an app container is an error; two containers on one port and
protocol are an error.

Seen running on the test node: the log shipper's sidecar streams the lines the app writes to its
file, injected at build time, by `helm install` with krm-fn as its post-renderer and by the webhook
pod (tests/test_node.py); a Job completes with its native sidecar and never with a plain one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.containers import complete
from krm_fn.patterns import Facts

if TYPE_CHECKING:
    from krm_fn.patterns.models.sidecar import NativeOption, SidecarOptions, Spec

NATIVE_SINCE = (1, 29)
RUN_TO_COMPLETION = {"Job", "CronJob"}


def check_no_restart_policy(containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sidecar containers set `native`, not restartPolicy."""
    for container in containers:
        if "restartPolicy" in container:
            raise ValueError(
                f'container "{container["name"]}": set `native` instead of restartPolicy'
            )
    return containers


def runs_to_completion(pod: PodEditor) -> bool:
    """Whether the pod should finish: a Job's, a CronJob's, or restartPolicy Never/OnFailure."""
    return pod.pod.kind in RUN_TO_COMPLETION or pod.spec.get("restartPolicy") in (
        "Never",
        "OnFailure",
    )


def use_native(spec: NativeOption, pod: PodEditor) -> bool | None:
    """Whether to inject native sidecars; None (after an error) when it cannot be done."""
    supported = spec.version_at_least(*NATIVE_SINCE)
    if spec.native is True and not supported:
        pod.error(
            f"native sidecars need Kubernetes 1.29 or newer, and kubernetesVersion is "
            f"{spec.kubernetes_version}: raise kubernetesVersion or set native: false"
        )
        return None
    native = supported if spec.native == "auto" else bool(spec.native)
    if not native and runs_to_completion(pod):
        pod.report(
            "warning",
            "a plain sidecar container keeps this pod from completing; native sidecars "
            "(Kubernetes 1.29+, native: auto or true) stop when the app is done",
        )
    return native


def inject_sidecars(spec: SidecarOptions, pod: PodEditor, containers: list[dict[str, Any]]) -> bool:
    """Add containers as native sidecars or plain containers; False when that cannot be done."""
    native = use_native(spec, pod)
    if native is None:
        return False
    containers = [complete(c, spec.resources) for c in containers]
    if native:
        sidecars = [{**c, "restartPolicy": "Always"} for c in containers]
        pod.add_init_containers(sidecars, spec.position)
    else:
        for container in containers:
            pod.add_container(container)
    return True


FACTS = Facts(
    example="sidecar-log-shipper",
    admission_policy="compiles",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Add the volumes, the sidecars and the app's mounts."""
    for volume in spec.volumes:
        pod.add_volume(volume)
    if not inject_sidecars(spec, pod, spec.containers):
        return
    for app in pod.app_containers(spec.app_containers) if spec.volume_mounts else []:
        for mount in spec.volume_mounts:
            pod.add_mount(app, mount)
