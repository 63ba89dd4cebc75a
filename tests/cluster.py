"""A real Kubernetes control plane for the tests: etcd, kube-apiserver, kube-controller-manager.

Built from their Go modules by scripts/test-tools.sh (`make tools`), started here on loopback
ports chosen at run time, with certificates made for the run, a token for an admin user and
temporary data directories. No scheduler and no kubelet: pods stay Pending, which is enough to
see what the API server admitted and stored. docs/testing.md says how to use it by hand.
"""

import datetime
import json
import os
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".build" / "bin"
START_SECONDS = 90
CONTROLLERS = (
    "deployment-controller,replicaset-controller,statefulset-controller,job-controller,"
    "cronjob-controller,serviceaccount-controller,serviceaccount-token-controller,"
    "garbage-collector-controller,namespace-controller,resourcequota-controller"
)


class StartError(RuntimeError):
    """The control plane did not come up; the message holds the servers' logs."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        raise StartError(f"{path} is missing: `make tools` builds it (scripts/test-tools.sh)")
    return str(path)


def write_certificates(directory: Path, service_ip: str = "10.0.0.1") -> None:
    """A CA, the API server's serving certificate, and the service-account signing key."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    def key_pem(key: Any) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "krm-fn-test-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(n) for n in ("localhost", "kubernetes", "kubernetes.default.svc")]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in ("127.0.0.1", service_ip)]
    serving = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    service_accounts = ec.generate_private_key(ec.SECP256R1())
    (directory / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (directory / "ca.key").write_bytes(key_pem(ca_key))
    (directory / "apiserver.crt").write_bytes(serving.public_bytes(serialization.Encoding.PEM))
    (directory / "apiserver.key").write_bytes(key_pem(key))
    (directory / "sa.key").write_bytes(key_pem(service_accounts))
    (directory / "sa.pub").write_bytes(
        service_accounts.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


@dataclass
class ControlPlane:
    """A running control plane: how to reach it with kubectl and with the Python client."""

    directory: Path
    url: str
    token: str
    logs: dict[str, Path] = field(default_factory=dict)
    processes: dict[str, "subprocess.Popen[bytes]"] = field(default_factory=dict)

    @property
    def kubeconfig(self) -> Path:
        return self.directory / "kubeconfig"

    @property
    def ca(self) -> Path:
        return self.directory / "certs" / "ca.crt"

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """Run the machine's kubectl against this API server."""
        command = ["kubectl", f"--kubeconfig={self.kubeconfig}", *args]
        done = subprocess.run(
            command, input=input, capture_output=True, text=True, check=False, timeout=120
        )
        if check and done.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: {done.stderr}")
        return done

    def client(self) -> Any:
        """A `kubernetes` Python client (ApiClient) for this API server."""
        import kubernetes

        configuration = kubernetes.client.Configuration()
        configuration.host = self.url
        configuration.ssl_ca_cert = str(self.ca)
        configuration.api_key = {"authorization": f"Bearer {self.token}"}
        return kubernetes.client.ApiClient(configuration)

    def get(self, path: str) -> tuple[int, bytes]:
        """A GET on the API server as the admin user."""
        request = urllib.request.Request(
            self.url + path, headers={"Authorization": f"Bearer {self.token}"}
        )
        context = ssl.create_default_context(cafile=str(self.ca))
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()
        except (OSError, urllib.error.URLError):
            return 0, b""  # not listening (yet)

    def namespace(self, name: str, labels: dict[str, str] | None = None) -> str:
        """Create a namespace (labels such as pod-security.kubernetes.io/enforce) and wait for
        its default ServiceAccount, which pods need."""
        manifest = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        if labels:
            manifest["metadata"]["labels"] = labels  # type: ignore[index]
        self.kubectl("apply", "-f", "-", input=json.dumps(manifest), check=True)
        deadline = time.monotonic() + 60
        while self.get(f"/api/v1/namespaces/{name}/serviceaccounts/default")[0] != 200:
            if time.monotonic() > deadline:
                raise AssertionError(f"no default ServiceAccount in {name}: {self.log_tail()}")
            time.sleep(0.2)
        return name

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of each server's log, for messages."""
        return log_tails(self.logs, lines)


def log_tails(logs: dict[str, Path], lines: int) -> str:
    """The last lines of each log."""
    parts = []
    for name, path in logs.items():
        text = path.read_text(errors="replace").splitlines()[-lines:]
        parts.append(f"--- {name} ({path}):\n" + "\n".join(text))
    return "\n".join(parts)


def client_certificate(certs: Path, name: str, user: str, group: str) -> None:
    """A client certificate of the control plane's CA: NAME.crt and NAME.key in certs."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca = x509.load_pem_x509_certificate((certs / "ca.crt").read_bytes())
    ca_key = serialization.load_pem_private_key((certs / "ca.key").read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, user),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, group),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    (certs / f"{name}.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    pem = serialization.Encoding.PEM
    private = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (certs / f"{name}.key").write_bytes(private)


@contextmanager
def control_plane(
    directory: Path,
    service_range: str = "10.0.0.0/24",
    apiserver: tuple[str, ...] = (),
    controllers: str = CONTROLLERS,
    authorization: str = "RBAC",
) -> Iterator[ControlPlane]:
    """Start etcd, kube-apiserver and kube-controller-manager; stop them at the end.

    A node's (tests/node.py) gives the API server more flags and runs every controller.
    """
    certs = directory / "certs"
    if not (certs / "ca.crt").exists():  # a node's are made first, with its client certificates
        certs.mkdir(parents=True)
        write_certificates(certs, service_range.rsplit(".", 1)[0] + ".1")
    token = os.urandom(16).hex()
    (directory / "tokens.csv").write_text(f'{token},admin,admin-uid,"system:masters"\n')
    etcd_port, peer_port, api_port, kcm_port = (free_port() for _ in range(4))
    plane = ControlPlane(directory, f"https://127.0.0.1:{api_port}", token)
    write_kubeconfig(plane)
    with ExitStack() as stack:
        etcd = f"http://127.0.0.1:{etcd_port}"
        stack.enter_context(
            server(
                plane,
                "etcd",
                [
                    binary("etcd"),
                    f"--data-dir={directory / 'etcd'}",
                    f"--listen-client-urls={etcd}",
                    f"--advertise-client-urls={etcd}",
                    f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                    f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                    f"--initial-cluster=default=http://127.0.0.1:{peer_port}",
                    "--unsafe-no-fsync",
                    "--log-level=warn",
                ],
            )
        )
        wait_until(plane, "etcd", lambda: http_ok(f"{etcd}/health"))
        stack.enter_context(
            server(
                plane,
                "kube-apiserver",
                [
                    binary("kube-apiserver"),
                    f"--etcd-servers={etcd}",
                    f"--secure-port={api_port}",
                    "--bind-address=127.0.0.1",
                    "--advertise-address=127.0.0.1",
                    f"--service-cluster-ip-range={service_range}",
                    "--endpoint-reconciler-type=none",
                    f"--tls-cert-file={certs / 'apiserver.crt'}",
                    f"--tls-private-key-file={certs / 'apiserver.key'}",
                    f"--client-ca-file={certs / 'ca.crt'}",
                    f"--token-auth-file={directory / 'tokens.csv'}",
                    f"--authorization-mode={authorization}",
                    "--allow-privileged=true",
                    "--service-account-issuer=https://kubernetes.default.svc",
                    f"--service-account-key-file={certs / 'sa.pub'}",
                    f"--service-account-signing-key-file={certs / 'sa.key'}",
                    f"--cert-dir={certs}",
                    *apiserver,
                ],
            )
        )
        wait_until(plane, "kube-apiserver", lambda: plane.get("/readyz")[0] == 200)
        stack.enter_context(
            server(
                plane,
                "kube-controller-manager",
                [
                    binary("kube-controller-manager"),
                    f"--kubeconfig={plane.kubeconfig}",
                    "--leader-elect=false",
                    f"--controllers={controllers}",
                    f"--service-account-private-key-file={certs / 'sa.key'}",
                    f"--root-ca-file={certs / 'ca.crt'}",
                    "--bind-address=127.0.0.1",
                    f"--secure-port={kcm_port}",
                    "--use-service-account-credentials=false",
                    f"--authentication-kubeconfig={plane.kubeconfig}",
                    f"--authorization-kubeconfig={plane.kubeconfig}",
                ],
            )
        )
        default_account = "/api/v1/namespaces/default/serviceaccounts/default"
        wait_until(plane, "kube-controller-manager", lambda: plane.get(default_account)[0] == 200)
        yield plane


def write_kubeconfig(plane: ControlPlane) -> None:
    cluster = {"server": plane.url, "certificate-authority": str(plane.ca)}
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": cluster}],
        "users": [{"name": "admin", "user": {"token": plane.token}}],
        "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin"}}],
        "current-context": "test",
    }
    plane.kubeconfig.write_text(json.dumps(config, indent=2))


@contextmanager
def server(
    plane: ControlPlane,
    name: str,
    command: list[str],
    env: dict[str, str] | None = None,
    grace: float = 20,
) -> Iterator[None]:
    """A server process, its output in a log file; stopped with SIGTERM, then SIGKILL."""
    log = plane.directory / f"{name}.log"
    plane.logs[name] = log
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    plane.processes[name] = process
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def wait_until(
    plane: ControlPlane,
    what: str,
    ready: Any,
    seconds: float = START_SECONDS,
    logs: Any = None,
) -> None:
    """Wait for ready(); a server that exits, or the time running out, is a StartError."""
    tail = logs or plane.log_tail
    deadline = time.monotonic() + seconds
    while not ready():
        died = [n for n, p in plane.processes.items() if p.poll() is not None]
        if died:
            raise StartError(f"{', '.join(died)} exited while starting {what}\n{tail()}")
        if time.monotonic() > deadline:
            raise StartError(f"{what} was not ready after {seconds} s\n{tail()}")
        time.sleep(0.2)


if __name__ == "__main__":  # a control plane to try things by hand: Ctrl-C stops it
    import tempfile

    with (
        tempfile.TemporaryDirectory(prefix="krm-fn-control-plane-") as work,
        control_plane(Path(work)) as plane,
    ):
        print(f"export KUBECONFIG={plane.kubeconfig}\n# logs: {work}/*.log; Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
