"""Argo CD for the tests, as its own e2e tests run it: the binary's servers as local processes.

redis (Debian's), argocd-cmp-server with the plugin.yaml of kustomization-examples/argocd-cmp-plugin
(the ConfigMap's key written to a file, as the kubelet mounts it), argocd-repo-server,
argocd-server (the API the UI and `argocd app manifests` use; no auth, plain HTTP, loopback) and
argocd-application-controller, against a control plane of tests/cluster.py with Argo CD's CRDs
installed from the pinned module (scripts/test-tools.sh copies them into .build/argocd/crds).
The Git source is a local repository (file://), as Argo CD's e2e tests use.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cluster import (
    BIN,
    ROOT,
    ControlPlane,
    StartError,
    binary,
    free_port,
    http_ok,
    log_tails,
    server,
    wait_until,
)

from krm_fn import __version__
from krm_fn.argocd_generate import socket_path
from krm_fn.manifests import yamlio

CRDS = ROOT / ".build" / "argocd" / "crds"
ARGOCD_BIN = ROOT / ".build" / "argocd" / "bin"  # git-verify-wrapper.sh, from the module
PLUGIN_EXAMPLE = ROOT / "kustomization-examples" / "argocd-cmp-plugin"
PLUGIN_NAME = f"krm-fn-v{__version__}"  # <metadata.name>-<spec.version> of plugin.yaml
NAMESPACE = "argocd"
START_SECONDS = 120
PART_OF = {"app.kubernetes.io/part-of": "argocd"}


def plugin_yaml() -> str:
    """plugin.yaml as the repo-server's sidecar gets it: the ConfigMap's key, mounted as a file."""
    configmap = yamlio.load((PLUGIN_EXAMPLE / "plugin-configmap.yaml").read_text())
    return str(configmap["data"]["plugin.yaml"])


@dataclass
class ArgoCD:
    """A running Argo CD: its Git repository, and how to make and read Applications."""

    plane: ControlPlane
    directory: Path
    repo: Path
    api: str
    logs: dict[str, Path] = field(default_factory=dict)

    @property
    def repo_url(self) -> str:
        return f"file://{self.repo}"

    def git(self, *args: str) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.repo), *args],
            capture_output=True,
            text=True,
            check=True,
            env={
                **os.environ,
                "GIT_AUTHOR_NAME": "t",
                "GIT_AUTHOR_EMAIL": "t@example.com",
                "GIT_COMMITTER_NAME": "t",
                "GIT_COMMITTER_EMAIL": "t@example.com",
            },
        )
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        """Commit everything in the work tree; the new revision."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def application(
        self,
        name: str,
        path: str,
        destination: str,
        env: dict[str, str] | None = None,
        parameters: list[dict[str, Any]] | None = None,
        automated: bool = True,
        revision: str = "HEAD",
    ) -> dict[str, Any]:
        """An Application whose source uses the krm-fn plugin, synced automatically with prune.

        `revision`: a commit pins the app, so that commits of other tests do not sync it again.
        """
        plugin: dict[str, Any] = {"name": PLUGIN_NAME}
        if env:
            plugin["env"] = [{"name": k, "value": v} for k, v in env.items()]
        if parameters:
            plugin["parameters"] = parameters
        spec: dict[str, Any] = {
            "project": "default",
            "source": {
                "repoURL": self.repo_url,
                "targetRevision": revision,
                "path": path,
                "plugin": plugin,
            },
            "destination": {"server": "https://kubernetes.default.svc", "namespace": destination},
            "syncPolicy": {"syncOptions": ["CreateNamespace=true"]},
        }
        if automated:
            spec["syncPolicy"]["automated"] = {"prune": True}
        return {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": spec,
        }

    def apply(self, *resources: dict[str, Any]) -> None:
        self.plane.kubectl("apply", "-f", "-", input=yamlio.dump_all(list(resources)), check=True)

    def get(self, name: str) -> dict[str, Any]:
        done = self.plane.kubectl("get", "application", name, "-n", NAMESPACE, "-o", "json")
        return json.loads(done.stdout) if done.returncode == 0 else {}

    def refresh(self, name: str, hard: bool = False) -> None:
        """What the UI's Refresh (and Hard Refresh) button does: an annotation."""
        value = "hard" if hard else "normal"
        self.plane.kubectl(
            "annotate",
            "--overwrite",
            "application",
            name,
            "-n",
            NAMESPACE,
            f"argocd.argoproj.io/refresh={value}",
            check=True,
        )

    def wait(
        self, name: str, done: Callable[[dict[str, Any]], bool], what: str, seconds: float = 180
    ) -> dict[str, Any]:
        """The Application once done(app) holds; an error with its status and the logs if not."""
        deadline = time.monotonic() + seconds
        app = self.get(name)
        while not done(app):
            if time.monotonic() > deadline:
                status = json.dumps(app.get("status", {}), indent=1)[:4000]
                raise AssertionError(
                    f"{name}: not {what} after {seconds} s\n{status}\n{self.log_tail()}"
                )
            time.sleep(0.5)
            app = self.get(name)
        return app

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """A call on argocd-server's REST API (the UI's), as JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.api + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as err:
            raise AssertionError(f"{method} {path}: {err.code} {err.read()[:2000]!r}") from None

    def manifests(self, name: str) -> list[dict[str, Any]]:
        """What `argocd app manifests NAME` prints: the manifests Argo CD generated for the app."""
        path = f"/api/v1/applications/{name}/manifests?appNamespace={NAMESPACE}"
        answer = self.request("GET", path)
        return [json.loads(m) for m in answer.get("manifests", [])]

    def app_details(self, path: str) -> dict[str, Any]:
        """What the UI asks of a source: for a plugin, the parameters it announces."""
        source = {
            "repoURL": self.repo_url,
            "path": path,
            "targetRevision": "HEAD",
            "plugin": {"name": PLUGIN_NAME},
        }
        url = urllib.parse.quote(self.repo_url, safe="")
        body = {"source": source, "appName": "details", "appProject": "default"}
        return dict(self.request("POST", f"/api/v1/repositories/{url}/appdetails", body))

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of each Argo CD server's log, for messages."""
        return log_tails(self.logs, lines)


def synced(app: dict[str, Any]) -> bool:
    """Synced to the newest revision, and the last sync (if any) finished."""
    status = app.get("status", {})
    operation = status.get("operationState", {}).get("phase")
    return status.get("sync", {}).get("status") == "Synced" and operation in (None, "Succeeded")


def condition(app: dict[str, Any], kind: str) -> str:
    """The message of the Application's condition of that type, or ''."""
    for found in app.get("status", {}).get("conditions", []):
        if found.get("type") == kind:
            return str(found.get("message", ""))
    return ""


def install(plane: ControlPlane) -> None:
    """Argo CD's CRDs, its namespace, settings and default project on the control plane."""
    if not (CRDS / "application-crd.yaml").exists():
        raise StartError(f"{CRDS} is missing: `make tools` copies Argo CD's CRDs there")
    plane.kubectl("apply", "--server-side", "-f", str(CRDS), check=True)
    deadline = time.monotonic() + 60
    while not {"applications", "appprojects"} <= set(
        plane.kubectl("api-resources", "--api-group=argoproj.io", "-o", "name")
        .stdout.replace(".argoproj.io", "")
        .split()
    ):
        if time.monotonic() > deadline:
            raise StartError("Argo CD's CRDs were not served after 60 s")
        time.sleep(0.5)
    plane.namespace(NAMESPACE)
    settings = [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-cm", "namespace": NAMESPACE, "labels": PART_OF},
            "data": {},
        },
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "argocd-rbac-cm", "namespace": NAMESPACE, "labels": PART_OF},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "argocd-secret", "namespace": NAMESPACE, "labels": PART_OF},
        },
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "AppProject",
            "metadata": {"name": "default", "namespace": NAMESPACE},
            "spec": {
                "sourceRepos": ["*"],
                "destinations": [{"server": "*", "namespace": "*"}],
                "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
            },
        },
    ]
    plane.kubectl("apply", "-f", "-", input=yamlio.dump_all(settings), check=True)


@contextmanager
def argocd(
    plane: ControlPlane, directory: Path, other_plugins: dict[str, str] | None = None
) -> Iterator[ArgoCD]:
    """Install Argo CD on the control plane and start its servers; stop them at the end.

    `other_plugins`: plugin.yaml texts by name, each served by an argocd-cmp-server of its own
    beside krm-fn's (as sidecars of the repo-server are), for apps that name it.
    """
    argocd_binary = binary("argocd")
    install(plane)
    for sub in ("tls", "ssh", "gpg", "plugins", "config", "tmp", "home", "repo"):
        (directory / sub).mkdir(parents=True)
    (directory / "config" / "plugin.yaml").write_text(plugin_yaml())
    for name, text in (other_plugins or {}).items():
        (directory / f"config-{name}").mkdir()
        (directory / f"config-{name}" / "plugin.yaml").write_text(text)
    kubeconfig = json.loads(plane.kubeconfig.read_text())
    kubeconfig["contexts"][0]["context"]["namespace"] = NAMESPACE
    (directory / "kubeconfig").write_text(json.dumps(kubeconfig))
    redis_port, repo_port, repo_metrics, api_port, api_metrics, controller_metrics = (
        free_port() for _ in range(6)
    )
    tools = f"{Path(sys.executable).parent}:{BIN}:{ARGOCD_BIN}:/usr/local/bin:/usr/bin:/bin"
    common = {
        "PATH": tools,
        "HOME": str(directory / "home"),
        "TMPDIR": str(directory / "tmp"),
        "KUBECONFIG": str(directory / "kubeconfig"),
        "ARGOCD_FAKE_IN_CLUSTER": "true",
        "ARGOCD_PLUGINSOCKFILEPATH": str(directory / "plugins"),
        "ARGOCD_TLS_DATA_PATH": str(directory / "tls"),
        "ARGOCD_SSH_DATA_PATH": str(directory / "ssh"),
        "ARGOCD_GNUPGHOME": str(directory / "gpg"),
        "ARGOCD_GPG_ENABLED": "false",
        "KRM_FN_DEBUG": os.environ.get("KRM_FN_DEBUG", ""),
    }
    redis = f"127.0.0.1:{redis_port}"
    repo = ArgoCD(plane, directory, directory / "repo", f"http://127.0.0.1:{api_port}")
    repo.git("init", "-q", "-b", "main")
    plane_logs = dict(plane.logs)
    with ExitStack() as stack:

        def start(name: str, command: list[str], env: dict[str, str] | None = None) -> None:
            # argocd-cmp-server keeps serving after a first SIGTERM (it only removes its socket)
            grace = 2 if name.startswith("argocd-cmp-server") else 20
            stack.enter_context(server(plane, name, command, {**common, **(env or {})}, grace))
            repo.logs[name] = plane.logs[name]

        start(
            "redis",
            [
                "/usr/bin/redis-server",
                "--port",
                str(redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
        )
        # as the example's sidecar runs it: krm-fn's warm process, then the cmp-server
        sidecar = [sys.executable, "-I", "-m", "krm_fn", "argocd-sidecar"]
        start(
            "argocd-cmp-server",
            [
                *sidecar,
                argocd_binary,
                "--config-dir-path",
                str(directory / "config"),
                "--loglevel",
                "info",
            ],
            {"ARGOCD_BINARY_NAME": "argocd-cmp-server"},
        )
        for name in other_plugins or {}:
            start(
                f"argocd-cmp-server-{name}",
                [argocd_binary, "--config-dir-path", str(directory / f"config-{name}")],
                {"ARGOCD_BINARY_NAME": "argocd-cmp-server"},
            )
        socket = directory / "plugins" / f"{PLUGIN_NAME}.sock"

        def wait(what: str, ready: Callable[[], bool]) -> None:
            wait_until(plane, what, ready, START_SECONDS, repo.log_tail)

        wait("argocd-cmp-server", socket.exists)
        warm = Path(socket_path({"TMPDIR": common["TMPDIR"]}))
        wait("krm-fn argocd-sidecar", warm.exists)  # else the first generations run cold
        for name in other_plugins or {}:
            wait(f"argocd-cmp-server-{name}", (directory / "plugins" / f"{name}.sock").exists)
        start(
            "argocd-repo-server",
            [
                argocd_binary,
                "--disable-tls",
                "--client-ca-path",
                "",
                "--address",
                "127.0.0.1",
                "--port",
                str(repo_port),
                "--metrics-address",
                "127.0.0.1",
                "--metrics-port",
                str(repo_metrics),
                "--redis",
                redis,
            ],
            {
                "ARGOCD_BINARY_NAME": "argocd-repo-server",
                # as the example's README recommends: the plugin never reads .git, so it is not sent
                "ARGOCD_REPO_SERVER_PLUGIN_TAR_EXCLUSIONS": ".git",
            },
        )
        wait("argocd-repo-server", lambda: http_ok(f"http://127.0.0.1:{repo_metrics}/healthz"))
        start(
            "argocd-server",
            [
                argocd_binary,
                "--insecure",
                "--disable-auth",
                "--address",
                "127.0.0.1",
                "--port",
                str(api_port),
                "--metrics-address",
                "127.0.0.1",
                "--metrics-port",
                str(api_metrics),
                "--redis",
                redis,
                "--repo-server",
                f"127.0.0.1:{repo_port}",
                "--repo-server-plaintext",
                "--namespace",
                NAMESPACE,
                "--dex-server",
                "",
            ],
            {"ARGOCD_BINARY_NAME": "argocd-server"},
        )
        start(
            "argocd-application-controller",
            [
                argocd_binary,
                "--redis",
                redis,
                "--repo-server",
                f"127.0.0.1:{repo_port}",
                "--repo-server-plaintext",
                "--metrics-port",
                str(controller_metrics),
                "--namespace",
                NAMESPACE,
                "--app-resync",
                "30",
                "--status-processors",
                "4",
                "--operation-processors",
                "4",
            ],
            {"ARGOCD_BINARY_NAME": "argocd-application-controller"},
        )
        wait("argocd-server", lambda: http_ok(f"{repo.api}/healthz"))
        metrics = f"http://127.0.0.1:{controller_metrics}/metrics"
        wait("argocd-application-controller", lambda: http_ok(metrics))
        try:
            yield repo
        finally:
            for name in repo.logs:
                plane.processes.pop(name, None)
            plane.logs.clear()
            plane.logs.update(plane_logs)
