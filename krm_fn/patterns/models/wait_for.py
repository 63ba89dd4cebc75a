"""The config model of WaitFor (docs and transform: krm_fn/patterns/wait_for.py)."""

from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from krm_fn.patterns.models.init_container import InitOptions
from krm_fn.patterns.models.spec import DnsLabel, Host, HttpUrl, ImageRef, Position
from krm_fn.patterns.wait_for import check_host_port, check_something


class Spec(InitOptions):
    """Dependencies to wait for."""

    tcp: Annotated[list[str], AfterValidator(check_host_port)] = Field(
        default_factory=list, description="`host:port` to connect to."
    )
    http: list[HttpUrl] = Field(default_factory=list, description="URLs that must answer 2xx.")
    dns: list[Host] = Field(default_factory=list, description="Names that must resolve.")
    timeout_seconds: int = Field(300, ge=1, description="Give up (and fail) after this long.")
    interval_seconds: int = Field(2, ge=1, description="Pause between attempts.")
    image: ImageRef = Field("busybox:1.36.1", description="Image with sh, nc, wget and nslookup.")
    container_name: DnsLabel = Field("wait-for", description="Name of the init container.")
    position: Position = Field(
        "first", description="Where the init container goes (first: before migrations)."
    )

    _something = model_validator(mode="after")(check_something)
