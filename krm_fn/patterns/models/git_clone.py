"""The config model of GitClone (docs and transform: krm_fn/patterns/git_clone.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from krm_fn.patterns.git_clone import check_duration, check_ref, check_repository
from krm_fn.patterns.models.init_container import InitOptions
from krm_fn.patterns.models.sidecar import NativeOption
from krm_fn.patterns.models.spec import AbsolutePath, DnsLabel, FileName, ImageRef


class Spec(InitOptions, NativeOption):
    """A git repository cloned into a volume the app serves or reads."""

    repository: Annotated[str, AfterValidator(check_repository)] = Field(
        description="Repository URL, e.g. `https://...git`."
    )
    ref: Annotated[str, AfterValidator(check_ref)] | None = Field(
        None, description="Branch or tag; unset: the default branch."
    )
    depth: int = Field(1, ge=0, description="History depth; 0 clones the whole history.")
    mount_path: AbsolutePath = Field(description="Where the app sees the content.")
    volume_name: DnsLabel = Field("source", description="Name of the shared emptyDir.")
    container_name: DnsLabel = Field("git-clone", description="Name of the init container.")
    image: ImageRef = Field("alpine/git:2.45.2", description="Image with git.")
    sync: bool = Field(False, description="Keep the content current with a git-sync sidecar.")
    sync_image: ImageRef = Field(
        "registry.k8s.io/git-sync/git-sync:v4.4.0", description="The git-sync image."
    )
    sync_period: Annotated[str, AfterValidator(check_duration)] = Field(
        "60s", description="How often git-sync pulls."
    )
    sync_link: FileName = Field(
        "current", description="git-sync's symlink to the current revision."
    )
