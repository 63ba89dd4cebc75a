"""The nginx configurations Ambassador generates, run by the real nginx (Debian's package).

Each test generates the ConfigMap through the KRM core, checks it with `nginx -t`, then starts
nginx on loopback with the pod's mount paths mapped to a temp dir, in front of a small local
HTTP server standing in for the app (or, outbound, a local TLS server standing in for the remote
service), with certificates made by `openssl` in the test.
"""

import http.server
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import crossplane
import pytest
from support import EXAMPLES, run

from krm_fn.framework import transform
from krm_fn.manifests import yamlio

STREAM_MODULE = Path("/usr/lib/nginx/modules/ngx_stream_module.so")
APP_ANSWER = b'{"cluster_name":"docker-cluster","status":"green"}'


def nginx() -> str:
    path = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(path).exists():
        pytest.fail("nginx is missing: `make test` installs Debian's nginx")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def openssl(*args: str) -> None:
    done = run(["openssl", *args])
    assert done.returncode == 0, done.stderr


def make_certs(directory: Path) -> None:
    """A CA, a server certificate for localhost/127.0.0.1, and a client certificate."""
    directory.mkdir(exist_ok=True)
    d = str(directory)
    openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        f"{d}/ca.key",
        "-out",
        f"{d}/ca.crt",
    )
    for name, cn, ext in (
        ("tls", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1"),
        ("client", "client", "extendedKeyUsage=clientAuth"),
    ):
        openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            f"/CN={cn}",
            "-keyout",
            f"{d}/{name}.key",
            "-out",
            f"{d}/{name}.csr",
        )
        (directory / f"{name}.ext").write_text(ext + "\n")
        openssl(
            "x509",
            "-req",
            "-in",
            f"{d}/{name}.csr",
            "-CA",
            f"{d}/ca.crt",
            "-CAkey",
            f"{d}/ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            f"{d}/{name}.ext",
            "-out",
            f"{d}/{name}.crt",
        )


class AppHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Seen-Path", self.path)
        self.end_headers()
        self.wfile.write(APP_ANSWER)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def app_server(port: int, tls_dir: Path | None = None) -> Iterator[None]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), AppHandler)
    if tls_dir is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls_dir / "tls.crt", tls_dir / "tls.key")
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def generated_configmap(spec: dict[str, Any]) -> dict[str, Any]:
    """The Elasticsearch example, its port 9200 replaced by the test's inbound port."""
    directory = EXAMPLES / "elasticsearch-ambassador-tls"
    port = str(spec.get("inbound", {}).get("port", 9200))
    text = (
        (directory / "deployment.yaml").read_text()
        + "---\n"
        + (directory / "service.yaml").read_text()
    )
    items = yamlio.load_all(text.replace("9200", port))
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "Ambassador",
        "metadata": {"name": "t"},
        "spec": spec,
    }
    results = transform(config, items)
    assert not [r for r in results if r.severity == "error"], [r.message for r in results]
    [configmap] = [i for i in items if i["kind"] == "ConfigMap"]
    return configmap


def mapped(text: str, root: Path) -> str:
    """Mount paths of the pod, mapped to the test's directories."""
    for mount in ("/certs/", "/client-ca/", "/remote-ca/", "/client-cert/"):
        text = text.replace(f" {mount}", f" {root}/certs/")
    return text.replace("/tmp/nginx.pid", f"{root}/nginx.pid")


def inbound_main_config(conf: str, root: Path) -> Path:
    (root / "conf.d").mkdir()
    (root / "conf.d" / "app.conf").write_text(mapped(conf, root))
    main = root / "nginx.conf"
    temp = " ".join(
        f"{k}_temp_path {root}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"pid {root}/nginx.pid;\nerror_log {root}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n {temp}\n include {root}/conf.d/*.conf;\n}}\n"
    )
    return main


def outbound_main_config(conf: str, root: Path) -> Path:
    main = root / "nginx.conf"
    prefix = f"load_module {STREAM_MODULE};\n" if STREAM_MODULE.exists() else ""
    main.write_text(prefix + mapped(conf, root))
    return main


def nginx_test(main: Path) -> None:
    done = run([nginx(), "-t", "-c", str(main), "-p", str(main.parent)])
    assert done.returncode == 0, done.stderr
    assert "test is successful" in done.stderr


@contextmanager
def running_nginx(main: Path, port: int) -> Iterator[None]:
    log = main.parent / "nginx.stderr"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [nginx(), "-c", str(main), "-p", str(main.parent), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "nginx did not start listening"
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, bytes, Any]:
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), NoRedirect())
    try:
        with opener.open(url, timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as err:
        return err.code, err.read(), err.headers


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


def client_context(certs: Path, with_client_cert: bool = False) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(certs / "ca.crt"))
    if with_client_cert:
        context.load_cert_chain(certs / "client.crt", certs / "client.key")
    return context


def inbound_spec(port: int, app_port: int, **tls: Any) -> dict[str, Any]:
    return {
        "native": False,
        "inbound": {"port": port, "appPort": app_port, "tls": {"secretName": "es-tls", **tls}},
        "appEnv": [{"name": "http.port", "value": str(app_port)}],
    }


def test_tls_proxy_answers_https_and_refuses_plain_http(tmp_path: Path) -> None:
    make_certs(tmp_path / "certs")
    port, app_port = free_port(), free_port()
    configmap = generated_configmap(inbound_spec(port, app_port))
    [conf] = configmap["data"].values()
    main = inbound_main_config(conf, tmp_path)
    nginx_test(main)
    with app_server(app_port), running_nginx(main, port):
        status, body, headers = get(
            f"https://localhost:{port}/_cluster/health", client_context(tmp_path / "certs")
        )
        assert (status, body) == (200, APP_ANSWER)
        assert headers["X-Seen-Path"] == "/_cluster/health"
        status, body, _ = get(f"http://127.0.0.1:{port}/")
        assert status == 400
        assert b"The plain HTTP request was sent to HTTPS port" in body


def test_plain_http_redirect(tmp_path: Path) -> None:
    make_certs(tmp_path / "certs")
    port, app_port = free_port(), free_port()
    [conf] = generated_configmap(inbound_spec(port, app_port, plainHttp="redirect"))[
        "data"
    ].values()
    main = inbound_main_config(conf, tmp_path)
    nginx_test(main)
    with app_server(app_port), running_nginx(main, port):
        status, _, headers = get(f"http://localhost:{port}/x?y=1")
        assert status == 301
        assert headers["Location"] == f"https://localhost:{port}/x?y=1"


def test_mutual_tls_and_the_probe_only_health_port(tmp_path: Path) -> None:
    make_certs(tmp_path / "certs")
    port, app_port, health = free_port(), free_port(), free_port()
    spec = inbound_spec(port, app_port, clientCASecretName="es-client-ca")
    spec["inbound"]["healthPort"] = health
    [conf] = generated_configmap(spec)["data"].values()
    assert f"listen {health};" in conf and "location = /_cluster/health" in conf
    main = inbound_main_config(conf, tmp_path)
    nginx_test(main)
    certs = tmp_path / "certs"
    with app_server(app_port), running_nginx(main, port):
        status, body, _ = get(f"https://localhost:{port}/", client_context(certs))
        assert status == 400 and b"No required SSL certificate was sent" in body
        status, body, _ = get(
            f"https://localhost:{port}/", client_context(certs, with_client_cert=True)
        )
        assert (status, body) == (200, APP_ANSWER)
        assert get(f"http://127.0.0.1:{health}/_cluster/health")[:2] == (200, APP_ANSWER)
        assert get(f"http://127.0.0.1:{health}/_cat/indices")[0] == 404


def test_outbound_stream_proxy_gives_the_app_a_plaintext_endpoint(tmp_path: Path) -> None:
    make_certs(tmp_path / "certs")
    local, remote = free_port(), free_port()
    spec = {
        "native": False,
        "containerName": "redis-tls",
        "outbound": {
            "localPort": local,
            "remote": {"host": "localhost", "port": remote},
            "caSecretName": "remote-ca",
        },
    }
    [conf] = generated_configmap(spec)["data"].values()
    main = outbound_main_config(conf, tmp_path)
    nginx_test(main)
    with app_server(remote, tls_dir=tmp_path / "certs"), running_nginx(main, local):
        assert get(f"http://127.0.0.1:{local}/ping")[:2] == (200, APP_ANSWER)


def test_outbound_proxy_refuses_a_remote_it_cannot_verify(tmp_path: Path) -> None:
    make_certs(tmp_path / "certs")
    local, remote = free_port(), free_port()
    spec = {
        "native": False,
        "outbound": {"localPort": local, "remote": {"host": "localhost", "port": remote}},
    }
    [conf] = generated_configmap(spec)["data"].values()
    # the image's CAs: the test CA is not among them
    assert "/etc/ssl/certs/ca-certificates.crt" in conf
    main = outbound_main_config(conf, tmp_path)
    nginx_test(main)
    with (
        app_server(remote, tls_dir=tmp_path / "certs"),
        running_nginx(main, local),
        pytest.raises((urllib.error.URLError, ConnectionError, OSError)),
    ):
        get(f"http://127.0.0.1:{local}/ping")


# --- what reaches nginx is exactly what was meant ---------------------------------------------
def directives(conf: str, tmp_path: Path) -> list[Any]:
    """The configuration as nginx's grammar reads it (crossplane): (name, args, block) trees."""
    path = tmp_path / "parsed.conf"
    path.write_text(conf)
    payload = crossplane.parse(str(path), single=True, check_ctx=False, check_args=False)
    assert payload["errors"] == [], payload["errors"]

    def tree(nodes: list[dict[str, Any]]) -> list[Any]:
        return [
            (n["directive"], n["args"], tree(n["block"]) if "block" in n else None) for n in nodes
        ]

    return tree(payload["config"][0]["parsed"])


def test_inbound_config_has_exactly_the_intended_blocks(tmp_path: Path) -> None:
    spec = inbound_spec(9443, 9201, clientCASecretName="ca")
    spec["inbound"] |= {"healthPort": 9444, "serverName": "*.search.example.com"}
    conf = generated_configmap(spec)["data"]["elasticsearch.conf"]
    app = [("proxy_pass", ["http://127.0.0.1:9201"], None)]
    headers = [
        ("proxy_set_header", ["Host", "$host"], None),
        ("proxy_set_header", ["X-Forwarded-For", "$proxy_add_x_forwarded_for"], None),
        ("proxy_set_header", ["X-Forwarded-Proto", "https"], None),
    ]
    assert directives(conf, tmp_path) == [
        (
            "server",
            [],
            [
                ("listen", ["9443", "ssl"], None),
                ("server_name", ["*.search.example.com"], None),
                ("ssl_certificate", ["/certs/tls.crt"], None),
                ("ssl_certificate_key", ["/certs/tls.key"], None),
                ("ssl_protocols", ["TLSv1.2", "TLSv1.3"], None),
                ("ssl_client_certificate", ["/client-ca/ca.crt"], None),
                ("ssl_verify_client", ["on"], None),
                ("location", ["/"], app + headers),
            ],
        ),
        (
            "server",
            [],
            [
                ("listen", ["9444"], None),
                ("location", ["=", "/_cluster/health"], app),
                ("location", ["/"], [("return", ["404"], None)]),
            ],
        ),
    ]


def test_outbound_config_has_exactly_the_intended_blocks(tmp_path: Path) -> None:
    spec = {"outbound": {"localPort": 6380, "remote": {"host": "fd00::12", "port": 6379}}}
    conf = generated_configmap(spec)["data"]["nginx.conf"]
    [*top, (stream, _, [(server, _, body)])] = directives(conf, tmp_path)
    assert [name for name, _, _ in top] == ["worker_processes", "error_log", "pid", "events"]
    assert (stream, server) == ("stream", "server")
    assert body == [
        ("listen", ["127.0.0.1:6380"], None),
        ("proxy_pass", ["[fd00::12]:6379"], None),
        ("proxy_ssl", ["on"], None),
        ("proxy_ssl_server_name", ["on"], None),
        ("proxy_ssl_name", ["fd00::12"], None),
        ("proxy_ssl_protocols", ["TLSv1.2", "TLSv1.3"], None),
        ("proxy_ssl_verify", ["on"], None),
        ("proxy_ssl_verify_depth", ["4"], None),
        ("proxy_ssl_trusted_certificate", ["/etc/ssl/certs/ca-certificates.crt"], None),
    ]


HOSTILE_CONFIG = [
    (
        "inbound",
        "serverName",
        "es;\n    location /admin { return 200; }",
        "spec.inbound.serverName",
    ),
    ("inbound", "serverName", "es ~^(.*)$", "spec.inbound.serverName"),
    ("outbound", "host", "10.1.2.3:6380; allow all; #", "spec.outbound.remote.host"),
    ("outbound", "host", "-remote", "spec.outbound.remote.host"),
    ("outbound", "host", "redis\n}", "spec.outbound.remote.host"),
]


@pytest.mark.parametrize(("direction", "field", "value", "path"), HOSTILE_CONFIG)
def test_config_values_nginx_would_read_as_more_are_refused(
    direction: str, field: str, value: str, path: str
) -> None:
    if direction == "inbound":
        spec = inbound_spec(9200, 9201)
        spec["inbound"][field] = value
    else:
        spec = {"outbound": {"localPort": 6380, "remote": {"host": value, "port": 6379}}}
    config = {"apiVersion": "krm-fn.dev/v1alpha1", "kind": "Ambassador", "spec": spec}
    items = yamlio.load_all(
        (EXAMPLES / "elasticsearch-ambassador-tls" / "deployment.yaml").read_text()
    )
    results = transform(config, items)
    [error] = [r for r in results if r.severity == "error"]
    assert error.field == path and ("host name" in error.message), error.to_text()


@pytest.mark.parametrize(
    "path",
    [
        "/_cluster/health {\n proxy_pass http://127.0.0.1:9201;\n }\n location /",  # the bypass
        "/health; allow all",
        "/health$request_uri",
        '/health" "x',
        "/a/../_cat/indices",
        "/%5Fcat",
        "/health #",
    ],
)
def test_a_probe_path_nginx_would_read_as_more_is_an_error_naming_the_probe(path: str) -> None:
    deployment = yamlio.load(
        (EXAMPLES / "elasticsearch-ambassador-tls" / "deployment.yaml").read_text()
    )
    [app] = deployment["spec"]["template"]["spec"]["containers"]
    app["readinessProbe"] = {"httpGet": {"path": path, "port": 9200}}
    before = yamlio.dump(deployment)
    spec = inbound_spec(9200, 9201, clientCASecretName="ca")
    spec["inbound"]["healthPort"] = 9444
    config = {"apiVersion": "krm-fn.dev/v1alpha1", "kind": "Ambassador", "spec": spec}
    results = transform(config, [deployment])
    [error] = [r for r in results if r.severity == "error"]
    assert (
        error.field
        == f"spec.template.spec.containers[name={app['name']}].readinessProbe.httpGet.path"
    )
    assert "not a plain URL path" in error.message
    assert yamlio.dump(deployment) == before
