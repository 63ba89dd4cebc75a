"""InitContainer: run containers to completion, in order, before the app starts.

They go at a chosen position among the pod's own init containers (`first`, `last`,
`{before: NAME}`, `{after: NAME}`) and keep it on every re-run.
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
