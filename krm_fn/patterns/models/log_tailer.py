"""The config model of LogTailer (docs and transform: krm_fn/patterns/log_tailer.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from krm_fn.patterns.log_tailer import check_relative_file
from krm_fn.patterns.models.sidecar import SidecarOptions
from krm_fn.patterns.models.spec import (
    AbsolutePath,
    ContainerOverride,
    DnsLabel,
    EnvVar,
    ImageRef,
    Volume,
    VolumeMount,
)


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
    image: ImageRef = Field("busybox:1.36.1", description="Image with a `tail` that supports -F.")
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
