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
"""

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from krm_fn.containers import with_overrides
from krm_fn.patterns.sidecar import SidecarOptions, inject_sidecars
from krm_fn.podspec import PodEditor
from krm_fn.spec import AbsolutePath, ContainerOverride, DnsLabel, EnvVar, Volume, VolumeMount


def check_relative_file(value: str) -> str:
    """A file below a directory: relative, no `..`, printable."""
    parts = value.split("/")
    if value.startswith("/") or ".." in parts or "" in parts or not value.isprintable():
        raise ValueError(f"{value!r} is not a file path relative to logDir (no '..')")
    return value


class Spec(SidecarOptions):
    """Log files to stream to stdout."""

    log_dir: AbsolutePath = Field(
        description="Directory in the app container where the app writes its logs."
    )
    files: list[Annotated[str, AfterValidator(check_relative_file)]] = Field(
        min_length=1,
        description="Log files to follow, relative to logDir, e.g. `docker-cluster_server.json`.",
    )
    per_file: bool = Field(False, description="One tailing container per file.")
    container_name: DnsLabel = Field(
        "logs", description="Name of the tailing container (with `perFile`: the prefix)."
    )
    image: str = Field("busybox:1.36.1", description="Image with a `tail` that supports -F.")
    volume_name: DnsLabel = Field("logs", description="Name of the shared emptyDir volume.")
    mount_path: AbsolutePath = Field(
        "/logs", description="Where the tailing container sees the log directory."
    )
    size_limit: str | None = Field(
        None, description="sizeLimit of the emptyDir, e.g. `500Mi`; unset: no limit."
    )
    app_env: list[EnvVar] = Field(
        default_factory=list,
        description="Env set in the app so it writes its logs to logDir, e.g. "
        "`{name: path.logs, value: /var/log/elasticsearch}`.",
    )
    volumes: list[Volume] = Field(
        default_factory=list, description="Other pod volumes the app needs for logging."
    )
    volume_mounts: list[VolumeMount] = Field(
        default_factory=list, description="Other mounts for the app, e.g. a logging config file."
    )
    container: ContainerOverride = Field(
        default_factory=dict,
        description="Container fields laid over every tailing container (resources, ...).",
    )


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
