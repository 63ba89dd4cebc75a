"""The images the test node's pods run, made offline (`make tools`), never pulled.

No container registry is reachable from these machines. Each image is a root filesystem made
from Debian's packages with mmdebstrap (or a static Go program), written as an OCI archive in
.build/node/images under the reference the tests and examples use (`docker.io/library/...`:
what the kubelet asks containerd for when a pod says `busybox:1.36.1`). tests/node.py imports
them into the node's containerd. An image is made again only when its definition here changes.

The real programs where Debian has them (busybox, nginx with its stream module, redis, git); for
the examples' made-up apps (a legacy shop, a nightly report, a database proxy), stand-ins:
a few lines of busybox sh that do what the example says the app does, and nothing more.

Usage: python scripts/node-images.py [--out DIR] [NAME...]
"""

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIRROR = "deb http://deb.debian.org/debian bookworm main"
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
)
GROUP = "root:x:0:\nnogroup:x:65534:\n"

# The examples' apps, as the examples describe them (busybox sh; kept short on purpose).
SHOP = """#!/bin/sh
# registry.example.com/legacy/shop: the sidecar-log-shipper example's app, which was never
# meant for containers: it serves HTTP on 8080 and writes its access log to a file
# (--log-file=PATH), not to stdout.
log=/var/log/shop/access.log
for argument in "$@"; do
  case "$argument" in --log-file=*) log="${argument#--log-file=}" ;; esac
done
mkdir -p "$(dirname "$log")" /tmp/shop
echo "shop" > /tmp/shop/index.html
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) shop started" >> "$log"
exec httpd -f -vv -p 8080 -h /tmp/shop 2>> "$log"
"""
SQL_PROXY = """#!/bin/sh
# gcr.io/cloud-sql-connectors/cloud-sql-proxy: the cronjob-native-sidecar example's database
# proxy. It answers on --port (each connection gets "ok") and, with --health-check, serves
# /startup, /readiness and /liveness on port 9090 of --http-address. It never exits by itself,
# and writes nothing (krm-fn gives it a read-only root filesystem).
port=5432
for argument in "$@"; do
  case "$argument" in --port=*) port="${argument#--port=}" ;; esac
done
httpd -p 9090 -h /srv/health
echo "proxy listening on 127.0.0.1:$port"
while true; do echo ok | nc -l -p "$port" > /dev/null; done
"""
REPORT = """#!/bin/sh
# registry.example.com/reports: the cronjob-native-sidecar example's nightly report. It needs
# the database at 127.0.0.1:5432 (through the proxy beside it), writes its report and exits.
for attempt in 1 2 3 4 5 6 7 8 9 10; do
  if answer="$(nc 127.0.0.1 5432 < /dev/null 2> /dev/null)" && [ "$answer" = ok ]; then
    echo "report written (database at 127.0.0.1:5432 answered)"
    exit 0
  fi
  sleep 1
done
echo "no database at 127.0.0.1:5432" >&2
exit 1
"""
# nginx laid out as the official image has it: /etc/nginx/conf.d/*.conf, the default site on port
# 80 serving /usr/share/nginx/html, the logs on the container's stdout and stderr.
NGINX_CONF = """# the official image's layout; Debian's dynamic modules (stream among them)
include /etc/nginx/modules-enabled/*.conf;
user www-data;
worker_processes auto;
error_log /dev/stderr notice;
pid /var/run/nginx.pid;
events {
    worker_connections 1024;
}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
"""
NGINX_DEFAULT = """server {
    listen 80;
    server_name localhost;
    location / {
        root /usr/share/nginx/html;
        index index.html;
    }
}
"""


@dataclass(frozen=True)
class Image:
    """One image: where its root filesystem comes from, what is added, how it starts."""

    names: tuple[str, ...]  # the references containerd knows it by
    packages: tuple[str, ...] = ()  # Debian packages (mmdebstrap), or none: see `go`
    variant: str = "extract"  # mmdebstrap's: extract (files only) or essential (a userland)
    busybox: bool = False  # link busybox's applets into /bin (for the extract variant)
    go: str = ""  # a Go program of testtools/ to build as the one file (the pause image)
    files: tuple[tuple[str, int, str], ...] = ()  # (path, mode, text) added
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    user: str = ""
    stop_signal: str = ""
    drop: tuple[str, ...] = ("usr/share/doc", "usr/share/man", "usr/share/info",
                             "usr/share/locale", "var/cache/apt", "var/lib/apt/lists")  # fmt: skip

    def digest(self) -> str:
        """What decides whether the image must be made again."""
        text = json.dumps(self.__dict__, sort_keys=True, default=list)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


BUSYBOX_FILES = (("etc/passwd", 0o644, PASSWD), ("etc/group", 0o644, GROUP))
IMAGES: dict[str, Image] = {
    "pause": Image(("registry.k8s.io/pause:3.10.2",), go="pause", entrypoint=("/pause",)),
    "busybox": Image(
        ("docker.io/library/busybox:1.36.1",),
        packages=("busybox-static",), busybox=True, files=BUSYBOX_FILES, cmd=("sh",),
    ),
    "shop": Image(
        ("registry.example.com/legacy/shop:4.2.1",),
        packages=("busybox-static",), busybox=True,
        files=(*BUSYBOX_FILES, ("usr/local/bin/shop", 0o755, SHOP)),
        entrypoint=("/usr/local/bin/shop",), user="65534",
    ),
    "cloud-sql-proxy": Image(
        ("gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",),
        packages=("busybox-static",), busybox=True,
        files=(*BUSYBOX_FILES, ("usr/local/bin/cloud-sql-proxy", 0o755, SQL_PROXY),
               *((f"srv/health/{check}", 0o644, "ok\n")
                 for check in ("startup", "readiness", "liveness"))),
        entrypoint=("/usr/local/bin/cloud-sql-proxy",), user="65534",
    ),
    "reports": Image(
        ("registry.example.com/reports:1.8.0",),
        packages=("busybox-static",), busybox=True,
        files=(*BUSYBOX_FILES, ("usr/local/bin/report", 0o755, REPORT)),
        entrypoint=("/usr/local/bin/report",), user="65534",
    ),
    "nginx": Image(
        ("docker.io/library/nginx:1.27.3",),
        packages=("nginx-light", "libnginx-mod-stream", "busybox"), variant="essential",
        files=(("etc/nginx/nginx.conf", 0o644, NGINX_CONF),
               ("etc/nginx/conf.d/default.conf", 0o644, NGINX_DEFAULT),
               ("usr/share/nginx/html/index.html", 0o644, "nginx\n")),
        cmd=("nginx", "-g", "daemon off;"), stop_signal="SIGQUIT",
    ),
    "redis": Image(
        ("docker.io/library/redis:7.4.1-alpine",),
        packages=("redis-server", "busybox"), variant="essential",
        cmd=("redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"),
    ),
    "git": Image(
        ("docker.io/alpine/git:2.45.2",),
        packages=("git", "ca-certificates", "busybox"), variant="essential",
        entrypoint=("git",),
    ),
}  # fmt: skip


def rootfs(image: Image, directory: Path) -> None:
    """The image's files in directory."""
    if image.go:
        directory.mkdir(parents=True)
        subprocess.run(
            ["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(directory / image.go), "."],
            cwd=ROOT / "testtools" / image.go, check=True,
            env={**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"},
        )  # fmt: skip
    else:
        subprocess.run(
            ["mmdebstrap", "--quiet", "--mode=root", f"--variant={image.variant}",
             f"--include={','.join(image.packages)}", "bookworm", str(directory), MIRROR],
            check=True,
        )  # fmt: skip
    for path in image.drop:
        shutil.rmtree(directory / path, ignore_errors=True)
    if image.busybox:
        listed = subprocess.run(
            ["chroot", str(directory), "/bin/busybox", "--list"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        for applet in listed.stdout.split():
            link = directory / "bin" / applet
            if not link.exists() and not link.is_symlink():
                link.symlink_to("busybox")
        for made in ("tmp", "root", "var/log", "etc"):
            (directory / made).mkdir(parents=True, exist_ok=True)
        (directory / "tmp").chmod(0o1777)
    for path, mode, text in image.files:
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        target.chmod(mode)


def layer(directory: Path, out: Path) -> None:
    """The directory as an image layer: owners kept by number, /dev, /proc and /sys empty."""

    def entry(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        parts = Path(info.name).parts
        if len(parts) > 1 and parts[0] in ("dev", "proc", "sys"):
            return None
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for child in sorted(directory.iterdir()):
            tar.add(child, arcname=child.name, filter=entry)


def oci_archive(image: Image, layer_file: Path, out: Path) -> None:
    """An OCI image layout in a tar, one manifest per name (`ctr images import` reads them)."""
    blobs: dict[str, bytes | Path] = {}

    def blob(data: bytes | Path) -> tuple[str, int]:
        if isinstance(data, Path):
            hasher = hashlib.sha256()
            with data.open("rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    hasher.update(chunk)
            digest, size = hasher.hexdigest(), data.stat().st_size
        else:
            digest, size = hashlib.sha256(data).hexdigest(), len(data)
        blobs[digest] = data
        return f"sha256:{digest}", size

    layer_digest, layer_size = blob(layer_file)
    config: dict[str, object] = {"Env": [f"PATH={PATH}"], "WorkingDir": "/"}
    for key, value in (("Entrypoint", list(image.entrypoint)), ("Cmd", list(image.cmd)),
                       ("User", image.user), ("StopSignal", image.stop_signal)):  # fmt: skip
        if value:
            config[key] = value
    config_digest, config_size = blob(json.dumps({
        "architecture": "amd64", "os": "linux", "config": config,
        "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
    }, sort_keys=True).encode())  # fmt: skip
    manifest_digest, manifest_size = blob(json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": layer_size}],
    }, sort_keys=True).encode())  # fmt: skip
    index = {
        "schemaVersion": 2,
        "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": manifest_digest, "size": manifest_size,
             "annotations": {"io.containerd.image.name": name,
                             "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1]}}
            for name in image.names
        ],
    }  # fmt: skip
    with tarfile.open(out, "w") as tar:

        def add(name: str, data: bytes | Path) -> None:
            if isinstance(data, Path):
                tar.add(data, arcname=name)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))

        add("oci-layout", json.dumps({"imageLayoutVersion": "1.0.0"}).encode())
        add("index.json", json.dumps(index).encode())
        for digest, data in blobs.items():
            add(f"blobs/sha256/{digest}", data)


def build(name: str, image: Image, out: Path) -> bool:
    """Make the image's archive unless the one there is of this definition; whether it was made."""
    archive, stamp = out / f"{name}.tar", out / f".{name}.stamp"
    if archive.exists() and stamp.exists() and stamp.read_text() == image.digest():
        return False
    with tempfile.TemporaryDirectory(prefix=f"node-image-{name}-", dir=out) as work:
        files, layer_file = Path(work) / "rootfs", Path(work) / "layer.tar"
        rootfs(image, files)
        layer(files, layer_file)
        oci_archive(image, layer_file, archive.with_suffix(".tar.new"))
        archive.with_suffix(".tar.new").replace(archive)
    stamp.write_text(image.digest())
    return True


def main() -> int:
    """Make what is missing or out of date."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / ".build" / "node" / "images")
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"of {', '.join(IMAGES)}")
    options = parser.parse_args()
    unknown = [n for n in options.names if n not in IMAGES]
    if unknown:
        parser.error(f"no image {', '.join(unknown)}; there are {', '.join(IMAGES)}")
    options.out.mkdir(parents=True, exist_ok=True)
    for name in options.names or list(IMAGES):
        if build(name, IMAGES[name], options.out):
            size = (options.out / f"{name}.tar").stat().st_size // 1024 // 1024
            print(f"made {name}: {', '.join(IMAGES[name].names)} ({size} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
