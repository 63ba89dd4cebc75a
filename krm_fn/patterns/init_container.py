"""InitContainer: run containers to completion, in order, before the app starts.

What it changes: the init containers, inserted together and in the given order at `position`
among the pod's own init containers (`first`, `last` (the default), `{before: NAME}`,
`{after: NAME}`); the pod `volumes` they fill; the `volumeMounts` added to the app containers.

Re-runs keep the order: krm-fn removes what it injected last time (the `krm-fn.dev/injected`
record) and inserts again at the same position, so a second run changes nothing and a changed
`position` moves the containers. An anchor the pod does not have is an error naming the init
containers it does have. Native sidecars injected earlier (by a `Sidecar` pattern) count as init
containers for positions.
"""

from typing import Any

from pydantic import Field, field_validator

from krm_fn.containers import INIT_RESOURCES, complete, with_overrides
from krm_fn.podspec import PodEditor
from krm_fn.spec import (
    Container,
    ContainerOverride,
    PatternSpec,
    Position,
    Resources,
    Volume,
    VolumeMount,
)
from krm_fn.yamlio import clone


class InitOptions(PatternSpec):
    """Fields of every pattern that injects init containers it builds itself."""

    position: Position = Field(
        "last",
        description="Where the init containers go among the pod's own: `first`, `last`, "
        "`{before: NAME}` or `{after: NAME}`.",
    )
    resources: Resources = Field(
        default_factory=lambda: clone(INIT_RESOURCES),
        description="requests and limits of the injected init containers (LimitRanges and quotas "
        "reject containers without them).",
    )
    container: ContainerOverride = Field(
        default_factory=dict,
        description="Container fields laid over the generated init containers (image, "
        "securityContext, env...).",
    )

    @field_validator("resources")
    @classmethod
    def _requests_and_limits(cls, value: Resources) -> Resources:
        unknown = set(value) - {"requests", "limits"}
        if unknown:
            raise ValueError(f"resources has requests and limits, not {', '.join(sorted(unknown))}")
        return value


def init_container(
    spec: InitOptions, container: dict[str, Any], security: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A generated init container, complete.

    The user's `container` overrides first, then the pattern's resources and the restricted
    security context (or `security`) where they set none.
    """
    return complete(with_overrides(container, spec.container), spec.resources, security)


def share_volume(
    pod: PodEditor,
    spec: PatternSpec,
    volume: dict[str, Any],
    app_path: str | None,
    read_only: bool = True,
) -> list[dict[str, Any]]:
    """Add a pod volume and mount it into the app containers; return those containers."""
    pod.add_volume(volume)
    apps = pod.app_containers(spec.app_containers) if app_path else []
    for app in apps:
        mount = {"name": volume["name"], "mountPath": app_path}
        if read_only:
            mount["readOnly"] = True
        pod.add_mount(app, mount)
    return apps


class Spec(PatternSpec):
    """Init containers to run before the app."""

    init_containers: list[Container] = Field(
        min_length=1,
        description="The init containers: full Kubernetes container specs, run in order.",
    )
    volumes: list[Volume] = Field(
        default_factory=list, description="Pod volumes the init containers (and the app) use."
    )
    volume_mounts: list[VolumeMount] = Field(
        default_factory=list,
        description="Mounts added to the app containers, e.g. the volume the init containers fill.",
    )
    position: Position = Field(
        "last",
        description="Where they go among existing init containers: `first`, `last`, "
        "`{before: NAME}` or `{after: NAME}`.",
    )
    resources: Resources = Field(
        default_factory=lambda: clone(INIT_RESOURCES),
        description="requests and limits of init containers that set none.",
    )


def inject(spec: Spec, pod: PodEditor) -> None:
    """Add the volumes, the init containers and the app's mounts."""
    for volume in spec.volumes:
        pod.add_volume(volume)
    containers = [complete(c, spec.resources) for c in spec.init_containers]
    pod.add_init_containers(containers, spec.position)
    for app in pod.app_containers(spec.app_containers) if spec.volume_mounts else []:
        for mount in spec.volume_mounts:
            pod.add_mount(app, mount)
