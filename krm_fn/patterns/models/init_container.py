"""The config model of InitContainer (docs and transform: krm_fn/patterns/init_container.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from krm_fn.kube.containers import init_resources
from krm_fn.patterns.checks import check_requests_and_limits
from krm_fn.patterns.models.spec import (
    Container,
    ContainerOverride,
    PatternSpec,
    Position,
    Resources,
    Volume,
    VolumeMount,
)


class InitOptions(PatternSpec):
    """Fields of every pattern that injects init containers it builds itself."""

    position: Position = Field(
        "last",
        description="Where the init containers go among the pod's own: `first`, `last`, "
        "`{before: NAME}` or `{after: NAME}`.",
    )
    resources: Annotated[Resources, AfterValidator(check_requests_and_limits)] = Field(
        default_factory=init_resources,
        description="requests and limits of the injected init containers (LimitRanges and quotas "
        "reject containers without them).",
    )
    container: ContainerOverride = Field(
        default_factory=dict,
        description="Container fields laid over the generated init containers (image, "
        "securityContext, env...).",
    )


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
        default_factory=init_resources,
        description="requests and limits of init containers that set none.",
    )
