"""The config model of Ambassador (docs and transform: krm_fn/patterns/ambassador.py)."""

from typing import Literal

from pydantic import Field, model_validator

from krm_fn.patterns.ambassador import check_one_direction
from krm_fn.patterns.models.sidecar import SidecarOptions
from krm_fn.patterns.models.spec import (
    ContainerOverride,
    DnsLabel,
    DnsName,
    EnvVar,
    Host,
    ImageRef,
    Model,
    PortName,
    PortNumber,
    ServerName,
)


class Tls(Model):
    """The proxy's TLS settings."""

    secret_name: DnsName = Field(
        description="Secret with `tls.crt` and `tls.key` (the cert-manager layout)."
    )
    client_ca_secret_name: DnsName | None = Field(
        None,
        alias="clientCASecretName",
        description="Mutual TLS: Secret with `ca.crt`; clients must present a certificate "
        "signed by it.",
    )
    plain_http: Literal["reject", "redirect"] = Field(
        "reject",
        description="Plain HTTP on the TLS port: `reject` (nginx's 400) or `redirect` (301).",
    )


class Inbound(Model):
    """TLS in front of the app."""

    port: PortNumber = Field(description="The port clients use today; the proxy takes it over.")
    app_port: PortNumber = Field(description="The localhost port the app moves to.")
    port_name: PortName = Field("https", description="Name of the proxy's port.")
    server_name: ServerName | None = Field(
        None, description="nginx server_name (a host name, `*.` allowed); default the workload."
    )
    tls: Tls = Field(description="Certificate, key, and client verification.")
    health_port: PortNumber | None = Field(
        None,
        description="With mutual TLS: a plain-HTTP port of the proxy answering only the app's "
        "HTTP probe paths, for the kubelet (which has no client certificate).",
    )


class Remote(Model):
    """A remote TLS service."""

    host: Host = Field(description="Host name or IP address (also the TLS name checked).")
    port: PortNumber = Field(description="Port.")


class Outbound(Model):
    """A local plaintext endpoint for a remote TLS service."""

    local_port: PortNumber = Field(description="Port on 127.0.0.1 the app connects to.")
    remote: Remote = Field(description="The remote service, reached over TLS.")
    ca_secret_name: DnsName | None = Field(
        None, description="Secret with `ca.crt` to verify the remote; default the image's CAs."
    )
    client_cert_secret_name: DnsName | None = Field(
        None, description="Secret with `tls.crt`/`tls.key` presented to the remote (mTLS)."
    )


class Spec(SidecarOptions):
    """A proxy container between the app and the network."""

    inbound: Inbound | None = Field(None, description="TLS in front of the app.")
    outbound: Outbound | None = Field(
        None, description="A local plaintext endpoint for a remote TLS service."
    )
    container_name: DnsLabel = Field("nginx-proxy", description="Name of the proxy container.")
    image: ImageRef = Field(
        "nginx:1.27.3", description="Proxy image (nginx unless command is set)."
    )
    command: list[str] | None = Field(
        None, description="Outbound only: run this proxy instead of the generated nginx."
    )
    args: list[str] | None = Field(None, description="Outbound only: arguments of `command`.")
    config_map_name: DnsName | None = Field(
        None, description="Name of the generated nginx ConfigMap; default `<workload>-nginx`."
    )
    app_env: list[EnvVar] = Field(
        default_factory=list,
        description="Env that moves the app (replaces existing values; restored on removal).",
    )
    app_args: list[str] = Field(
        default_factory=list, description="Arguments appended to the app's args to move it."
    )
    container: ContainerOverride = Field(
        default_factory=dict, description="Fields laid over the generated proxy container."
    )

    _one_direction = model_validator(mode="after")(check_one_direction)
