"""Sidecar: run extra containers beside the app, sharing volumes with it.

What it changes: the sidecar containers, the pod `volumes` they share with the app, and the
`volumeMounts` added to the app containers (`appContainers`, default the pod's default container).

Native or plain: with `native: auto` (the default) and a target of Kubernetes 1.29 or newer
(`kubernetesVersion`, default 1.33), sidecars become native sidecars: init containers with
`restartPolicy: Always`, placed `first` among the init containers unless `position` says
otherwise. They start before the app (and before later init containers, so a proxy serves a
migration too), and they do not keep a Job from completing. With an older target they are plain
containers, and on a Job, a CronJob or a pod with `restartPolicy: Never/OnFailure` krm-fn warns
that the pod will not complete. `native: true` on a target older than 1.29 is an error.

Conflicts: a sidecar named like a container the workload already has is an error (rename it);
a volume of the same name and the same source is shared, with another source it is an error;
a mount path already used in an app container is an error; two containers on one port and
protocol are an error.
"""

from typing import Any, Literal

from pydantic import Field, field_validator

from krm_fn.containers import SIDECAR_RESOURCES, complete
from krm_fn.podspec import PodEditor
from krm_fn.spec import Container, PatternSpec, Position, Resources, Volume, VolumeMount
from krm_fn.yamlio import clone

NATIVE_SINCE = (1, 29)
RUN_TO_COMPLETION = {"Job", "CronJob"}


class NativeOption(PatternSpec):
    """Whether sidecars are native sidecars."""

    native: Literal["auto", True, False] = Field(
        "auto",
        description="`true`: native sidecars (init containers with restartPolicy Always); "
        "`false`: plain containers; `auto`: native when kubernetesVersion is 1.29 or newer.",
    )


class SidecarOptions(NativeOption):
    """Fields of every pattern that runs a container beside the app."""

    resources: Resources = Field(
        default_factory=lambda: clone(SIDECAR_RESOURCES),
        description="requests and limits of injected containers that set none (LimitRanges "
        "and quotas reject containers without them).",
    )

    position: Position = Field(
        "first",
        description="Where native sidecars go among the init containers: `first`, `last`, "
        "`{before: NAME}` or `{after: NAME}`.",
    )


class Spec(SidecarOptions):
    """Containers to run beside the app."""

    containers: list[Container] = Field(
        min_length=1, description="The sidecar containers: full Kubernetes container specs."
    )
    volumes: list[Volume] = Field(
        default_factory=list, description="Pod volumes the sidecars (and the app) use."
    )
    volume_mounts: list[VolumeMount] = Field(
        default_factory=list,
        description="Mounts added to the app containers, e.g. a shared volume.",
    )

    @field_validator("containers")
    @classmethod
    def _no_restart_policy(cls, containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def inject(spec: Spec, pod: PodEditor) -> None:
    """Add the volumes, the sidecars and the app's mounts."""
    for volume in spec.volumes:
        pod.add_volume(volume)
    if not inject_sidecars(spec, pod, spec.containers):
        return
    for app in pod.app_containers(spec.app_containers) if spec.volume_mounts else []:
        for mount in spec.volume_mounts:
            pod.add_mount(app, mount)
