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

import pytest
from support import EXAMPLES, run

from krm_fn import yamlio
from krm_fn.cli import transform

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
