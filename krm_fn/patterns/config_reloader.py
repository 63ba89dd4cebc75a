"""ConfigReloader: apply changed ConfigMaps and Secrets without restarting the pod.

The kubelet updates mounted ConfigMaps and Secrets in place (not subPath mounts, not env), but
most apps read their configuration once. A small sidecar (busybox, pinned) watches the volumes
named in `watch` (mounted into it read-only at /watch/<volume>) and, when their content changes,
makes the app reload: by an HTTP call to a reload endpoint (`http.url`, POST by default:
Prometheus `/-/reload`, Envoy admin...) or by a signal to the app's process (`signal`, e.g.
`HUP` to `nginx`).

Signalling another container's process needs a shared process namespace: the pattern sets
`shareProcessNamespace: true` on the pod and says so in a warning (the app is then no longer
PID 1, and the pod's containers see each other's processes). The reloader also runs as the app's
user (it may only signal its own user's processes without privileges): taken from the app's
securityContext or the pod's, else set `container.securityContext.runAsUser`.

Seen running on the test node (tests/test_scenarios.py): after the ConfigMap changes, the app
serves the new value within the kubelet's sync period, by signal (nginx) and by HTTP.
"""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.containers import with_overrides
from krm_fn.patterns import Facts
from krm_fn.patterns.sidecar import inject_sidecars

if TYPE_CHECKING:
    from krm_fn.patterns.models.config_reloader import Spec

WATCH_DIR = "/watch"
WATCHABLE = ("configMap", "secret", "projected")


def check_one_method(spec: Spec) -> Spec:
    """A ConfigReloader reloads by HTTP or by signal: exactly one."""
    if (spec.http is None) == (spec.signal is None):
        raise ValueError("set exactly one reload method: `http` or `signal`")
    return spec


def script(spec: Spec) -> str:
    """Poll a checksum of the watched files; reload the app when it changes."""
    if spec.http:
        post = " --post-data ''" if spec.http.method == "POST" else ""
        action = f"wget -q -O /dev/null{post} {shlex.quote(spec.http.url)}"
    else:
        assert spec.signal is not None
        action = f"killall -{spec.signal.name} {shlex.quote(spec.signal.process)}"
    return "\n".join(
        [
            "set -u",
            "checksum() {",
            f"  find {WATCH_DIR} -type f -exec md5sum {{}} + 2>/dev/null"
            " | cut -d' ' -f1 | sort | md5sum",
            "}",
            'last="$(checksum)"',
            f"echo 'watching {', '.join(spec.watch)}'",
            "while true; do",
            f"  sleep {spec.period_seconds}",
            '  now="$(checksum)"',
            '  [ "$now" = "$last" ] && continue',
            "  echo 'configuration changed: reloading'",
            f'  if {action}; then last="$now"; else echo "reload failed; will retry" >&2; fi',
            "done",
            "",
        ]
    )


FACTS = Facts(
    example="config-reload-signal",
    admission_policy="does not compile: it watches a volume the pod has",
    replaces_pod_fields=frozenset(["shareProcessNamespace"]),
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Mount the watched volumes into the reloader; for signals, share the process namespace."""
    volumes = {v.get("name"): v for v in pod.spec.get("volumes") or []}
    mounts = []
    for name in spec.watch:
        volume = volumes.get(name)
        if volume is None or not set(volume) & set(WATCHABLE):
            have = ", ".join(n for n, v in volumes.items() if set(v) & set(WATCHABLE)) or "none"
            pod.error(
                f'no ConfigMap, Secret or projected volume "{name}" to watch (the pod has: {have})',
                "spec.volumes",
            )
            return
        mounts.append({"name": name, "mountPath": f"{WATCH_DIR}/{name}", "readOnly": True})
    container: dict[str, Any] = {
        "name": spec.container_name,
        "image": spec.image,
        "command": ["sh", "-c", script(spec)],
        "volumeMounts": mounts,
    }
    if spec.signal:
        apps = pod.app_containers(spec.app_containers)
        if not apps:
            return
        user = pod.user_of(apps[0])
        if user is not None:
            container["securityContext"] = {"runAsUser": user}
        elif "securityContext" not in spec.container:
            pod.report(
                "warning",
                f'the user of "{apps[0]["name"]}" is not set: the reloader can only signal it '
                "if it runs as the same user; set container.securityContext.runAsUser",
            )
        if pod.spec.get("shareProcessNamespace") is not True:
            pod.set_pod_field("shareProcessNamespace", True)
            pod.report(
                "warning",
                "set shareProcessNamespace: true so the reloader can signal the app; the app is "
                "no longer PID 1 and the pod's containers see each other's processes",
                "spec.shareProcessNamespace",
            )
    inject_sidecars(spec, pod, [with_overrides(container, spec.container)])
