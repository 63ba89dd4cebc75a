"""LocalCache: a Redis or memcached beside the app, for low-latency caching on localhost.

The cache listens on 127.0.0.1 only (`port`, default 6379 or 11211) and declares no container
port, so nothing outside the pod reaches it, not even through a Service. It keeps nothing on
disk (Redis: no RDB snapshots, no AOF; memcached never does) and evicts least-recently-used keys
when full. `memory` is the container's memory request and limit; the cache's own limit
(`maxmemory`, memcached's `-m`) is 80% of it, leaving room for the server's overhead, so the
cache evicts keys instead of the kernel killing it. It runs as a native sidecar where the target
allows, so it is up before the app starts. `appEnv` tells the app where it is (e.g.
`REDIS_URL=redis://127.0.0.1:6379`).

Seen running on the test node (tests/test_scenarios.py): the app reaches redis (and memcached) on
localhost; the cache's memory limit is its cgroup's and its maxmemory 80% of it; no snapshots, and
a read-only root.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.containers import with_overrides
from krm_fn.kube.quantities import parse_quantity
from krm_fn.manifests.yamlio import clone
from krm_fn.patterns import Facts
from krm_fn.patterns.sidecar import inject_sidecars

if TYPE_CHECKING:
    from krm_fn.patterns.models.local_cache import Spec

IMAGES = {"redis": "redis:7.4.1-alpine", "memcached": "memcached:1.6.32-alpine"}
PORTS = {"redis": 6379, "memcached": 11211}
CACHE_SHARE = Fraction(8, 10)


def check_quantity(value: str) -> str:
    """A Kubernetes quantity (`256Mi`, `500m`)."""
    parse_quantity(value)
    return value


def command(spec: Spec, port: int) -> list[str]:
    """The cache server's command line: localhost only, bounded memory, nothing on disk."""
    limit = parse_quantity(spec.memory) * CACHE_SHARE
    if spec.engine == "memcached":
        megabytes = max(1, int(limit / (1 << 20)))
        return ["memcached", "-l", "127.0.0.1", "-p", str(port), "-m", str(megabytes), "-U", "0"]
    return [
        "redis-server",
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--protected-mode",
        "yes",
        "--maxmemory",
        str(int(limit)),
        "--maxmemory-policy",
        spec.eviction_policy,
        "--save",
        "",
        "--appendonly",
        "no",
    ]


FACTS = Facts(
    example="redis-local-cache",
    admission_policy="compiles",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """The cache sidecar, and the app's env."""
    port = spec.port or PORTS[spec.engine]
    name = spec.container_name or spec.engine
    if not pod.port_free(port, "port"):
        return
    for app in pod.app_containers(spec.app_containers) if spec.app_env else []:
        for env in spec.app_env:
            pod.add_env(app, env)
    cpu_limit = spec.resources.get("limits", {}).get("cpu", "500m")
    resources = {
        "requests": {"cpu": spec.cpu, "memory": spec.memory},
        "limits": {"cpu": cpu_limit, "memory": spec.memory},
    }
    container: dict[str, Any] = {
        "name": name,
        "image": spec.image or IMAGES[spec.engine],
        "command": command(spec, port),
        "resources": clone(resources),
    }
    inject_sidecars(spec, pod, [with_overrides(container, spec.container)])
