"""Ambassador: a proxy container in the pod that stands between the app and the network.

**Inbound** (`inbound:`, TLS in front of an app that speaks plain HTTP): the proxy (nginx, image
pinned, configurable) takes over the port clients use (`port`, e.g. 9200) with TLS, certificate
and key from a Secret (`tls.secretName`, keys `tls.crt`/`tls.key`, the cert-manager layout), and
forwards to the app on `127.0.0.1:appPort`. The app is told to move by `appEnv` (Elasticsearch:
`network.host=127.0.0.1`, `http.port=9201`) or `appArgs`. What follows, so nothing breaks:

- the app's `containerPort` for `port` is removed (the proxy now declares it, named `portName`);
  Services of the input that targeted the old port's name are pointed at the new name, and
  Services that target the number keep working unchanged: the number now lands on the proxy;
- the app's HTTP probes on that port go through the proxy with `scheme: HTTPS` (the kubelet does
  not check certificates); TCP probes check the proxy's port. With mutual TLS the kubelet has no
  client certificate, so HTTP probes go to `healthPort`, a plain-HTTP server of the proxy that
  answers exactly the probe paths and nothing else;
- a port another container already uses (`port` or `appPort`) is an error, and so is a `port`
  the app does not declare (a warning when it declares no ports at all).

Everything that reaches nginx is checked first, so no value can add a directive: `serverName`
(default: the workload's name) and `remote.host` must be host names or IP addresses, and a probe
path that the health port serves must be a plain URL path (letters, digits, `/` and
`- . _ ~ ! & ( ) * + , = : @`); anything else is an error naming the field.

The nginx configuration is a ConfigMap krm-fn generates (`configMapName`, default
`<workload>-nginx`, key `<workload>.conf`, mounted read-only at /etc/nginx/conf.d), next to the
workload; its SHA-256 goes into a pod annotation, so a changed config rolls the pods. Mutual TLS:
`tls.clientCASecretName` (key `ca.crt`) makes nginx require client certificates signed by that
CA. Plain HTTP on the TLS port: `plainHttp: reject` (nginx's "400 The plain HTTP request was sent
to HTTPS port", the default) or `redirect` (301 to https://).

**Outbound** (`outbound:`, a local plaintext endpoint for a remote TLS service: Redis without
TLS support, a managed database): the app connects to `127.0.0.1:localPort`; nginx's stream
proxy opens TLS to `remote.host:remote.port`, verifying it against the image's CA bundle or
`caSecretName` (`ca.crt`), optionally with a client certificate (`clientCertSecretName`). Its
whole nginx.conf is generated (stream proxies live outside `http {}`) and mounted with subPath.
Another proxy instead (Cloud SQL Auth Proxy, ghostunnel...): set `image` and `command`/`args`;
nothing is generated then.

The proxy is a native sidecar where the target allows (it is up before the app starts, and it
does not keep a Job running), `container` overrides fields of the generated container (resources,
securityContext...). Like every container krm-fn injects, nginx runs as a non-root user with a
read-only root filesystem and no capabilities (the restricted Pod Security profile): the
generated config replaces the image's default server on port 80, emptyDirs take what nginx
writes (/var/cache/nginx and /var/run; /tmp outbound), and a port below 1024 adds only
NET_BIND_SERVICE, which restricted allows.

Seen running on the test node (tests/test_scenarios.py): HTTPS to the pod and to its Service gets
the app's answer while the app listens on 127.0.0.1 only, and the pod is Ready through the proxy;
with `clientCASecretName` a client without a certificate is refused; outbound, the app's plain HTTP
to localhost reaches a TLS server in another pod, which sees TLS.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.containers import with_overrides
from krm_fn.manifests.yamlio import clone
from krm_fn.patterns import Facts
from krm_fn.patterns.checks import DNS_NAME, check_server_name
from krm_fn.patterns.sidecar import inject_sidecars

if TYPE_CHECKING:
    from krm_fn.patterns.models.ambassador import Inbound, Outbound, Spec

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
CONF_DIR = "/etc/nginx/conf.d"
CERTS = "/certs"
CLIENT_CA = "/client-ca"
REMOTE_CA = "/remote-ca"
CLIENT_CERT = "/client-cert"
SYSTEM_CAS = "/etc/ssl/certs/ca-certificates.crt"
# What a probe path may hold to become an nginx `location = PATH`: a plain URL path, no
# characters nginx gives a meaning (`;`, `{`, `}`, quotes, `#`, `$`, spaces, `\`), no
# percent-escapes (nginx decodes them before matching) and no `.`/`..` segments or `//`.
PROBE_PATH = re.compile(r"^/(?:[A-Za-z0-9._~!&()*+,=:@-]+/?)*$")


def check_one_direction(spec: Spec) -> Spec:
    """An Ambassador is inbound or outbound, not both, not neither."""
    if (spec.inbound is None) == (spec.outbound is None):
        raise ValueError("set exactly one of `inbound` and `outbound`")
    custom = spec.command is not None or spec.args is not None
    if custom and spec.inbound is not None:
        raise ValueError("`command` and `args` are for outbound proxies of your own")
    if (
        custom
        and spec.outbound
        and (spec.outbound.ca_secret_name or spec.outbound.client_cert_secret_name)
    ):
        raise ValueError(
            "caSecretName and clientCertSecretName configure the generated nginx; "
            "with your own `command`, mount them through `container`"
        )
    return spec


def _short(*parts: str) -> str:
    return "-".join(parts)[:63].rstrip("-")


def nginx_inbound(inbound: Inbound, server_name: str, probe_paths: list[str]) -> str:
    """The nginx server blocks (for conf.d) that terminate TLS and forward to the app."""
    tls = inbound.tls
    lines = [
        "server {",
        f"    listen {inbound.port} ssl;",
        f"    server_name {server_name};",
        f"    ssl_certificate {CERTS}/tls.crt;",
        f"    ssl_certificate_key {CERTS}/tls.key;",
        "    ssl_protocols TLSv1.2 TLSv1.3;",
    ]
    if tls.client_ca_secret_name:
        lines += [f"    ssl_client_certificate {CLIENT_CA}/ca.crt;", "    ssl_verify_client on;"]
    if tls.plain_http == "redirect":
        lines.append("    error_page 497 =301 https://$host:$server_port$request_uri;")
    lines += [
        "    location / {",
        f"        proxy_pass http://127.0.0.1:{inbound.app_port};",
        "        proxy_set_header Host $host;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto https;",
        "    }",
        "}",
    ]
    if probe_paths and inbound.health_port:
        lines += ["server {", f"    listen {inbound.health_port};"]
        for path in sorted(set(probe_paths)):
            lines += [
                f"    location = {path} {{",
                f"        proxy_pass http://127.0.0.1:{inbound.app_port};",
                "    }",
            ]
        lines += ["    location / {", "        return 404;", "    }", "}"]
    return "\n".join(lines) + "\n"


def nginx_outbound(outbound: Outbound) -> str:
    """A whole nginx.conf whose stream proxy opens TLS to the remote service."""
    trusted = f"{REMOTE_CA}/ca.crt" if outbound.ca_secret_name else SYSTEM_CAS
    lines = [
        "worker_processes 1;",
        "error_log stderr notice;",
        "pid /tmp/nginx.pid;",
        "events {",
        "    worker_connections 1024;",
        "}",
        "stream {",
        "    server {",
        f"        listen 127.0.0.1:{outbound.local_port};",
        f"        proxy_pass {_host_port(outbound.remote.host, outbound.remote.port)};",
        "        proxy_ssl on;",
        "        proxy_ssl_server_name on;",
        f"        proxy_ssl_name {outbound.remote.host};",
        "        proxy_ssl_protocols TLSv1.2 TLSv1.3;",
        "        proxy_ssl_verify on;",
        "        proxy_ssl_verify_depth 4;",
        f"        proxy_ssl_trusted_certificate {trusted};",
    ]
    if outbound.client_cert_secret_name:
        lines += [
            f"        proxy_ssl_certificate {CLIENT_CERT}/tls.crt;",
            f"        proxy_ssl_certificate_key {CLIENT_CERT}/tls.key;",
        ]
    lines += ["    }", "}"]
    return "\n".join(lines) + "\n"


def _host_port(host: str, port: int) -> str:
    try:
        if ipaddress.ip_address(host).version == 6:
            return f"[{host}]:{port}"
    except ValueError:
        pass
    return f"{host}:{port}"


def probe_path_problem(path: str) -> str | None:
    """Why a probe path cannot become an nginx location, if it cannot."""
    plain = path.partition("?")[0]
    segments = plain.split("/")[1:]
    if not PROBE_PATH.match(plain) or any(s in (".", "..") for s in segments):
        return (
            f"path {path!r} is not a plain URL path (letters, digits, / and - . _ ~ ! & ( ) * +"
            " , = : @), so the proxy's health port cannot serve it"
        )
    return None


def workload_name(pod: PodEditor) -> str | None:
    """The workload's name, which names the generated ConfigMap (an error when it cannot)."""
    name = (pod.pod.workload.get("metadata") or {}).get("name")
    if not isinstance(name, str) or not DNS_NAME.match(name) or len(name) > 240:
        pod.error(
            f"metadata.name {name!r} cannot name the proxy's ConfigMap (a DNS name is needed; "
            "a Pod with only generateName has none yet): set configMapName and serverName",
            "metadata.name",
        )
        return None
    return name


FACTS = Facts(
    example="elasticsearch-ambassador-tls",
    generates=frozenset([("v1", "ConfigMap")]),  # the nginx configuration
    never_at_admission="it generates the proxy's ConfigMap and rewires the workload's Services, "
    "and an admission webhook sees one pod and may create nothing; apply it at build time",
    admission_policy="does not compile: it generates the proxy's ConfigMap and changes "
    "Services, which admission of a pod cannot",
    replaces_container_fields=frozenset(["livenessProbe", "readinessProbe", "startupProbe"]),
    record_fields=frozenset(["envWas", "args", "portsRemoved", "movedPorts", "portsWas"]),
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Put the proxy in front of (or behind) the app and make the rest of the pod follow."""
    app = pod.one_app_container(spec.app_containers)
    if app is None:
        return
    for env in spec.app_env:
        pod.add_env(app, env, override=True)
    pod.append_args(app, spec.app_args)
    if spec.inbound is not None:
        proxy = _inbound(spec, spec.inbound, pod, app)
    else:
        assert spec.outbound is not None
        proxy = _outbound(spec, spec.outbound, pod)
    if proxy is not None:
        inject_sidecars(spec, pod, [with_overrides(proxy, spec.container)])


def _inbound(
    spec: Spec, inbound: Inbound, pod: PodEditor, app: dict[str, Any]
) -> dict[str, Any] | None:
    if not (
        pod.port_free(inbound.port, "port", besides=app)
        and pod.port_free(inbound.app_port, "appPort")
    ):
        return None
    workload = workload_name(pod)
    if workload is None:
        return None
    server_name = inbound.server_name or workload
    try:
        check_server_name(server_name)
    except ValueError as err:
        pod.error(f"{err}: set inbound.serverName", "metadata.name")
        return None
    if not _listens(pod, app, inbound.port):
        return None
    old = pod.remove_port(app, inbound.port)
    old_name = old.get("name") if old else None
    if old_name and old_name != inbound.port_name:
        for service in pod.services:
            pod.services.retarget_ports(service, old_name, inbound.port_name)
    mtls = inbound.tls.client_ca_secret_name is not None
    probe_paths = _rewrite_probes(pod, app, inbound, old_name, mtls)
    if probe_paths is None:
        return None
    pod.move_port(inbound.port, inbound.app_port)
    config = nginx_inbound(inbound, server_name, probe_paths)
    config_name = _config_map(spec, pod, workload, f"{workload}.conf", config)
    pod.add_volume(
        {"name": _short(spec.container_name, "config"), "configMap": {"name": config_name}}
    )
    pod.add_volume(
        {
            "name": _short(spec.container_name, "tls"),
            "secret": {"secretName": inbound.tls.secret_name},
        }
    )
    mounts = [
        {"name": _short(spec.container_name, "config"), "mountPath": CONF_DIR, "readOnly": True},
        {"name": _short(spec.container_name, "tls"), "mountPath": CERTS, "readOnly": True},
    ]
    if mtls:
        ca = {"secretName": inbound.tls.client_ca_secret_name}
        pod.add_volume({"name": _short(spec.container_name, "client-ca"), "secret": ca})
        mounts.append(
            {
                "name": _short(spec.container_name, "client-ca"),
                "mountPath": CLIENT_CA,
                "readOnly": True,
            }
        )
    ports = [{"name": inbound.port_name, "containerPort": inbound.port}]
    if probe_paths and inbound.health_port:
        ports.append({"name": "proxy-health", "containerPort": inbound.health_port})
    mounts += _writable(spec, pod, ("cache", "/var/cache/nginx"), ("run", "/var/run"))
    proxy: dict[str, Any] = {}
    if min(inbound.port, inbound.health_port or inbound.port) < 1024:  # non-root nginx must bind
        capabilities = {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}
        proxy["securityContext"] = {"capabilities": capabilities}
    return {
        **proxy,
        "name": spec.container_name,
        "image": spec.image,
        "ports": ports,
        "volumeMounts": mounts,
    }


def _listens(pod: PodEditor, app: dict[str, Any], port: int) -> bool:
    """Whether the app declares `port`: a proxy on a port nothing listens on is an error.

    An app that declares no ports at all cannot be checked: a warning.
    """
    declared = [p for p in app.get("ports") or [] if isinstance(p, dict)]
    numbers = [p.get("containerPort") for p in declared if p.get("protocol", "TCP") == "TCP"]
    if port in numbers:
        return True
    field = f"{pod.container_field(app['name'])}.ports"
    if not declared:
        pod.report(
            "warning",
            f'inbound.port {port}: container "{app["name"]}" declares no ports, so krm-fn cannot '
            "check that the app listens on it; declare it (containerPort) or check inbound.port",
            field,
        )
        return True
    listed = ", ".join(
        f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}"
        + (f" ({p['name']})" if p.get("name") else "")
        for p in declared
    )
    pod.error(
        f'inbound.port {port} is not a port of container "{app["name"]}" (its ports: {listed}); '
        "set inbound.port to the port the app listens on (the one its Services and probes use)",
        field,
    )
    return False


def _rewrite_probes(
    pod: PodEditor, app: dict[str, Any], inbound: Inbound, old_name: Any, mtls: bool
) -> list[str] | None:
    """Point the app's probes on the moved port at the proxy; the paths the health server needs."""
    targets = {inbound.port} | ({old_name} if old_name else set())
    paths: list[str] = []
    for field in PROBES:
        probe = app.get(field)
        if not isinstance(probe, dict):
            continue
        new = clone(probe)
        if isinstance(new.get("httpGet"), dict) and new["httpGet"].get("port") in targets:
            if mtls:
                if inbound.health_port is None:
                    pod.error(
                        f"{field} is an HTTP probe on port {inbound.port}, which now requires "
                        "client certificates the kubelet does not have: set inbound.healthPort",
                        f"{pod.container_field(app['name'])}.{field}",
                    )
                    return None
                path = new["httpGet"].get("path") or "/"
                problem = probe_path_problem(path)
                if problem:
                    pod.error(problem, f"{pod.container_field(app['name'])}.{field}.httpGet.path")
                    return None
                new["httpGet"].update(port=inbound.health_port, scheme="HTTP")
                paths.append(path.partition("?")[0])
            else:
                new["httpGet"].update(port=inbound.port, scheme="HTTPS")
        elif isinstance(new.get("tcpSocket"), dict) and new["tcpSocket"].get("port") in targets:
            new["tcpSocket"]["port"] = inbound.port
        elif isinstance(new.get("grpc"), dict) and new["grpc"].get("port") == inbound.port:
            pod.report(
                "warning",
                f"{field} is a gRPC probe on port {inbound.port}, which the app no longer serves "
                "on the pod IP; use an exec or HTTP probe",
                f"{pod.container_field(app['name'])}.{field}",
            )
            continue
        else:
            continue
        pod.replace_field(app, field, new)
        pod.report(
            "info",
            f"{field} now reaches the app through the proxy",
            f"{pod.container_field(app['name'])}.{field}",
        )
    return paths


def _outbound(spec: Spec, outbound: Outbound, pod: PodEditor) -> dict[str, Any] | None:
    if not pod.port_free(outbound.local_port, "localPort"):
        return None
    container: dict[str, Any] = {"name": spec.container_name, "image": spec.image}
    if spec.command is not None or spec.args is not None:
        if spec.command is not None:
            container["command"] = list(spec.command)
        if spec.args is not None:
            container["args"] = list(spec.args)
        return container
    workload = workload_name(pod)
    if workload is None:
        return None
    config_name = _config_map(spec, pod, workload, "nginx.conf", nginx_outbound(outbound))
    volume = _short(spec.container_name, "config")
    pod.add_volume({"name": volume, "configMap": {"name": config_name}})
    mounts = [
        {
            "name": volume,
            "mountPath": "/etc/nginx/nginx.conf",
            "subPath": "nginx.conf",
            "readOnly": True,
        }
    ]
    for secret, path, suffix in (
        (outbound.ca_secret_name, REMOTE_CA, "remote-ca"),
        (outbound.client_cert_secret_name, CLIENT_CERT, "client-cert"),
    ):
        if secret:
            pod.add_volume(
                {"name": _short(spec.container_name, suffix), "secret": {"secretName": secret}}
            )
            mounts.append(
                {"name": _short(spec.container_name, suffix), "mountPath": path, "readOnly": True}
            )
    container["volumeMounts"] = mounts + _writable(spec, pod, ("tmp", "/tmp"))
    return container


def _writable(spec: Spec, pod: PodEditor, *dirs: tuple[str, str]) -> list[dict[str, Any]]:
    """The emptyDirs for what nginx writes, so it runs with a read-only root filesystem."""
    mounts = []
    for suffix, path in dirs:
        name = _short(spec.container_name, suffix)
        pod.add_volume({"name": name, "emptyDir": {}})
        mounts.append({"name": name, "mountPath": path})
    return mounts


def _config_map(spec: Spec, pod: PodEditor, workload: str, key: str, text: str) -> str:
    """Generate the proxy's ConfigMap and roll the pods when it changes; return its name."""
    name = spec.config_map_name or f"{workload}-nginx"
    metadata: dict[str, Any] = {"name": name}
    namespace = (pod.pod.workload.get("metadata") or {}).get("namespace")
    if namespace:
        metadata["namespace"] = namespace
    pod.generate(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {key: text}}
    )
    digest = hashlib.sha256(f"{key}\n{text}".encode()).hexdigest()[:16]
    pod.set_metadata("annotations", f"krm-fn.dev/{_short('sha256', spec.container_name)}", digest)
    return name
