"""The config model of Adapter (docs and transform: krm_fn/patterns/adapter.py)."""

from typing import Literal

from pydantic import Field

from krm_fn.patterns.models.sidecar import SidecarOptions
from krm_fn.patterns.models.spec import AbsolutePath, Container, PortName, PortNumber


class Spec(SidecarOptions):
    """An exporter beside the app, and the ports and scrape config to reach it."""

    container: Container = Field(
        description="The adapter container: a full container spec (name, image, args...)."
    )
    port: PortNumber = Field(description="Port the adapter serves on, e.g. 9114.")
    port_name: PortName = Field(
        "metrics", description="Name of that port on the container and the Services."
    )
    path: AbsolutePath = Field("/metrics", description="HTTP path of the metrics.")
    services: bool = Field(
        True, description="Add the port to every Service of the input that selects the workload."
    )
    prometheus_annotations: bool = Field(
        False, description="Set `prometheus.io/scrape`, `/port` and `/path` pod annotations."
    )
    monitor: Literal["none", "ServiceMonitor", "PodMonitor"] = Field(
        "none", description="Generate a Prometheus Operator ServiceMonitor or PodMonitor."
    )
    monitor_labels: dict[str, str] = Field(
        default_factory=dict,
        description="Labels of the generated monitor (what your Prometheus selects, e.g. "
        "`release: prometheus`).",
    )
    interval: str | None = Field(None, description="Scrape interval of the monitor, e.g. `30s`.")
