"""LogTailer: stream log files an app writes to disk to stdout, where the cluster collects logs.

What it changes: an `emptyDir` volume mounted at the app's log directory (`logDir`); optional app
env pointing the app's logs there (`appEnv`, e.g. Elasticsearch's `path.logs`), which replaces
an existing value and is put back if the pattern is removed; and a small container that follows
the files with `tail -F` (follow by name: it survives log rotation and waits for files that do
not exist yet) from a read-only mount, so `kubectl logs POD -c logs` shows them.

One container follows all files, or one container per file with `perFile: true`: the Kubernetes
logging docs recommend one stream per file, so that lines of different files never interleave
and each stream can be told apart. Tailers are native sidecars where the target allows (a Job
still finishes); `sizeLimit` bounds the volume (the kubelet evicts the pod beyond it); extra
`volumes` and `volumeMounts` for the app (e.g. a logging config file from a ConfigMap) can come
along; `container` overrides fields of the generated tailers (resources, securityContext...).

Seen running on the test node (tests/test_scenarios.py): the tailer's `kubectl logs` holds the
lines the app writes to its log file; with `perFile`, each file in a container of its own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.containers import with_overrides
from krm_fn.patterns import Facts
from krm_fn.patterns.sidecar import inject_sidecars

if TYPE_CHECKING:
    from krm_fn.patterns.models.log_tailer import Spec


def check_relative_file(value: str) -> str:
    """A file below a directory: relative, no `..`, printable."""
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or "" in parts or not value.isprintable():
        raise ValueError(f"{value!r} is not a file path relative to logDir (no '..')")
    return value


def _suffix(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "file"


def tailers(spec: Spec) -> list[dict[str, object]]:
    """The tailing containers: one for all files, or one per file."""
    groups = [[f] for f in spec.files] if spec.per_file else [spec.files]
    containers = []
    for group in groups:
        name = spec.container_name
        if spec.per_file:
            name = f"{spec.container_name}-{_suffix(group[0])}"[:63].rstrip("-")
        container = {
            "name": name,
            "image": spec.image,
            "command": ["tail", "-F", *(f"{spec.mount_path.rstrip('/')}/{f}" for f in group)],
            "volumeMounts": [
                {"name": spec.volume_name, "mountPath": spec.mount_path, "readOnly": True}
            ],
        }
        containers.append(with_overrides(container, spec.container))
    return containers


FACTS = Facts(
    example="elasticsearch-log-tailer",
    admission_policy="compiles",
    record_fields=frozenset(["envWas"]),
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Share the log directory through an emptyDir and follow the files from a sidecar."""
    apps = pod.app_containers(spec.app_containers)
    if not apps:
        return
    empty_dir = {"sizeLimit": spec.size_limit} if spec.size_limit else {}
    pod.add_volume({"name": spec.volume_name, "emptyDir": empty_dir})
    for volume in spec.volumes:
        pod.add_volume(volume)
    for app in apps:
        for env in spec.app_env:
            pod.add_env(app, env, override=True)
        pod.add_mount(app, {"name": spec.volume_name, "mountPath": spec.log_dir})
        for mount in spec.volume_mounts:
            pod.add_mount(app, mount)
    inject_sidecars(spec, pod, tailers(spec))
