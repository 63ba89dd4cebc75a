"""The config model of ConfigReloader (docs and transform: krm_fn/patterns/config_reloader.py)."""

from typing import Literal

from pydantic import Field, model_validator

from krm_fn.patterns.config_reloader import check_one_method
from krm_fn.patterns.models.sidecar import SidecarOptions
from krm_fn.patterns.models.spec import ContainerOverride, DnsLabel, ImageRef, Model

HTTP_URL = r"^https?://"
PROCESS_NAME = r"^[A-Za-z0-9._][A-Za-z0-9._-]{0,14}$"  # as the kernel shows it: 15 characters


class HttpReload(Model):
    """Reload by an HTTP request."""

    url: str = Field(
        pattern=HTTP_URL, description="Reload endpoint, e.g. `http://127.0.0.1:9090/-/reload`."
    )
    method: Literal["POST", "GET"] = Field("POST", description="HTTP method.")


class SignalReload(Model):
    """Reload by a signal."""

    name: Literal["HUP", "USR1", "USR2", "TERM", "INT", "QUIT"] = Field(
        "HUP", description="The signal, e.g. `HUP` (nginx, HAProxy...)."
    )
    process: str = Field(
        pattern=PROCESS_NAME,
        description="The app's process name, e.g. `nginx`.",
    )


class Spec(SidecarOptions):
    """A sidecar that makes the app reload when its configuration changes."""

    watch: list[DnsLabel] = Field(
        min_length=1, description="Names of the pod's ConfigMap/Secret/projected volumes to watch."
    )
    http: HttpReload | None = Field(None, description="Reload by an HTTP request.")
    signal: SignalReload | None = Field(None, description="Reload by a signal to the app.")
    period_seconds: int = Field(5, ge=1, description="How often to look for changes.")
    image: ImageRef = Field(
        "busybox:1.36.1", description="Image with sh, find, md5sum, wget, killall."
    )
    container_name: DnsLabel = Field("config-reloader", description="Name of the sidecar.")
    container: ContainerOverride = Field(
        default_factory=dict, description="Fields laid over the generated container."
    )

    _one_method = model_validator(mode="after")(check_one_method)
