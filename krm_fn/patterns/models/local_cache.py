"""The config model of LocalCache (docs and transform: krm_fn/patterns/local_cache.py)."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from krm_fn.patterns.local_cache import check_quantity
from krm_fn.patterns.models.sidecar import SidecarOptions
from krm_fn.patterns.models.spec import ContainerOverride, DnsLabel, EnvVar, ImageRef, PortNumber


class Spec(SidecarOptions):
    """An in-pod cache on localhost."""

    engine: Literal["redis", "memcached"] = Field("redis", description="Which cache.")
    image: ImageRef | None = Field(None, description="Image; default a pinned official one.")
    port: PortNumber | None = Field(None, description="Port on 127.0.0.1; default the engine's.")
    memory: Annotated[str, AfterValidator(check_quantity)] = Field(
        "256Mi", description="Memory request and limit of the cache container."
    )
    cpu: Annotated[str, AfterValidator(check_quantity)] = Field(
        "50m", description="CPU request of the cache container."
    )
    eviction_policy: Literal[
        "noeviction",
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] = Field("allkeys-lru", description="Redis maxmemory-policy.")
    app_env: list[EnvVar] = Field(
        default_factory=list, description="Env for the app, e.g. where the cache is."
    )
    container_name: DnsLabel | None = Field(None, description="Name; default the engine's.")
    container: ContainerOverride = Field(
        default_factory=dict, description="Fields laid over the generated container."
    )
