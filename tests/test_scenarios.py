"""Every pattern seen running: what each scenario is for, observed on the node (tests/node.py).

Each test applies a pattern's config (its example where the example runs here as it is, else
the example's config pointed at a server in a pod of the test) to a workload, lets the pods run
and asserts on what happened: logs, answers, files, processes, times. Never on the manifest.
Images are the node's (scripts/node-images.py); the examples' made-up apps and the images
Debian has no package of are stand-ins that do what the example says the app does.

What cannot run here, and what runs instead:
- Download from S3 or GCS (no cloud store is reachable): the same init container script over
  HTTP from a server pod, with the same checksum check; the s3:// and gs:// forms keep their
  manifest-level tests (test_patterns.py, the download-model-s3 example).
- The WaitFor example names hosts of other namespaces: the same config with the dependencies
  in the test's namespace.

A wait that runs out prints what the namespace's pods say (statuses, events, logs).
"""

import concurrent.futures
import functools
import hashlib
import itertools
import json
import shutil
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from node import Node, built, local, of_kind
from support import EXAMPLES, krm_fn_command, run

from krm_fn.manifests import yamlio


@pytest.fixture(autouse=True)
def own_namespaces(node: Node) -> Iterator[None]:
    """What a test made goes when it ends."""
    yield
    node.forget(keep=("krm-fn",))


def example_config(example: str, file: str) -> dict[str, Any]:
    return dict(yamlio.load((EXAMPLES / example / file).read_text()))


def injected(
    tmp_path: Path, configs: list[dict[str, Any]], *resources: dict[str, Any]
) -> list[dict[str, Any]]:
    """`krm-fn run -c CONFIG...` over the resources: what it gives, images local."""
    names = []
    for number, config in enumerate(configs):
        path = tmp_path / f"config-{number}.yaml"
        path.write_text(yamlio.dump(config))
        names += ["-c", str(path)]
    source = tmp_path / "resources.yaml"
    source.write_text(yamlio.dump_all(list(resources)))
    done = run([krm_fn_command(), "run", *names, str(source)])
    assert done.returncode == 0, done.stderr
    return [local(r) for r in yamlio.load_all(done.stdout)]


def deployment(name: str, containers: list[dict[str, Any]], **spec: Any) -> dict[str, Any]:
    """A one-replica Deployment of these containers, labelled app=name."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": containers, **spec},
            },
        },
    }


def service(name: str, port: int, target: int | str | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {
            "selector": {"app": name},
            "ports": [{"port": port, "targetPort": target or port}],
        },
    }


def config_map(name: str, data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data}


def busybox(name: str, script: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": "busybox:1.36.1", "command": ["sh", "-c", script], **fields}


def http_server(name: str, files: dict[str, str], port: int = 8080) -> list[dict[str, Any]]:
    """A Deployment serving `files` over HTTP (busybox httpd) and its Service."""
    config = config_map(f"{name}-files", files)
    server = busybox(
        name,
        f"exec httpd -f -vv -p {port} -h /srv",
        volumeMounts=[{"name": "files", "mountPath": "/srv"}],
        readinessProbe={"tcpSocket": {"port": port}, "periodSeconds": 1},
    )
    made = deployment(
        name, [server], volumes=[{"name": "files", "configMap": {"name": f"{name}-files"}}]
    )
    return [config, local(made), service(name, port)]


def fetch(url: str, context: ssl.SSLContext | None = None, host: str = "") -> tuple[int, str]:
    """An HTTP(S) GET from this machine (the pods' bridge is the node's): status and body."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def answer(node: Node, namespace: str, url: str, **options: Any) -> tuple[int, str]:
    """`fetch` once the server takes connections: a container is Ready before its server
    listens when it has no readiness probe, and kube-proxy learns a Service's endpoint a
    moment after the pod is Ready."""
    found: list[tuple[int, str]] = []

    def answered() -> bool:
        try:
            found.append(fetch(url, **options))
        except (urllib.error.URLError, OSError):
            return False
        return True

    node.wait(namespace, f"an answer from {url}", answered, seconds=60)
    return found[-1]


def pod_ip(pod: dict[str, Any]) -> str:
    return str(pod["status"]["podIP"])


def statuses(pod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every container's status by name, init containers too."""
    found = pod.get("status", {})
    listed = found.get("initContainerStatuses", []) + found.get("containerStatuses", [])
    return {s["name"]: s for s in listed}


def one_pod(node: Node, namespace: str, selector: str) -> dict[str, Any]:
    listed = node.live_pods(namespace, selector)
    return listed[0] if listed else {}


# 1, 2: Sidecar and LogTailer ---------------------------------------------------------------


def test_the_log_tailer_streams_the_apps_log_file(node: Node, plugin_home: Path) -> None:
    """Elasticsearch (told by its log4j2.properties to log to files) writes its server log to
    the shared volume; `kubectl logs POD -c logs` streams it."""
    namespace = node.namespace("run-log-tailer")
    node.apply(namespace, *built(EXAMPLES / "elasticsearch-log-tailer", plugin_home))
    [pod] = node.running(namespace, "app.kubernetes.io/name=elasticsearch")
    name = pod["metadata"]["name"]
    status, _ = answer(node, namespace, f"http://{pod_ip(pod)}:9200/_nodes/stats")
    assert status == 200
    node.wait(
        namespace,
        "the request in the tailer's log",
        lambda: "url:/_nodes/stats" in node.container_log(namespace, name, "logs"),
    )
    lines = node.container_log(namespace, name, "logs").splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records and all(r["cluster.name"] == "docker-cluster" for r in records)
    assert any("publish_address" in r["message"] for r in records)
    # the app itself writes nothing to its stdout: the lines come from the file only
    assert node.container_log(namespace, name, "elasticsearch") == ""


def test_the_log_tailer_per_file_gives_each_file_its_container(node: Node, tmp_path: Path) -> None:
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "LogTailer",
        "metadata": {"name": "two-files"},
        "spec": {"logDir": "/var/log/app", "files": ["access.log", "error.log"], "perFile": True},
    }
    app = busybox(
        "app",
        "mkdir -p /var/log/app; while true; do "
        'echo "GET / $(date +%s)" >> /var/log/app/access.log; '
        'echo "oops $(date +%s)" >> /var/log/app/error.log; sleep 1; done',
    )
    namespace = node.namespace("run-log-tailer-per-file")
    node.apply(namespace, *injected(tmp_path, [config], deployment("app", [app])))
    [pod] = node.running(namespace, "app=app")
    tailers = sorted(s for s in statuses(pod) if s.startswith("logs-"))
    assert len(tailers) == 2, statuses(pod)
    name = pod["metadata"]["name"]

    def logged(tailer: str, text: str) -> bool:
        return text in node.container_log(namespace, name, tailer)

    for tailer, line in zip(tailers, ("GET /", "oops"), strict=True):
        node.wait(namespace, f"{line!r} in {tailer}'s log", functools.partial(logged, tailer, line))
    by_file = {t: node.container_log(namespace, name, t) for t in tailers}
    access, error = (by_file[t] for t in tailers)
    assert "GET /" in access and "oops" not in access, by_file
    assert "oops" in error and "GET /" not in error, by_file


# 3: Ambassador ------------------------------------------------------------------------------


def make_certs(directory: Path, names: list[str]) -> Path:
    """A CA, a server certificate for `names` (DNS names and IP addresses), a client one."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)

    def certificate(subject: str, key: Any, issuer: Any, issuer_key: Any, *ext: Any) -> Any:
        built = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
        )
        for extension, critical in ext:
            built = built.add_extension(extension, critical=critical)
        return built.sign(issuer_key, hashes.SHA256())

    def write(name: str, key: Any, cert: Any) -> None:
        (directory / f"{name}.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        (directory / f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "krm-fn test CA")])
    ca = certificate(
        "krm-fn test CA",
        ca_key,
        ca_name,
        ca_key,
        (x509.BasicConstraints(ca=True, path_length=None), True),
    )
    write("ca", ca_key, ca)
    alternatives: list[Any] = []
    for name in names:
        try:
            alternatives.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alternatives.append(x509.DNSName(name))
    server_key = ec.generate_private_key(ec.SECP256R1())
    write(
        "tls",
        server_key,
        certificate(
            names[0],
            server_key,
            ca.subject,
            ca_key,
            (x509.SubjectAlternativeName(alternatives), False),
        ),
    )
    client_key = ec.generate_private_key(ec.SECP256R1())
    usage = x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH])
    write(
        "client", client_key, certificate("client", client_key, ca.subject, ca_key, (usage, False))
    )
    return directory


def tls_secret(name: str, certs: Path, ca: bool = False) -> dict[str, Any]:
    """A Secret with tls.crt and tls.key (and ca.crt)."""
    import base64

    def encoded(file: str) -> str:
        return base64.b64encode((certs / file).read_bytes()).decode()

    data = {"tls.crt": encoded("tls.crt"), "tls.key": encoded("tls.key")}
    if ca:
        data["ca.crt"] = encoded("ca.crt")
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name},
        "type": "kubernetes.io/tls",
        "data": data,
    }


def ca_only_secret(name: str, certs: Path) -> dict[str, Any]:
    import base64

    data = {"ca.crt": base64.b64encode((certs / "ca.crt").read_bytes()).decode()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": name}, "data": data}


def context(certs: Path, client: bool = False) -> ssl.SSLContext:
    made = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    if client:
        made.load_cert_chain(certs / "client.crt", certs / "client.key")
    return made


def https_get(
    address: str, port: int, name: str, certs: Path, client: bool = False
) -> tuple[int, str]:
    """GET / over TLS to address:port, checking the certificate for `name`."""
    import http.client

    connection = http.client.HTTPSConnection(
        address, port, timeout=10, context=_named(context(certs, client), name)
    )
    try:
        connection.request("GET", "/_cluster/health", headers={"Host": name})
        answer = connection.getresponse()
        return answer.status, answer.read().decode()
    finally:
        connection.close()


def _named(made: ssl.SSLContext, name: str) -> ssl.SSLContext:
    """The context, checking `name` whatever address is connected to."""
    original = made.wrap_socket

    def wrap(sock: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["server_hostname"] = name
        return original(sock, *args, **kwargs)

    made.wrap_socket = wrap  # type: ignore[method-assign]
    return made


def test_the_ambassador_terminates_tls_for_the_app(
    node: Node, plugin_home: Path, tmp_path: Path
) -> None:
    """HTTPS to the pod and to its Service gets Elasticsearch's answer, which listens on
    127.0.0.1:9201 only; its readiness probe passes through the proxy."""
    namespace = node.namespace("run-ambassador")
    name = f"elasticsearch.{namespace}.svc"
    certs = make_certs(tmp_path / "certs", [name, "elasticsearch"])
    node.apply(
        namespace,
        tls_secret("elasticsearch-tls", certs),
        *built(EXAMPLES / "elasticsearch-ambassador-tls", plugin_home),
    )
    [pod] = node.running(namespace, "app.kubernetes.io/name=elasticsearch")  # Ready: probes pass
    status, body = https_get(pod_ip(pod), 9200, name, certs)
    assert status == 200 and '"status": "green"' in body, body
    cluster_ip = node.json("service", "elasticsearch", "-n", namespace)["spec"]["clusterIP"]
    status, body = https_get(cluster_ip, 9200, name, certs)
    assert status == 200 and '"cluster_name": "docker-cluster"' in body
    with pytest.raises(urllib.error.URLError):  # the app is not on the pod's address any more
        fetch(f"http://{pod_ip(pod)}:9201/")
    seen = node.exec(namespace, pod["metadata"]["name"], "elasticsearch", "netstat", "-ltn")
    assert "127.0.0.1:9201" in seen.stdout, seen.stdout


def test_mutual_tls_refuses_a_client_without_a_certificate(
    node: Node, plugin_home: Path, tmp_path: Path
) -> None:
    namespace = node.namespace("run-ambassador-mtls")
    name = f"elasticsearch.{namespace}.svc"
    certs = make_certs(tmp_path / "certs", [name])
    example = Path(shutil.copytree(EXAMPLES / "elasticsearch-ambassador-tls", tmp_path / "ex"))
    config = yamlio.load((example / "ambassador.yaml").read_text())
    config["spec"]["inbound"]["tls"]["clientCASecretName"] = "clients-ca"
    config["spec"]["inbound"]["healthPort"] = 9280
    (example / "ambassador.yaml").write_text(yamlio.dump(config))
    node.apply(
        namespace,
        tls_secret("elasticsearch-tls", certs),
        ca_only_secret("clients-ca", certs),
        *built(example, plugin_home),
    )
    [pod] = node.running(namespace, "app.kubernetes.io/name=elasticsearch")  # probes: healthPort
    status, body = https_get(pod_ip(pod), 9200, name, certs, client=True)
    assert status == 200 and '"status": "green"' in body
    try:
        status, body = https_get(pod_ip(pod), 9200, name, certs, client=False)
    except (ssl.SSLError, ConnectionError):
        status, body = 0, "refused in the handshake"
    assert status in (0, 400), (status, body)  # nginx: "No required SSL certificate was sent"
    assert '"status": "green"' not in body


def test_the_outbound_ambassador_gives_the_app_a_plain_local_endpoint(
    node: Node, tmp_path: Path
) -> None:
    """The app speaks plain HTTP to 127.0.0.1:8080; the proxy opens TLS to a service in another
    pod, which sees a TLS connection."""
    namespace = node.namespace("run-ambassador-out")
    remote = f"secure.{namespace}.svc"
    certs = make_certs(tmp_path / "certs", [remote])
    site = (
        "server {\n    listen 8443 ssl;\n    ssl_certificate /tls/tls.crt;\n"
        "    ssl_certificate_key /tls/tls.key;\n"
        "    location / {\n"
        '        return 200 "remote saw $ssl_protocol from $remote_addr\\n";\n'
        "    }\n}\n"
    )
    conf = config_map("secure-conf", {"default.conf": site})
    secure = deployment(
        "secure",
        [
            {
                "name": "nginx",
                "image": "nginx:1.27.3",
                "volumeMounts": [
                    {"name": "conf", "mountPath": "/etc/nginx/conf.d"},
                    {"name": "tls", "mountPath": "/tls"},
                ],
                "readinessProbe": {"tcpSocket": {"port": 8443}, "periodSeconds": 1},
            }
        ],
        volumes=[
            {"name": "conf", "configMap": {"name": "secure-conf"}},
            {"name": "tls", "secret": {"secretName": "secure-tls"}},
        ],
    )
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "Ambassador",
        "metadata": {"name": "to-secure"},
        "spec": {
            "outbound": {
                "localPort": 8080,
                "remote": {"host": remote, "port": 8443},
                "caSecretName": "secure-ca",
            }
        },
    }
    app = deployment("app", [busybox("app", "sleep 3600")])
    node.apply(
        namespace,
        tls_secret("secure-tls", certs),
        ca_only_secret("secure-ca", certs),
        conf,
        local(secure),
        service("secure", 8443),
        *injected(tmp_path, [config], app),
    )
    node.running(namespace, "app=secure")
    [pod] = node.running(namespace, "app=app")

    def through_the_proxy() -> Any:
        return node.exec(
            namespace, pod["metadata"]["name"], "app", "wget", "-qO-", "http://127.0.0.1:8080/"
        )

    # Ready is not yet reachable: kube-proxy learns the Service's endpoint a moment later
    node.wait(namespace, "the remote, proxied", lambda: through_the_proxy().returncode == 0)
    seen = through_the_proxy()
    assert seen.stdout.startswith("remote saw TLSv1."), seen.stdout
    assert pod_ip(pod) in seen.stdout  # from the app's pod, through its proxy


# 4: Adapter ---------------------------------------------------------------------------------


def test_the_adapter_serves_the_apps_metrics(node: Node, plugin_home: Path) -> None:
    namespace = node.namespace("run-adapter")
    node.apply(namespace, *built(EXAMPLES / "elasticsearch-adapter-metrics", plugin_home))
    [pod] = node.running(namespace, "app.kubernetes.io/name=elasticsearch")
    status, metrics = answer(node, namespace, f"http://{pod_ip(pod)}:9114/metrics")
    assert status == 200 and "elasticsearch_cluster_health_up 1" in metrics, metrics
    assert (
        'elasticsearch_cluster_health_status{cluster="docker-cluster",color="green"} 1' in metrics
    )
    # the Service carries the exporter's port: Prometheus (or a ServiceMonitor) reaches it there
    found = node.json("service", "elasticsearch", "-n", namespace)
    [port] = [p for p in found["spec"]["ports"] if p["name"] == "http-prometheus"]
    status, through_service = answer(
        node, namespace, f"http://{found['spec']['clusterIP']}:{port['port']}/metrics"
    )
    assert status == 200 and "elasticsearch_cluster_health_up 1" in through_service
    endpoints = node.json("endpoints", "elasticsearch", "-n", namespace)
    ports = {p["name"]: p["port"] for subset in endpoints["subsets"] for p in subset["ports"]}
    assert ports == {"http": 9200, "http-prometheus": 9114}


def test_prometheus_finds_the_adapter_by_annotations_and_by_service_monitor(
    node: Node, plugin_home: Path, tmp_path: Path
) -> None:
    """Scraped as Prometheus would: from the running pod's prometheus.io annotations, and from
    the ServiceMonitor (its selector against the live Services, its port name against their
    endpoints). The cluster has no Prometheus Operator: the ServiceMonitor is read, not applied."""
    example = Path(shutil.copytree(EXAMPLES / "elasticsearch-adapter-metrics", tmp_path / "ex"))
    config = yamlio.load((example / "adapter.yaml").read_text())
    config["spec"].update(prometheusAnnotations=True, monitor="ServiceMonitor")
    (example / "adapter.yaml").write_text(yamlio.dump(config))
    resources = built(example, plugin_home)
    monitor = of_kind(resources, "ServiceMonitor")
    namespace = node.namespace("run-adapter-discovery")
    node.apply(namespace, *(r for r in resources if r["kind"] != "ServiceMonitor"))
    [pod] = node.running(namespace, "app.kubernetes.io/name=elasticsearch")
    annotations = pod["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    scrape = f"http://{pod_ip(pod)}:{annotations['prometheus.io/port']}"
    status, metrics = answer(node, namespace, scrape + annotations["prometheus.io/path"])
    assert status == 200 and "elasticsearch_cluster_health_up 1" in metrics, metrics
    selector = ",".join(f"{k}={v}" for k, v in monitor["spec"]["selector"]["matchLabels"].items())
    found = node.json("endpoints", "-n", namespace, "-l", selector)["items"]
    assert [e["metadata"]["name"] for e in found] == ["elasticsearch"]
    [endpoint] = monitor["spec"]["endpoints"]
    targets = [
        f"http://{address['ip']}:{port['port']}{endpoint['path']}"
        for subset in found[0]["subsets"]
        for address in subset["addresses"]
        for port in subset["ports"]
        if port["name"] == endpoint["port"]
    ]
    assert targets == [f"http://{pod_ip(pod)}:9114/metrics"]
    status, metrics = answer(node, namespace, targets[0])
    assert status == 200 and "elasticsearch_cluster_health_up 1" in metrics


# 5: Sysctl ----------------------------------------------------------------------------------


def test_sysctls_in_the_pod_and_on_the_node_only_with_the_opt_in(
    node: Node, plugin_home: Path, tmp_path: Path
) -> None:
    node_sysctl = Path("/proc/sys/vm/max_map_count")
    before = node_sysctl.read_text().strip()
    config = example_config("elasticsearch-sysctl", "sysctl.yaml")
    config["spec"]["allowPrivileged"] = False
    (tmp_path / "no-opt-in.yaml").write_text(yamlio.dump(config))
    refused = run(
        [
            krm_fn_command(),
            "run",
            str(tmp_path / "no-opt-in.yaml"),
            str(EXAMPLES / "elasticsearch-sysctl" / "deployment.yaml"),
        ]
    )
    assert refused.returncode == 1 and "vm.max_map_count" in refused.stderr
    assert "allowPrivileged" in refused.stderr and not refused.stdout
    if before == "262144":  # the node must change for the test to see it
        node_sysctl.write_text("65530")
    try:
        namespace = node.namespace("run-sysctl")
        node.apply(namespace, *built(EXAMPLES / "elasticsearch-sysctl", plugin_home))
        [pod] = node.running(namespace, "app.kubernetes.io/name=elasticsearch")
        seen = node.exec(
            namespace,
            pod["metadata"]["name"],
            "elasticsearch",
            "cat",
            "/proc/sys/net/ipv4/tcp_keepalive_time",
            "/proc/sys/vm/max_map_count",
        )
        assert seen.stdout.split() == ["600", "262144"], seen.stdout + seen.stderr
        assert node_sysctl.read_text().strip() == "262144"  # the node's, by the init container
        host_keepalive = Path("/proc/sys/net/ipv4/tcp_keepalive_time").read_text().strip()
        assert host_keepalive != "600" or before == "600"  # namespaced: the host's is its own
        init = statuses(pod)["update-sysctl"]
        assert init["state"]["terminated"]["exitCode"] == 0
    finally:
        node_sysctl.write_text(before)


# 7, 8: GitClone and Download ---------------------------------------------------------------


GIT_SERVER = """set -eu
mkdir -p /tmp/work /srv
cd /tmp/work
git init -q -b main .
echo "$1" > index.html
git add index.html
git -c user.name=test -c user.email=test@example.com commit -q -m first
git clone -q --bare /tmp/work /srv/git/site.git
mkdir -p /srv/www/cgi-bin
printf '#!/bin/sh\nGIT_PROJECT_ROOT=/srv/git GIT_HTTP_EXPORT_ALL=1 exec git http-backend\n' \
  > /srv/www/cgi-bin/git
chmod +x /srv/www/cgi-bin/git
echo "serving $(git rev-parse HEAD)"
exec busybox httpd -f -vv -p 8080 -h /srv/www
"""


def git_server(node: Node, namespace: str, content: str) -> str:
    """A pod serving a repository whose index.html holds `content`, and its Service: the URL."""
    server = deployment(
        "git",
        [
            {
                "name": "git",
                "image": "alpine/git:2.45.2",
                "command": ["sh", "-c", GIT_SERVER, "git", content],
                "readinessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 1},
            }
        ],
    )
    node.apply(namespace, local(server), service("git", 8080))
    node.running(namespace, "app=git")
    return f"http://git.{namespace}.svc:8080/cgi-bin/git/site.git"


def test_git_clone_serves_the_cloned_repository(node: Node, tmp_path: Path) -> None:
    """A repository served by a pod over git's smart HTTP protocol (git http-backend behind
    busybox httpd), cloned shallow by the init container; the app (httpd) serves its file."""
    namespace = node.namespace("run-git-clone")
    config = example_config("git-clone-httpd", "git-clone.yaml")
    config["spec"]["repository"] = git_server(node, namespace, "hello from git")
    app = yamlio.load((EXAMPLES / "git-clone-httpd" / "pod.yaml").read_text())
    node.apply(namespace, *injected(tmp_path, [config], app))
    [pod] = node.running(namespace, "app=www")
    status, body = answer(node, namespace, f"http://{pod_ip(pod)}/index.html")
    assert (status, body) == (200, "hello from git\n")
    assert statuses(pod)["download"]["state"]["terminated"]["exitCode"] == 0


def test_git_sync_publishes_a_new_commit_to_the_running_app(node: Node, tmp_path: Path) -> None:
    """`sync: true`: the first revision before the app starts, then a commit pushed to the
    server reaches the running app through git-sync's link, with no restart. git-sync is a
    stand-in here (scripts/node-images.py: the Go module proxy does not serve it)."""
    namespace = node.namespace("run-git-sync")
    config = example_config("git-clone-httpd", "git-clone.yaml")
    config["spec"].update(
        repository=git_server(node, namespace, "first"),
        sync=True,
        syncPeriod="2s",
        mountPath="/var/www",  # the link, /var/www/html, is what httpd serves
        syncLink="html",
    )
    app = yamlio.load((EXAMPLES / "git-clone-httpd" / "pod.yaml").read_text())
    node.apply(namespace, *injected(tmp_path, [config], app))
    [pod] = node.running(namespace, "app=www")
    assert answer(node, namespace, f"http://{pod_ip(pod)}/index.html") == (200, "first\n")
    [server] = node.pods(namespace, "app=git")
    push = (
        "cd /tmp/work && echo second > index.html && "
        "git -c user.name=test -c user.email=test@example.com commit -q -am second && "
        "git push -q /srv/git/site.git HEAD:main"
    )
    pushed = node.exec(namespace, server["metadata"]["name"], "git", "sh", "-c", push)
    assert pushed.returncode == 0, pushed.stderr

    def seen_by_the_app() -> str:
        # the file through the link, as Apache opens it for each request (the httpd stand-in,
        # busybox's, changes into its directory once at start and would keep the old one)
        name = pod["metadata"]["name"]
        return str(node.exec(namespace, name, "run", "cat", "/var/www/html/index.html").stdout)

    node.wait(namespace, "the new commit seen by the app", lambda: seen_by_the_app() == "second\n")
    [now] = node.pods(namespace, "app=www")
    restarts = {s["name"]: s["restartCount"] for s in now["status"]["containerStatuses"]}
    assert restarts == {"run": 0}


def test_a_download_is_verified_before_the_app_starts(node: Node, tmp_path: Path) -> None:
    model = "weights of the sentiment model, version 7\n"
    digest = hashlib.sha256(model.encode()).hexdigest()
    config = example_config("download-model-s3", "download.yaml")
    spec = config["spec"]
    for cloud_only in ("s3", "credentialsSecretName"):
        spec.pop(cloud_only)
    app = yamlio.load((EXAMPLES / "download-model-s3" / "deployment.yaml").read_text())
    app["spec"]["replicas"] = 1
    app["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
    namespace = node.namespace("run-download")
    spec["url"] = f"http://files.{namespace}.svc:8080/sentiment.onnx"
    spec["sha256"] = digest
    node.apply(namespace, *http_server("files", {"sentiment.onnx": model}))
    node.running(namespace, "app=files")
    node.apply(namespace, *injected(tmp_path, [config], app))
    [pod] = node.running(namespace, "app=inference")
    logs = node.container_log(namespace, pod["metadata"]["name"], "server")
    assert f"loaded /models/sentiment.onnx sha256 {digest}" in logs
    # a wrong checksum: the init container fails and says why; the app never starts
    wrong = node.namespace("run-download-wrong")
    spec["url"] = f"http://files.{wrong}.svc:8080/sentiment.onnx"
    spec["sha256"] = hashlib.sha256(b"another file").hexdigest()
    node.apply(wrong, *http_server("files", {"sentiment.onnx": model}))
    node.running(wrong, "app=files")
    node.apply(wrong, *injected(tmp_path, [config], app))
    init = spec.get("containerName", "download")

    logs: list[str] = []

    def failed_on_the_checksum() -> bool:
        # a run before the checksum's may have found the new Service not routed yet (refused)
        pod = one_pod(node, wrong, "app=inference")
        if int(statuses(pod).get(init, {}).get("restartCount", 0)) < 1:
            return False
        name = pod["metadata"]["name"]
        logs.append(node.kubectl("logs", "-n", wrong, name, "-c", init, "--previous").stdout)
        return "FAILED" in logs[-1]

    node.wait(wrong, "the download failing its checksum", failed_on_the_checksum)
    pod = one_pod(node, wrong, "app=inference")
    assert "sentiment.onnx" in logs[-1], logs[-1]
    assert "running" not in statuses(pod)["server"]["state"], statuses(pod)
    assert "startedAt" not in json.dumps(statuses(pod)["server"])


# 9: Migration -------------------------------------------------------------------------------

# a database stand-in: each connection's first line goes to its log, and it answers "ok"
DATABASE = (
    'echo "database up"; '
    "exec nc -ll -p 5432 -e sh -c 'read -r line; echo \"got: $line\" >&2; echo ok'"
)


def migration_namespace(node: Node, tmp_path: Path, name: str, port: int) -> str:
    """The migration example with its database in the namespace (DATABASE_URL to `port`)."""
    namespace = node.namespace(name)
    config = example_config("migration-before-app", "migration.yaml")
    wait_for = config["spec"]["patterns"][0]["spec"]
    wait_for["tcp"] = [f"orders-db.{namespace}.svc:5432"]
    app = yamlio.load((EXAMPLES / "migration-before-app" / "deployment.yaml").read_text())
    app["spec"]["replicas"] = 1
    url = f"postgres://orders:secret@orders-db.{namespace}.svc:{port}/orders"
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "orders-db"},
        "stringData": {"url": url},
    }
    settings = config_map("orders-settings", {"LOG_LEVEL": "debug"})
    database = deployment("orders-db", [busybox("db", DATABASE)])
    node.apply(
        namespace,
        secret,
        settings,
        local(database),
        service("orders-db", 5432),
        *injected(tmp_path, [config], app),
    )
    return namespace


def started(status: dict[str, Any]) -> str:
    state = status.get("state", {})
    return str((state.get("running") or state.get("terminated") or {}).get("startedAt", ""))


def test_the_migration_runs_before_the_app_with_its_image_and_env(
    node: Node, tmp_path: Path
) -> None:
    namespace = migration_namespace(node, tmp_path, "run-migration", 5432)
    [pod] = node.running(namespace, "app=orders-api")
    seen = statuses(pod)
    migration = next(s for s in seen if s not in ("wait-for-db", "api"))
    assert seen[migration]["image"] == seen["api"]["image"]
    finished = seen[migration]["state"]["terminated"]
    assert finished["exitCode"] == 0 and finished["finishedAt"] <= started(seen["api"])
    [database] = node.live_pods(namespace, "app=orders-db")
    logged = node.container_log(namespace, database["metadata"]["name"], "db")
    # the app's user and its settings (envFrom the ConfigMap, DATABASE_URL from the Secret)
    assert f"got: migrate up from {pod['metadata']['name']} as 1000 LOG_LEVEL=debug" in logged


def test_a_failing_migration_keeps_the_app_from_starting(node: Node, tmp_path: Path) -> None:
    namespace = migration_namespace(node, tmp_path, "run-migration-fails", 5433)
    name = "migrate"

    def failed() -> bool:
        seen = statuses(one_pod(node, namespace, "app=orders-api"))
        found = [s for n, s in seen.items() if n not in ("wait-for-db", "api")]
        return bool(found) and int(found[0].get("restartCount", 0)) >= 1

    node.wait(namespace, "the migration failing", failed)
    pod = one_pod(node, namespace, "app=orders-api")
    seen = statuses(pod)
    name = next(s for s in seen if s not in ("wait-for-db", "api"))
    log = node.kubectl(
        "logs", "-n", namespace, pod["metadata"]["name"], "-c", name, "--previous"
    ).stdout
    assert "migration failed: the database at" in log, log
    assert not started(seen["api"]), seen["api"]


# 10, 11: WaitFor and InitContainer ----------------------------------------------------------


def test_wait_for_holds_the_app_until_each_dependency_answers(node: Node, tmp_path: Path) -> None:
    namespace = node.namespace("run-wait-for")
    tcp, url = f"db.{namespace}.svc:5432", f"http://pricing.{namespace}.svc:8080/healthz"
    dns = f"search.{namespace}.svc.cluster.local"
    config = example_config("wait-for-database", "wait-for.yaml")
    config["spec"].update({"tcp": [tcp], "http": [url], "dns": [dns], "intervalSeconds": 1})
    app = deployment("catalog", [busybox("catalog", "echo catalog started; sleep 3600")])
    node.apply(namespace, *injected(tmp_path, [config], app))

    def waiting_for(what: str) -> bool:
        pod = one_pod(node, namespace, "app=catalog")
        if not pod or "running" not in statuses(pod).get("wait-for", {}).get("state", {}):
            return False
        log = node.container_log(namespace, pod["metadata"]["name"], "wait-for")
        return log.rstrip().endswith(f"waiting for {what}")

    def app_started() -> bool:
        return bool(started(statuses(one_pod(node, namespace, "app=catalog")).get("catalog", {})))

    node.wait(namespace, f"waiting for {tcp}", lambda: waiting_for(tcp))
    node.apply(namespace, local(deployment("db", [busybox("db", DATABASE)])), service("db", 5432))
    node.wait(namespace, f"waiting for {url}", lambda: waiting_for(url))
    assert not app_started()
    node.apply(namespace, *http_server("pricing", {"healthz": "ok\n"}))
    node.wait(namespace, f"waiting for {dns}", lambda: waiting_for(dns))
    assert not app_started()
    search = service("search", 80)
    node.apply(namespace, search)  # a Service, even without pods, is a name in the cluster DNS
    created = time.monotonic()
    node.wait(namespace, "the app started", app_started, seconds=30)
    assert time.monotonic() - created < 20  # within seconds (DNS cache 5 s, interval 1 s)
    log = node.container_log(
        namespace, one_pod(node, namespace, "app=catalog")["metadata"]["name"], "wait-for"
    )
    assert [line for line in log.splitlines() if line.endswith(" is up")] == [
        f"{tcp} is up",
        f"{url} is up",
        f"{dns} is up",
    ]


def test_init_containers_run_in_the_configured_order(node: Node, tmp_path: Path) -> None:
    def step(name: str) -> dict[str, Any]:
        return busybox(
            name,
            f"set -e; echo {name} >> /steps/done; sleep 1",
            volumeMounts=[{"name": "steps", "mountPath": "/steps"}],
            # one user for all, so that each may append to the file the first one made
            securityContext={"runAsUser": 1000},
        )

    app = deployment(
        "orders",
        [
            busybox(
                "orders",
                "cat /steps/done; sleep 3600",
                volumeMounts=[{"name": "steps", "mountPath": "/steps"}],
            )
        ],
        initContainers=[step("config"), step("migrate")],
        volumes=[{"name": "steps", "emptyDir": {}}],
    )
    config = example_config("init-container-ordering", "wait-for-postgres.yaml")
    [added] = config["spec"]["initContainers"]
    wait = added["command"][2]  # the example's own wait for postgres, as it is
    added.update(step("wait-for-postgres"))
    added["command"][2] = f"{wait}; {added['command'][2]}"
    last = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "InitContainer",
        "metadata": {"name": "warm-cache"},
        "spec": {"initContainers": [step("warm-cache")]},
    }
    namespace = node.namespace("run-init-order")
    node.apply(
        namespace,
        local(deployment("postgres", [busybox("db", DATABASE)])),
        service("postgres", 5432),
        *injected(tmp_path, [config, last], app),
    )
    [pod] = node.running(namespace, "app=orders")
    order = [s["name"] for s in pod["status"]["initContainerStatuses"]]
    ran = node.container_log(namespace, pod["metadata"]["name"], "orders").split()
    assert ran == order, (ran, order)
    assert order[:3] == ["config", "wait-for-postgres", "migrate"] and "warm-cache" in order
    times = [s["state"]["terminated"] for s in pod["status"]["initContainerStatuses"]]
    for earlier, later in itertools.pairwise(times):
        assert earlier["finishedAt"] <= later["startedAt"], times


# 14, 15: LocalCache and PodDefaults ---------------------------------------------------------


def redis(node: Node, namespace: str, pod: str, container: str, *commands: str) -> str:
    """Commands to the cache on the pod's localhost, from one of its containers."""
    text = "".join(f"{c}\r\n" for c in commands)
    seen = node.exec(
        namespace, pod, container, "sh", "-c", f"printf '{text}' | nc -w 2 127.0.0.1 6379"
    )
    return str(seen.stdout).replace("\r", "")


def test_the_app_reaches_its_local_cache(node: Node, plugin_home: Path) -> None:
    namespace = node.namespace("run-local-cache")
    resources = built(EXAMPLES / "redis-local-cache", plugin_home)
    workload = of_kind(resources, "Deployment")
    workload["spec"]["replicas"] = 1
    workload["spec"]["template"]["spec"]["containers"][0]["resources"] = {}
    node.apply(namespace, *resources)
    [pod] = node.running(namespace, "app=catalog-api")
    name = pod["metadata"]["name"]
    node.wait(
        namespace,
        "the app's check of the cache",
        lambda: "cache 127.0.0.1:6379: +PONG" in node.container_log(namespace, name, "api"),
    )
    answer = redis(
        node,
        namespace,
        name,
        "api",
        "SET item 42",
        "GET item",
        "CONFIG GET maxmemory",
        "CONFIG GET save",
        "CONFIG GET appendonly",
    )
    lines = answer.split("\n")
    assert lines[:3] == ["+OK", "$2", "42"], answer
    limit = int(256 * 1024 * 1024 * 0.8)  # 80% of the container's memory
    assert str(limit) in lines and "appendonly" in lines and "no" in lines, answer
    assert lines[lines.index("save") + 1] == "$0"  # no snapshots
    cache = next(
        c
        for c in pod["spec"]["containers"] + pod["spec"].get("initContainers", [])
        if c["name"] == "redis"
    )
    assert cache["resources"]["limits"]["memory"] == "256Mi"
    seen = node.exec(
        namespace,
        name,
        "redis",
        "sh",
        "-c",
        "cat /sys/fs/cgroup/memory.max 2>/dev/null || "
        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
        "touch /probe 2>&1; echo done",
    )
    assert seen.stdout.split("\n")[0] == str(256 * 1024 * 1024), seen.stdout
    assert "Read-only file system" in seen.stdout, seen.stdout  # nothing on disk


def test_memcached_as_the_local_cache(node: Node, tmp_path: Path) -> None:
    config = example_config("redis-local-cache", "local-cache.yaml")
    config["spec"]["engine"] = "memcached"
    config["spec"]["memory"] = "64Mi"
    config["spec"]["appEnv"] = [{"name": "CACHE_URL", "value": "memcache://127.0.0.1:11211"}]
    namespace = node.namespace("run-memcached")
    app = deployment("app", [busybox("app", "sleep 3600")])
    node.apply(namespace, *injected(tmp_path, [config], app))
    [pod] = node.running(namespace, "app=app")
    seen = node.exec(
        namespace,
        pod["metadata"]["name"],
        "app",
        "sh",
        "-c",
        "printf 'set item 0 0 2\\r\\n42\\r\\nget item\\r\\nstats settings\\r\\n' | "
        'nc -w 2 127.0.0.1 11211; echo "$CACHE_URL"',
    )
    answer = seen.stdout.replace("\r", "")
    assert "STORED\nVALUE item 0 2\n42\nEND" in answer, answer
    megabytes = int(64 * 0.8)
    assert f"STAT maxbytes {megabytes * 1024 * 1024}" in answer
    assert "memcache://127.0.0.1:11211" in answer


def test_pod_defaults_are_seen_inside_the_pod(
    node: Node, plugin_home: Path, tmp_path: Path
) -> None:
    namespace = node.namespace("run-pod-defaults")
    example = Path(shutil.copytree(EXAMPLES / "pod-defaults-webhook-label", tmp_path / "ex"))
    config = yamlio.load((example / "defaults.yaml").read_text())
    config["spec"]["volumes"] = [{"name": "org-ca", "configMap": {"name": "org-ca"}}]
    config["spec"]["volumeMounts"] = [{"name": "org-ca", "mountPath": "/etc/org", "readOnly": True}]
    (example / "defaults.yaml").write_text(yamlio.dump(config))
    proxy = config_map("org-proxy-settings", {"HTTPS_PROXY": "http://proxy.internal:3128"})
    ca = config_map("org-ca", {"ca.crt": "the org's CA\n"})
    node.apply(namespace, proxy, ca, *built(example, plugin_home))
    [pod] = node.running(namespace, "component=test")
    assert pod["metadata"]["labels"]["foo"] == "bar"
    seen = node.exec(
        namespace,
        pod["metadata"]["name"],
        "test",
        "sh",
        "-c",
        'echo "$TZ $HTTPS_PROXY"; cat /etc/org/ca.crt; date +%Z',
    )
    assert seen.stdout.split("\n")[:3] == ["UTC http://proxy.internal:3128", "the org's CA", "UTC"]


# 6: VaultSecrets ----------------------------------------------------------------------------

STORE_COMMAND = (
    "set -eu; umask 077; "
    "curl -fsS --retry 0 http://store:8080/db-password -o /secrets/db-password.tmp; "
    "mv /secrets/db-password.tmp /secrets/db-password; echo fetched db-password"
)


def secrets_config(address: str) -> dict[str, Any]:
    """The vault-secrets example's config in its command form: another secret store (an HTTP
    server in a pod of the test), fetched by curl instead of the vault CLI."""
    config = example_config("vault-secrets", "vault-secrets.yaml")
    spec = config["spec"]
    for vault_only in ("address", "caSecretName", "auth", "secrets"):
        spec.pop(vault_only)
    spec["image"] = "curlimages/curl:8.10.1"
    spec["command"] = ["sh", "-c", STORE_COMMAND.replace("store:8080", address)]
    return config


def payments(user: int) -> dict[str, Any]:
    """The vault-secrets example's app, as a process of `user` that keeps running."""
    app = yamlio.load((EXAMPLES / "vault-secrets" / "deployment.yaml").read_text())
    app["spec"]["replicas"] = 1
    pod = app["spec"]["template"]["spec"]
    pod.pop("serviceAccountName")
    [container] = pod["containers"]
    container.update(busybox("payments", "sleep 3600"))
    container["securityContext"] = {"runAsUser": user, "runAsGroup": user}
    return dict(app)


def test_secrets_are_in_memory_for_the_apps_user_only(node: Node, tmp_path: Path) -> None:
    namespace = node.namespace("run-secrets")
    password = "s3cr3t-" + hashlib.sha256(namespace.encode()).hexdigest()[:8]
    node.apply(namespace, *http_server("store", {"db-password": password}))
    node.running(namespace, "app=store")
    node.apply(namespace, *injected(tmp_path, [secrets_config("store:8080")], payments(1000)))
    [pod] = node.running(namespace, "app=payments")
    seen = node.exec(
        namespace,
        pod["metadata"]["name"],
        "payments",
        "sh",
        "-c",
        "cat /secrets/db-password; echo; stat -c '%a %u' /secrets/db-password; "
        "grep ' /secrets ' /proc/mounts; env",
    )
    lines = seen.stdout.split("\n")
    assert lines[0] == password and lines[1] == "600 1000", seen.stdout + seen.stderr
    assert lines[2].startswith("tmpfs /secrets tmpfs ro,"), lines[2]  # in memory, read-only
    assert password not in "\n".join(lines[3:])  # in no env variable
    init = statuses(pod)["vault-secrets"]["state"]["terminated"]
    assert init["exitCode"] == 0 and init["finishedAt"] <= started(statuses(pod)["payments"])


def test_without_the_store_the_pod_stays_in_init_and_says_why(node: Node, tmp_path: Path) -> None:
    namespace = node.namespace("run-secrets-unreachable")
    node.apply(namespace, service("store", 8080))  # a Service with no pod behind it
    node.apply(namespace, *injected(tmp_path, [secrets_config("store:8080")], payments(1000)))

    def failed() -> bool:
        found = statuses(one_pod(node, namespace, "app=payments")).get("vault-secrets", {})
        return int(found.get("restartCount", 0)) >= 1

    node.wait(namespace, "the secrets' init container failing", failed)
    pod = one_pod(node, namespace, "app=payments")
    log = node.kubectl(
        "logs", "-n", namespace, pod["metadata"]["name"], "-c", "vault-secrets", "--previous"
    ).stdout
    assert "curl: (7) Failed to connect to store port 8080" in log, log
    assert pod["status"]["phase"] == "Pending" and not started(statuses(pod)["payments"])


# 12: GracefulShutdown -----------------------------------------------------------------------

HTML = "/usr/share/nginx/html"  # what the official nginx image serves
CLIENT = (
    "while true; do "
    "if timeout 2 wget -q -O /dev/null http://web/; then echo ok; else echo FAIL; fi; "
    "done"
)


def served_through_restarts(node: Node, namespace: str, restarts: int) -> tuple[int, int]:
    """Requests a client pod made through `restarts` rolling restarts of the Deployment web:
    (answered, failed), counted from the client's log between the first and the last."""
    node.apply(namespace, local(deployment("client", [busybox("client", CLIENT)])))
    [client] = node.running(namespace, "app=client")
    name = client["metadata"]["name"]
    node.wait(
        namespace,
        "the client's first answers",
        lambda: node.container_log(namespace, name, "client").count("ok") >= 20,
    )
    before = len(node.container_log(namespace, name, "client").split())
    for _ in range(restarts):
        node.kubectl("rollout", "restart", "deployment/web", "-n", namespace, check=True)
        done = node.kubectl(
            "rollout", "status", "deployment/web", "-n", namespace, "--timeout=180s"
        )
        assert done.returncode == 0, done.stderr + node.explain(namespace)
    node.wait(namespace, "every old pod gone", lambda: len(node.pods(namespace, "app=web")) == 3)
    answers = node.container_log(namespace, name, "client").split()[before:]
    return answers.count("ok"), answers.count("FAIL")


def web(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The example's resources and a Service in front of its nginx."""
    return [*resources, service("web", 80, "http")]


DOWNLOAD = 64 * 1024 * 1024  # far more than the sockets' buffers: nginx is still sending
PLAIN_GRACE = 10  # the example Deployment's own terminationGracePeriodSeconds


def download_through_deletion(node: Node, namespace: str) -> tuple[Any, float]:
    """A slow download from a web pod that is deleted once the download has started; the client
    reads the rest 5 s after the pod's own grace period. (The client's `wc -c` of what it got
    after the first byte, with wget's exit status; how long the pod accepted new connections
    after the delete.)"""
    [pod, *_] = node.live_pods(namespace, "app=web")
    name, address = pod["metadata"]["name"], pod_ip(pod)
    node.exec(namespace, name, "nginx", "sh", "-c", f"head -c {DOWNLOAD} /dev/zero > {HTML}/big")
    [client] = node.live_pods(namespace, "app=client")
    in_client = functools.partial(node.exec, namespace, client["metadata"]["name"], "client")
    # the first byte read marks the download as started; the rest waits for /tmp/go. A killed
    # pod sends no reset: a timeout ends the wget then.
    slow = (
        f"rm -f /tmp/started /tmp/go; set -o pipefail; "
        f"timeout {PLAIN_GRACE + 20} wget -q -O - http://{address}/big | "
        "{ dd bs=1 count=1 of=/tmp/started 2>/dev/null; "
        "until [ -e /tmp/go ]; do sleep 0.2; done; wc -c; }"
    )
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        download = pool.submit(in_client, "sh", "-c", slow)
        node.wait(
            namespace,
            "the download started",
            lambda: in_client("test", "-e", "/tmp/started").returncode == 0,
        )
        began = time.monotonic()
        node.kubectl("delete", "pod", name, "-n", namespace, "--wait=false", check=True)
        refused = f"! timeout 2 wget -q -O /dev/null http://{address}/"
        node.wait(
            namespace,
            "nginx no longer accepting",
            lambda: in_client("sh", "-c", refused).returncode == 0,
        )
        accepting = time.monotonic() - began
        node.wait(
            namespace,
            "the pod's own grace period over",
            lambda: time.monotonic() - began > PLAIN_GRACE + 5,
            seconds=PLAIN_GRACE + 10,
        )
        in_client("touch", "/tmp/go")
        return download.result(timeout=120), accepting


def test_graceful_shutdown_loses_no_request_in_a_rolling_restart(
    node: Node, plugin_home: Path
) -> None:
    namespace = node.namespace("run-graceful")
    node.apply(namespace, *web(built(EXAMPLES / "nginx-graceful-shutdown", plugin_home)))
    node.running(namespace, "app=web", 3)
    answered, failed = served_through_restarts(node, namespace, 1)
    assert answered > 50 and failed == 0, (answered, failed)
    # a deleted pod keeps serving for the configured pause (sleepSeconds: 5), then nginx quits
    # gracefully, and a download outliving the pod's own grace period is served to its end
    got, accepting = download_through_deletion(node, namespace)
    assert accepting >= 5
    assert got.returncode == 0 and int(got.stdout) + 1 == DOWNLOAD, got.stdout + got.stderr


def test_without_graceful_shutdown_a_rolling_restart_loses_requests(node: Node) -> None:
    """The same Deployment without the config: what the pattern fixes is there to see."""
    namespace = node.namespace("run-graceful-without")
    plain = local(
        yamlio.load((EXAMPLES / "nginx-graceful-shutdown" / "deployment.yaml").read_text())
    )
    assert plain["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == PLAIN_GRACE
    node.apply(namespace, *web([plain]))
    node.running(namespace, "app=web", 3)
    failed = 0
    for _ in range(3):  # the race is short: a few restarts make it show
        _, failed = served_through_restarts(node, namespace, 1)
        if failed:
            break
    assert failed > 0
    # nginx stops accepting at once, and the kubelet kills it mid-download
    got, accepting = download_through_deletion(node, namespace)
    assert accepting < 5
    assert got.returncode != 0 and int(got.stdout) + 1 < DOWNLOAD, got.stdout + got.stderr


# 13: ConfigReloader -------------------------------------------------------------------------


def answer_becomes(node: Node, namespace: str, url: str, expected: str) -> None:
    node.wait(
        namespace,
        f"{url} answering {expected!r}",
        lambda: fetch(url) == (200, expected),
        seconds=60,
    )


def test_nginx_reloads_its_changed_config_on_a_signal(node: Node, plugin_home: Path) -> None:
    namespace = node.namespace("run-reload-signal")
    resources = built(EXAMPLES / "config-reload-signal", plugin_home)
    of_kind(resources, "Deployment")["spec"]["replicas"] = 1
    node.apply(namespace, *resources)
    [pod] = node.running(namespace, "app=edge")
    url = f"http://{pod_ip(pod)}:8080/"
    assert answer(node, namespace, url) == (200, "edge v1\n")
    config = of_kind(resources, "ConfigMap")
    config["data"]["default.conf"] = config["data"]["default.conf"].replace("v1", "v2")
    node.apply(namespace, config)
    changed = time.monotonic()
    answer_becomes(node, namespace, url, "edge v2\n")
    # within the kubelet's sync period (10 s here) and the reloader's (5 s), and no restart
    assert time.monotonic() - changed < 30
    [again] = node.live_pods(namespace, "app=edge")
    assert statuses(again)["nginx"]["restartCount"] == 0
    name = pod["metadata"]["name"]
    assert "reloading" in node.container_log(namespace, name, "config-reloader").lower()


RELOADABLE = """mkdir -p /tmp/www/cgi-bin
cp /config/greeting /tmp/www/index.html
printf '#!/bin/sh\\ncp /config/greeting /tmp/www/index.html\\necho Content-Type: text/plain
echo\\necho reloaded\\n' > /tmp/www/cgi-bin/reload
chmod +x /tmp/www/cgi-bin/reload
exec httpd -f -vv -p 8080 -h /tmp/www
"""


def test_an_app_reloads_its_changed_config_by_http(node: Node, tmp_path: Path) -> None:
    """An app that reads its config at start and again when /cgi-bin/reload is called."""
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "ConfigReloader",
        "metadata": {"name": "greeting-reload"},
        "spec": {
            "watch": ["config"],
            "periodSeconds": 2,
            "http": {"url": "http://127.0.0.1:8080/cgi-bin/reload"},
        },
    }
    greeting = config_map("greeting", {"greeting": "hello v1\n"})
    app = deployment(
        "greeter",
        [
            busybox(
                "app",
                RELOADABLE,
                volumeMounts=[{"name": "config", "mountPath": "/config", "readOnly": True}],
            )
        ],
        volumes=[{"name": "config", "configMap": {"name": "greeting"}}],
    )
    namespace = node.namespace("run-reload-http")
    node.apply(namespace, greeting, *injected(tmp_path, [config], app))
    [pod] = node.running(namespace, "app=greeter")
    url = f"http://{pod_ip(pod)}:8080/index.html"
    assert answer(node, namespace, url) == (200, "hello v1\n")
    node.apply(namespace, {**greeting, "data": {"greeting": "hello v2\n"}})
    answer_becomes(node, namespace, url, "hello v2\n")
    log = node.container_log(namespace, pod["metadata"]["name"], "app")
    assert "url:/cgi-bin/reload" in log
