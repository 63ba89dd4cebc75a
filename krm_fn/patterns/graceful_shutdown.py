"""GracefulShutdown: a preStop hook, and a grace period long enough for it.

When a pod is deleted, Kubernetes removes it from the Service's endpoints and sends SIGTERM at
the same time; load balancers and kube-proxy learn about it a moment later, so requests keep
arriving at a server that is already stopping, and in-flight connections are cut. A preStop hook
closes the gap: it runs before SIGTERM. krm-fn adds to the app containers a pause of
`sleepSeconds` (while traffic moves away) and/or a `command` (for nginx: `nginx -s quit`, then
wait until nginx has finished its open connections), and sets `terminationGracePeriodSeconds`
to cover the pause, the command (`commandSeconds`) and the app's own shutdown after SIGTERM
(`shutdownSeconds`), warning when the pod's own value was too short.

A pause alone uses the native `sleep` action where the target has it (Kubernetes 1.30+; no
`sleep` binary needed in the image), else an exec `sleep`. A container's own preStop hook is
merged, never overwritten: an exec hook runs after the pause and before the command, a native
sleep is folded into the pause; an HTTP or TCP hook cannot be combined with a command and is
kept as it is, with a warning.

Seen running on the test node (tests/test_scenarios.py): nginx behind a Service under a steady
client loop loses no request in a rolling restart; a deleted pod accepts new connections through
the pause and serves a download that outlives the pod's own grace period to its last byte.
Without the config, the same restarts lose requests and the kubelet kills that download.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.patterns import Facts

if TYPE_CHECKING:
    from krm_fn.patterns.models.graceful_shutdown import Spec

DEFAULT_GRACE = 30
NATIVE_SLEEP_SINCE = (1, 30)


def _exec(parts: list[str]) -> dict[str, Any]:
    return {"exec": {"command": ["sh", "-c", "; ".join(parts)]}}


def pre_stop(
    spec: Spec, existing: dict[str, Any] | None, native_sleep: bool
) -> dict[str, Any] | None:
    """The merged preStop handler, or None when the container's own cannot be merged."""
    pause = spec.sleep_seconds
    own_command: list[str] = []
    if existing:
        if "sleep" in existing:
            pause = max(pause, int(existing["sleep"].get("seconds", 0)))
        elif "exec" in existing:
            own_command = list(existing["exec"].get("command") or [])
        else:
            return None
    if not own_command and not spec.command:
        if native_sleep:
            return {"sleep": {"seconds": pause}}
        return {"exec": {"command": ["sleep", str(pause)]}}
    parts = [f"sleep {pause}"] if pause else []
    parts += [shlex.join(c) for c in (own_command, spec.command or []) if c]
    if len(parts) == 1 and spec.command and not own_command:
        return {"exec": {"command": list(spec.command)}}
    return _exec(parts)


FACTS = Facts(
    adds_containers=False,
    example="nginx-graceful-shutdown",
    admission_policy="does not compile: it raises the pod's own "
    "terminationGracePeriodSeconds and merges the container's own preStop hook",
    replaces_container_fields=frozenset(["lifecycle"]),
    replaces_pod_fields=frozenset(["terminationGracePeriodSeconds"]),
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Merge the hook into each app container, then make the grace period cover it."""
    native_sleep = spec.version_at_least(*NATIVE_SLEEP_SINCE)
    for app in pod.app_containers(spec.app_containers):
        lifecycle = dict(app.get("lifecycle") or {})
        handler = pre_stop(spec, lifecycle.get("preStop"), native_sleep)
        field = f"{pod.container_field(app['name'])}.lifecycle.preStop"
        if handler is None:
            pod.report(
                "warning",
                "kept the container's own HTTP/TCP preStop hook; it cannot be merged",
                field,
            )
            continue
        lifecycle["preStop"] = handler
        pod.replace_field(app, "lifecycle", lifecycle)
        pod.report("info", f'added a preStop hook to "{app["name"]}"', field)
    needed = spec.sleep_seconds + spec.command_seconds + spec.shutdown_seconds
    current = pod.spec.get("terminationGracePeriodSeconds")
    if current is None:
        if needed > DEFAULT_GRACE:  # never below Kubernetes' default, which the pod has now
            pod.set_pod_field("terminationGracePeriodSeconds", needed)
    elif current < needed:
        pod.report(
            "warning",
            f"terminationGracePeriodSeconds was {current}, shorter than the hook and the shutdown "
            f"({spec.sleep_seconds}s + {spec.command_seconds}s + {spec.shutdown_seconds}s): "
            f"raised to {needed}",
            "spec.terminationGracePeriodSeconds",
        )
        pod.set_pod_field("terminationGracePeriodSeconds", needed)
