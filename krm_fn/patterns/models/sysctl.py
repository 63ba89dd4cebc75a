"""The config model of Sysctl (docs and transform: krm_fn/patterns/sysctl.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field

from krm_fn.patterns.models.init_container import InitOptions
from krm_fn.patterns.models.spec import DnsLabel, ImageRef, Position
from krm_fn.patterns.sysctl import check_names


class Spec(InitOptions):
    """Kernel settings for the pod or, privileged, for the node."""

    sysctls: Annotated[dict[str, str], AfterValidator(check_names)] = Field(
        min_length=1,
        description="Sysctl names and values, e.g. `vm.max_map_count: '262144'`.",
    )
    allow_privileged: bool = Field(
        False,
        description="Allow a privileged init container for sysctls that are not namespaced "
        "and safe (required for them; reported as a warning).",
    )
    container_name: DnsLabel = Field("sysctl", description="Name of the privileged init container.")
    image: ImageRef = Field("busybox:1.36.1", description="Image with a `sysctl` command.")
    position: Position = Field(
        "first",
        description="Where the init container goes: `first`, `last`, `{before|after: NAME}`.",
    )
