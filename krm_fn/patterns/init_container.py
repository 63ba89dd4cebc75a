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

from pydantic import Field

from krm_fn.podspec import PodEditor
from krm_fn.spec import Container, PatternSpec, Position, Volume, VolumeMount


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


def inject(spec: Spec, pod: PodEditor) -> None:
    """Add the volumes, the init containers and the app's mounts."""
    for volume in spec.volumes:
        pod.add_volume(volume)
    pod.add_init_containers(spec.init_containers, spec.position)
    for app in pod.app_containers(spec.app_containers) if spec.volume_mounts else []:
        for mount in spec.volume_mounts:
            pod.add_mount(app, mount)
