"""The config model of Migration (docs and transform: krm_fn/patterns/migration.py)."""

from pydantic import Field

from krm_fn.patterns.migration import migration_resources
from krm_fn.patterns.models.init_container import InitOptions
from krm_fn.patterns.models.spec import DnsLabel, ImageRef, Resources


class Spec(InitOptions):
    """A migration command run with the app's image and settings."""

    command: list[str] = Field(min_length=1, description="The migration command.")
    args: list[str] = Field(default_factory=list, description="Its arguments.")
    image: ImageRef | None = Field(None, description="Image; default the app container's image.")
    container_name: DnsLabel = Field("migrate", description="Name of the init container.")
    copy_env: bool = Field(True, description="Copy the app container's env and envFrom.")
    copy_volume_mounts: bool = Field(False, description="Copy the app container's volumeMounts.")
    resources: Resources = Field(
        default_factory=migration_resources,
        description="requests and limits of the migration (its own, often above the app's).",
    )
