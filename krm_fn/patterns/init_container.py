"""InitContainer: run containers to completion, in order, before the app starts.

What it changes: the init containers, inserted together and in the given order at `position`
among the pod's own init containers (`first`, `last` (the default), `{before: NAME}`,
`{after: NAME}`); the pod `volumes` they fill; the `volumeMounts` added to the app containers.

Re-runs keep the order: krm-fn removes what it injected last time (the `krm-fn.dev/injected`
record) and inserts again at the same position, so a second run changes nothing and a changed
`position` moves the containers. An anchor the pod does not have is an error naming the init
containers it does have. Native sidecars injected earlier (by a `Sidecar` pattern) count as init
containers for positions.

Seen running on the test node (tests/test_scenarios.py): the init containers ran in the configured
order, by what each wrote and by their start and finish times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.containers import complete, with_overrides
from krm_fn.patterns import Facts

if TYPE_CHECKING:
    from krm_fn.patterns.models.init_container import InitOptions, Spec
    from krm_fn.patterns.models.spec import PatternSpec


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


FACTS = Facts(
    example="init-container-ordering",
    admission_policy="compiles",
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
