"""The config model of Sidecar (docs and transform: krm_fn/patterns/sidecar.py)."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from krm_fn.kube.containers import sidecar_resources
from krm_fn.patterns.models.spec import (
    Container,
    PatternSpec,
    Position,
    Resources,
    Volume,
    VolumeMount,
)
from krm_fn.patterns.sidecar import check_no_restart_policy


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
        default_factory=sidecar_resources,
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

    containers: Annotated[list[Container], AfterValidator(check_no_restart_policy)] = Field(
        min_length=1, description="The sidecar containers: full Kubernetes container specs."
    )
    volumes: list[Volume] = Field(
        default_factory=list, description="Pod volumes the sidecars (and the app) use."
    )
    volume_mounts: list[VolumeMount] = Field(
        default_factory=list,
        description="Mounts added to the app containers, e.g. a shared volume.",
    )
