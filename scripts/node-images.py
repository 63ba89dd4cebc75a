"""The images the test node's pods run, made offline (`make tools`), never pulled.

No container registry is reachable from these machines. Each image is a root filesystem made
from Debian's packages with mmdebstrap (or a static Go program), written as an OCI archive in
.build/node/images under the reference the tests and examples use (`docker.io/library/...`:
what the kubelet asks containerd for when a pod says `busybox:1.36.1`). tests/node.py imports
them into the node's containerd. An image is made again only when its definition here changes.

The real programs where Debian has them (busybox, nginx with its stream module, redis, git); for
the examples' made-up apps and for images Debian has no package of (a legacy shop, a nightly
report, a database proxy, Elasticsearch and its exporter, an HTTP server, git-sync, which the Go
module proxy does not serve...), stand-ins:
a few lines of sh that do what the example says the app does, and nothing more.

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
ELASTICSEARCH = """#!/bin/sh
# docker.elastic.co/elasticsearch/elasticsearch: the elasticsearch-* examples' app, reduced to
# what they rely on. Settings come as env variables named like the settings, as the image reads
# them (network.host, http.port, path.logs). It serves /, /_cluster/health and /_nodes/stats on
# network.host:http.port, and logs JSON lines: to stdout, or, when config/log4j2.properties says
# RollingFile (the log tailer example), to path.logs/docker-cluster_server.json.
setting() {  # from the process's environment: sh keeps no variable with a dot in its name
  tr '\\0' '\\n' < /proc/$$/environ | sed -n "s/^$(echo "$1" | sed 's/[.]/[.]/g')=//p" | head -n 1
}
host="$(setting network.host)"; port="$(setting http.port)"; logs="$(setting path.logs)"
host="${host:-0.0.0.0}"; port="${port:-9200}"; logs="${logs:-/usr/share/elasticsearch/logs}"
to_file=no
if grep -q RollingFile /usr/share/elasticsearch/config/log4j2.properties 2>/dev/null; then
  to_file=yes; mkdir -p "$logs"
fi
log() {
  format='{"type": "server", "timestamp": "%s", "level": "INFO", '
  format="$format"'"cluster.name": "docker-cluster", "message": "%s"}'
  line="$(printf "$format" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(printf '%s' "$1" | tr -d '"\\\\')")"
  if [ "$to_file" = yes ]; then
    echo "$line" >> "$logs/docker-cluster_server.json"
  else
    echo "$line"
  fi
}
site=/tmp/elasticsearch; mkdir -p "$site/_cluster" "$site/_nodes"
echo '{"name": "es", "cluster_name": "docker-cluster", "version": {"number": "7.9.3"},' \\
  '"tagline": "You Know, for Search"}' > "$site/index.html"
echo '{"cluster_name": "docker-cluster", "status": "green", "number_of_nodes": 1}' \\
  > "$site/_cluster/health"
echo '{"cluster_name": "docker-cluster", "nodes": {}}' > "$site/_nodes/stats"
log "starting, publish_address {$host:$port}, discovery.type $(setting discovery.type)"
trap 'kill $(jobs -p) 2> /dev/null; exit 0' TERM INT  # PID 1 in its container: stop at once
httpd -f -vv -p "$host:$port" -h "$site" 2>&1 | while IFS= read -r line; do log "$line"; done &
wait
"""
ES_USER = "elasticsearch:x:1000:0::/usr/share/elasticsearch:/bin/sh\n"
GIT_SYNC = """#!/bin/sh
# registry.k8s.io/git-sync/git-sync: git-sync (k8s.io/git-sync) is not served by the Go module
# proxy, so this stand-in does what the GitClone pattern relies on, with git-sync v4's flags:
# --repo, --root (the repository: root/.git), --link (relative to --root), --ref (default
# HEAD), --depth, --period (s, m, h) and --one-time. Each new revision is checked out into
# root/.worktrees/HASH and published by replacing the symlink at once (a relative link, so it
# resolves wherever the volume is mounted); older worktrees are removed.
set -eu
repo=""; root=""; link=""; ref=HEAD; depth=0; period=10s; one_time=no
for argument in "$@"; do
  case "$argument" in
    --repo=*) repo="${argument#--repo=}" ;;
    --root=*) root="${argument#--root=}" ;;
    --link=*) link="${argument#--link=}" ;;
    --ref=*) ref="${argument#--ref=}" ;;
    --depth=*) depth="${argument#--depth=}" ;;
    --period=*) period="${argument#--period=}" ;;
    --one-time) one_time=yes ;;
    *) echo "git-sync: unknown flag $argument" >&2; exit 2 ;;
  esac
done
[ -n "$repo" ] && [ -n "$root" ] || { echo "git-sync: --repo and --root are required" >&2; exit 2; }
[ -n "$link" ] || link="$(basename "$repo" .git)"
case "$link" in /*) ;; *) link="$root/$link" ;; esac
export HOME=/tmp
git() { command git -c safe.directory='*' -C "$root" "$@"; }
[ -d "$root/.git" ] || { git init -q; git remote add origin -- "$repo"; }
sync_once() {
  deep=""; [ "$depth" = 0 ] || deep="--depth=$depth"
  git fetch -q $deep -- origin "$ref"
  hash="$(git rev-parse FETCH_HEAD)"
  [ "$(readlink "$link" 2>/dev/null)" != ".worktrees/$hash" ] || return 0
  [ -d "$root/.worktrees/$hash" ] || git worktree add -q --detach "$root/.worktrees/$hash" "$hash"
  ln -sfn ".worktrees/$hash" "$link.new" && mv -T "$link.new" "$link"
  for old in "$root"/.worktrees/*; do
    [ "$old" = "$root/.worktrees/$hash" ] || git worktree remove --force "$old"
  done
  echo "git-sync: synced $hash"
}
sync_once
[ "$one_time" = no ] || exit 0
seconds="$(echo "$period" | sed -e 's/h/*3600+/g' -e 's/m/*60+/g' -e 's/s/+/g' -e 's/+$//')"
while sleep "$(( seconds ))"; do sync_once || echo "git-sync: sync failed" >&2; done
"""
EXPORTER = """#!/bin/sh
# justwatch/elasticsearch_exporter: the adapter example's exporter, reduced to what it shows.
# Serves Prometheus metrics on --web.listen-address (default :9114) at /metrics, read from the
# cluster health of --es.uri (default http://localhost:9200) at each scrape.
uri=http://localhost:9200; listen=:9114
for argument in "$@"; do
  case "$argument" in
    --es.uri=*) uri="${argument#--es.uri=}" ;;
    --web.listen-address=*) listen="${argument#--web.listen-address=}" ;;
  esac
done
export ES_URI="$uri"
echo "listening on $listen, scraping $uri"
exec nc -ll -p "${listen##*:}" -e /usr/local/bin/scrape
"""
SCRAPE = """#!/bin/sh
# One HTTP request on stdin, its answer on stdout: /metrics from the cluster's health.
read -r method path version
while IFS= read -r line && [ -n "$(printf '%s' "$line" | tr -d '\\r')" ]; do :; done
if [ "$path" != /metrics ]; then printf 'HTTP/1.0 404 Not Found\\r\\n\\r\\n'; exit 0; fi
health="$(wget -q -O - "$ES_URI/_cluster/health" 2>/dev/null)"
up=0; [ -n "$health" ] && up=1
status="$(echo "$health" | sed -n 's/.*"status": *"\\([a-z]*\\)".*/\\1/p')"
printf 'HTTP/1.0 200 OK\\r\\nContent-Type: text/plain; version=0.0.4\\r\\n\\r\\n'
echo "# TYPE elasticsearch_cluster_health_up gauge"
echo "elasticsearch_cluster_health_up $up"
echo "# TYPE elasticsearch_cluster_health_status gauge"
for color in green yellow red; do
  value=0; [ "$status" = "$color" ] && value=1
  echo "elasticsearch_cluster_health_status{cluster=\\"docker-cluster\\",color=\\"$color\\"} $value"
done
"""
HTTPD = """#!/bin/sh
# centos/httpd: the git-clone example's web server: serves /var/www/html on port 80.
mkdir -p /var/www/html
exec httpd -f -vv -p 80 -h /var/www/html
"""
ORDERS_API = """#!/bin/sh
# registry.example.com/orders-api: the migration example's app. `migrate up` connects to the
# database of DATABASE_URL (scheme://user:password@host:port/name), sends what it migrates and
# exits 0 when the database answers "ok", 1 when it does not; without arguments it serves
# HTTP on 8080.
address="${DATABASE_URL#*@}"; address="${address%%/*}"
host="${address%:*}"; port="${address##*:}"
if [ "$1 $2" = "migrate up" ]; then
  echo "migrating the database at $host:$port (LOG_LEVEL=${LOG_LEVEL:-unset})"
  line="migrate up from $(hostname) as $(id -u) LOG_LEVEL=${LOG_LEVEL:-unset}"
  answer="$(echo "$line" | nc -w 3 "$host" "$port" 2>&1)"
  if [ "$answer" = ok ]; then echo "migrated"; exit 0; fi
  echo "migration failed: the database at $host:$port did not answer ($answer)" >&2
  exit 1
fi
mkdir -p /tmp/www && echo "orders-api" > /tmp/www/index.html
echo "orders-api serving on 8080"
exec httpd -f -p 8080 -h /tmp/www
"""
CATALOG_API = """#!/bin/sh
# registry.example.com/catalog-api: the local cache example's app. It serves HTTP on 8080 and
# keeps what it serves in the cache of CACHE_URL (redis://host:port/db), checking it every 5 s.
address="${CACHE_URL#redis://}"; address="${address%%/*}"
host="${address%:*}"; port="${address##*:}"
mkdir -p /tmp/www && echo "catalog-api" > /tmp/www/index.html
httpd -p 8080 -h /tmp/www
trap 'exit 0' TERM INT  # PID 1 in its container: stop at once
while true; do
  echo "cache $host:$port: $(printf 'PING\\r\\n' | nc -w 2 "$host" "$port" 2>&1 | tr -d '\\r')"
  sleep 5 & wait $!
done
"""
INFERENCE = """#!/bin/sh
# registry.example.com/inference-server: the download example's app. It loads --model=PATH
# (and says what it loaded, with its SHA-256) and serves on 8080; without the file it exits 1.
model=/models/model.onnx
for argument in "$@"; do
  case "$argument" in --model=*) model="${argument#--model=}" ;; esac
done
if [ ! -f "$model" ]; then echo "no model at $model" >&2; exit 1; fi
echo "loaded $model sha256 $(sha256sum "$model" | cut -d ' ' -f 1)"
mkdir -p /tmp/www && echo "inference" > /tmp/www/index.html
exec httpd -f -p 8080 -h /tmp/www
"""


def nginx_conf(head: str, pid: str, http_head: str = "") -> str:
    """An nginx.conf of the images: the logs on stdout and stderr, sites in conf.d/*.conf."""
    return (
        f"{head}worker_processes auto;\nerror_log /dev/stderr notice;\npid {pid};\n"
        "events {\n    worker_connections 1024;\n}\n"
        f"http {{\n{http_head}"
        "    include /etc/nginx/mime.types;\n"
        "    default_type application/octet-stream;\n"
        "    access_log /dev/stdout;\n"
        "    sendfile on;\n"
        "    keepalive_timeout 65;\n"
        "    include /etc/nginx/conf.d/*.conf;\n"
        "}\n"
    )


MODULES = "include /etc/nginx/modules-enabled/*.conf;\n"
# nginx laid out as the official image has it: /etc/nginx/conf.d/*.conf, the default site on port
# 80 serving /usr/share/nginx/html, the logs on the container's stdout and stderr.
NGINX_CONF = nginx_conf(
    "# the official image's layout; Debian's dynamic modules (stream among them)\n"
    f"{MODULES}user www-data;\n",
    "/var/run/nginx.pid",
)
# nginxinc/nginx-unprivileged: the same nginx as user 101 (nginx), on port 8080, its pid file
# and temporary files under /tmp, as that image has them.
NGINX_UNPRIVILEGED_CONF = nginx_conf(
    MODULES,
    "/tmp/nginx.pid",
    "".join(
        f"    {kind}_temp_path /tmp/{directory};\n"
        for kind, directory in (
            ("client_body", "client_temp"),
            ("proxy", "proxy_temp_path"),
            ("fastcgi", "fastcgi_temp"),
            ("uwsgi", "uwsgi_temp"),
            ("scgi", "scgi_temp"),
        )
    ),
)
# The official image's entrypoint, as far as it matters here: its nginx has the stream module
# built in, Debian's loads it as a dynamic module, which a whole nginx.conf of one's own (the
# outbound ambassador's) does not name. nginx reads -g before its config file.
NGINX_ENTRYPOINT = """#!/bin/sh
module="load_module /usr/lib/nginx/modules/ngx_stream_module.so;"
if [ "$#" -eq 3 ] && [ "$1" = nginx ] && [ "$2" = -g ] \\
    && ! grep -qE 'modules-enabled|ngx_stream_module' /etc/nginx/nginx.conf; then
  set -- nginx -g "$module $3"
fi
exec "$@"
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
    links: tuple[tuple[str, str], ...] = ()  # (path, target) symbolic links added
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    user: str = ""
    stop_signal: str = ""
    drop: tuple[str, ...] = (
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "usr/share/locale",
        "var/cache/apt",
        "var/lib/apt/lists",
    )

    def digest(self) -> str:
        """What decides whether the image must be made again."""
        text = json.dumps(self.__dict__, sort_keys=True, default=list)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


BUSYBOX_FILES = (("etc/passwd", 0o644, PASSWD), ("etc/group", 0o644, GROUP))


def stand_in(
    name: str,
    program: str,
    script: str,
    user: str = "65534",
    more: tuple[tuple[str, int, str], ...] = (),
) -> Image:
    """An image Debian has no package of, standing in for the real one.

    Busybox and a script at `program` that does what the examples need of the real program
    (and `more` files), started as `user`.
    """
    return Image(
        (name,),
        packages=("busybox-static",),
        busybox=True,
        files=(*BUSYBOX_FILES, (program, 0o755, script), *more),
        entrypoint=(f"/{program}",),
        user=user,
    )


IMAGES: dict[str, Image] = {
    "pause": Image(("registry.k8s.io/pause:3.10.2",), go="pause", entrypoint=("/pause",)),
    "busybox": Image(
        ("docker.io/library/busybox:1.36.1", "docker.io/library/alpine:3.20"),
        packages=("busybox-static",),
        busybox=True,
        files=BUSYBOX_FILES,
        cmd=("sh",),
    ),
    "shop": stand_in("registry.example.com/legacy/shop:4.2.1", "usr/local/bin/shop", SHOP),
    "cloud-sql-proxy": stand_in(
        "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1",
        "usr/local/bin/cloud-sql-proxy",
        SQL_PROXY,
        more=tuple(
            (f"srv/health/{check}", 0o644, "ok\n") for check in ("startup", "readiness", "liveness")
        ),
    ),
    "reports": stand_in("registry.example.com/reports:1.8.0", "usr/local/bin/report", REPORT),
    "elasticsearch": Image(
        ("docker.elastic.co/elasticsearch/elasticsearch:7.9.3",),
        packages=("busybox-static",),
        busybox=True,
        files=(
            ("etc/passwd", 0o644, PASSWD + ES_USER),
            ("etc/group", 0o644, GROUP),
            ("usr/local/bin/elasticsearch", 0o755, ELASTICSEARCH),
        ),
        entrypoint=("/usr/local/bin/elasticsearch",),
        user="1000",
    ),
    "elasticsearch-exporter": stand_in(
        "docker.io/justwatch/elasticsearch_exporter:1.1.0",
        "usr/local/bin/elasticsearch_exporter",
        EXPORTER,
        more=(("usr/local/bin/scrape", 0o755, SCRAPE),),
    ),
    "httpd": stand_in(
        "docker.io/centos/httpd:latest", "usr/local/bin/httpd-foreground", HTTPD, user=""
    ),
    "orders-api": stand_in(
        "registry.example.com/orders-api:5.2.0", "app/orders-api", ORDERS_API, user="1000"
    ),
    "catalog-api": stand_in(
        "registry.example.com/catalog-api:2.3.1", "usr/local/bin/catalog-api", CATALOG_API
    ),
    "inference-server": stand_in(
        "registry.example.com/inference-server:0.9.2", "usr/local/bin/inference-server", INFERENCE
    ),
    "curl": Image(
        ("docker.io/curlimages/curl:8.10.1",),
        packages=("curl", "ca-certificates"),
        variant="essential",
        entrypoint=("curl",),
        user="100",
    ),
    "memcached": Image(
        ("docker.io/library/memcached:1.6.32-alpine",),
        packages=("memcached",),
        variant="essential",
        cmd=("memcached",),
        user="11211",
    ),
    "nginx": Image(
        ("docker.io/library/nginx:1.27.3",),
        packages=("nginx-light", "libnginx-mod-stream", "busybox"),
        variant="essential",
        files=(
            ("etc/nginx/nginx.conf", 0o644, NGINX_CONF),
            ("etc/nginx/conf.d/default.conf", 0o644, NGINX_DEFAULT),
            ("usr/share/nginx/html/index.html", 0o644, "nginx\n"),
            ("var/cache/nginx/.keep", 0o644, ""),
            ("docker-entrypoint.sh", 0o755, NGINX_ENTRYPOINT),
        ),
        # Debian's nginx keeps its temporary files in /var/lib/nginx, the official image's in
        # /var/cache/nginx (where a read-only container mounts an emptyDir): the same place
        links=(("var/lib/nginx", "/var/cache/nginx"),),
        entrypoint=("/docker-entrypoint.sh",),
        cmd=("nginx", "-g", "daemon off;"),
        stop_signal="SIGQUIT",
    ),
    "nginx-unprivileged": Image(
        ("docker.io/nginxinc/nginx-unprivileged:1.27.3",),
        packages=("nginx-light", "libnginx-mod-stream", "busybox"),
        variant="essential",
        files=(
            ("etc/passwd", 0o644, PASSWD + "nginx:x:101:101:nginx:/nonexistent:/bin/false\n"),
            ("etc/nginx/nginx.conf", 0o644, NGINX_UNPRIVILEGED_CONF),
            ("etc/nginx/conf.d/default.conf", 0o644, NGINX_DEFAULT.replace("80;", "8080;")),
            ("usr/share/nginx/html/index.html", 0o644, "nginx\n"),
        ),
        cmd=("nginx", "-g", "daemon off;"),
        user="101",
        stop_signal="SIGQUIT",
    ),
    "redis": Image(
        ("docker.io/library/redis:7.4.1-alpine",),
        packages=("redis-server", "busybox"),
        variant="essential",
        cmd=("redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"),
    ),
    "git": Image(
        ("docker.io/alpine/git:2.45.2",),
        packages=("git", "ca-certificates", "busybox"),
        variant="essential",
        entrypoint=("git",),
    ),
    "git-sync": Image(
        ("registry.k8s.io/git-sync/git-sync:v4.4.0",),
        packages=("git", "ca-certificates"),
        variant="essential",
        files=(("git-sync", 0o755, GIT_SYNC),),
        entrypoint=("/git-sync",),
        user="65533",
    ),
}


def rootfs(image: Image, directory: Path) -> None:
    """The image's files in directory."""
    if image.go:
        directory.mkdir(parents=True)
        subprocess.run(
            ["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", str(directory / image.go), "."],
            cwd=ROOT / "testtools" / image.go,
            check=True,
            env={**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"},
        )
    else:
        subprocess.run(
            [
                "mmdebstrap",
                "--quiet",
                "--mode=root",
                f"--variant={image.variant}",
                f"--include={','.join(image.packages)}",
                "bookworm",
                str(directory),
                MIRROR,
            ],
            check=True,
        )
    for path in image.drop:
        shutil.rmtree(directory / path, ignore_errors=True)
    if image.busybox:
        listed = subprocess.run(
            ["chroot", str(directory), "/bin/busybox", "--list"],
            capture_output=True,
            text=True,
            check=True,
        )
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
    for path, to in image.links:
        link = directory / path
        shutil.rmtree(link, ignore_errors=True)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(to)


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
    for key, value in (
        ("Entrypoint", list(image.entrypoint)),
        ("Cmd", list(image.cmd)),
        ("User", image.user),
        ("StopSignal", image.stop_signal),
    ):
        if value:
            config[key] = value
    config_digest, config_size = blob(
        json.dumps(
            {
                "architecture": "amd64",
                "os": "linux",
                "config": config,
                "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            },
            sort_keys=True,
        ).encode()
    )
    manifest_digest, manifest_size = blob(
        json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": config_digest,
                    "size": config_size,
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": layer_digest,
                        "size": layer_size,
                    }
                ],
            },
            sort_keys=True,
        ).encode()
    )
    index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": manifest_size,
                "annotations": {
                    "io.containerd.image.name": name,
                    "org.opencontainers.image.ref.name": name.rsplit(":", 1)[1],
                },
            }
            for name in image.names
        ],
    }
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
