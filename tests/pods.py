"""Pods as directories: helpers to run what krm-fn injects, for the tests that execute it."""

import http.server
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from krm_fn.framework import transform

BUSYBOX = "/bin/busybox"  # conftest.py has it too
SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def pod_with(
    kind: str,
    spec: dict[str, Any],
    app: dict[str, Any] | None = None,
    volumes: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A Deployment's pod spec after krm-fn applied one pattern to it (errors fail the test)."""
    app = app or {"name": "app", "image": "registry.example.com/app:1.0"}
    if volumes is None:
        volumes = [{"name": m["name"], "emptyDir": {}} for m in app.get("volumeMounts", [])]
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "app"},
        "spec": {
            "selector": {"matchLabels": {"app": "app"}},
            "template": {
                "metadata": {"labels": {"app": "app"}},
                "spec": {"containers": [app], **({"volumes": volumes} if volumes else {})},
            },
        },
    }
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": "t"},
        "spec": spec,
    }
    results = transform(config, [deployment])
    assert not [r for r in results if r.severity == "error"], [r.message for r in results]
    pod: dict[str, Any] = deployment["spec"]["template"]["spec"]
    return pod


def fake(bin_dir: Path, name: str, body: str) -> None:
    """A stand-in for an image's own program (vault, aws...), a busybox sh script."""
    path = bin_dir / name
    path.unlink(missing_ok=True)  # never write through an applet's link into busybox itself
    path.write_text(f"#!{BUSYBOX} sh\n" + body)
    path.chmod(0o755)


def provide(bin_dir: Path, name: str) -> None:
    """The image's own program from this machine (git in alpine/git, curl in curlimages/curl)."""
    found = shutil.which(name, path="/usr/local/bin:/usr/bin:/bin")
    assert found, f"{name} is missing on this machine"
    path = bin_dir / name
    path.unlink(missing_ok=True)
    path.symlink_to(found)


class Pod:
    """Volumes as directories, and init containers run with sh."""

    def __init__(self, spec: dict[str, Any], root: Path, bin_dir: Path) -> None:
        self.spec = spec
        self.root = root
        self.bin_dir = bin_dir

    def volume(self, name: str) -> Path:
        path = self.root / "volumes" / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def container(self, name: str) -> dict[str, Any]:
        everything = [*self.spec.get("initContainers", []), *self.spec["containers"]]
        return next(c for c in everything if c["name"] == name)

    def app_dir(self, app: str, mount_path: str) -> Path:
        """The directory behind one of the app container's mounts (so: what the app sees)."""
        [mount] = [
            m for m in self.container(app).get("volumeMounts", []) if m["mountPath"] == mount_path
        ]
        return self.volume(mount["name"])

    def prepare(
        self, name: str, extra: dict[str, str] | None = None, env: dict[str, str] | None = None
    ) -> tuple[str, dict[str, str]]:
        """A container's `sh -c` script with its mount paths (and `extra` paths) mapped to
        directories, and its environment."""
        container = self.container(name)
        command = list(container.get("command", [])) + list(container.get("args", []))
        assert command[:2] == ["sh", "-c"], command
        mapping = {
            m["mountPath"]: str(self.volume(m["name"])) for m in container.get("volumeMounts", [])
        }
        mapping.update(extra or {})
        script = command[2]
        if mapping:
            paths = "|".join(re.escape(p) for p in sorted(mapping, key=len, reverse=True))
            pattern = re.compile(rf"(?<![\w.-])({paths})(?=/|$|[^\w.-])")
            script = pattern.sub(lambda m: mapping[m.group(1)], script)
        # the image's tools only: busybox's applets and what the test provides, none of the host's
        environment = {"PATH": str(self.bin_dir), "HOME": str(self.root)}
        environment.update(
            {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
        )
        environment.update(env or {})
        return script, environment

    def run(
        self, name: str, extra: dict[str, str] | None = None, env: dict[str, str] | None = None
    ) -> Any:
        """Run an init container's command to its end."""
        script, environment = self.prepare(name, extra, env)
        return subprocess.run(
            [BUSYBOX, "sh", "-c", script],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def start(self, name: str, extra: dict[str, str] | None = None) -> "subprocess.Popen[str]":
        """Start a long-running container (a sidecar)."""
        script, environment = self.prepare(name, extra)
        return subprocess.Popen(
            [BUSYBOX, "sh", "-c", script],
            env=environment,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )


def git(*args: str, cwd: Path) -> None:
    """Run the real git as a test user."""
    user = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run(["git", *user, *args], cwd=cwd, check=True, capture_output=True)


def git_repository(path: Path, content: str) -> Path:
    """A repository on branch main with one commit: index.html holding `content`."""
    path.mkdir()
    git("init", "-q", "-b", "main", cwd=path)
    (path / "index.html").write_text(content)
    git("add", ".", cwd=path)
    git("commit", "-qm", "v1", cwd=path)
    return path


@contextmanager
def http_server(
    files: dict[str, bytes], header: str | None = None
) -> Iterator[tuple[int, list[str]]]:
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if header and self.headers.get("Authorization") != header:
                self.send_response(401)
                self.end_headers()
                return
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def do_POST(self) -> None:
            seen.append(f"POST {self.path}")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()
