"""Migration: run a database migration before the app starts.

An init container runs `command` (and `args`), by default with the app container's own image, env
and envFrom, so it reaches the database exactly as the app does and always matches the app's
version: a new image tag re-runs the migration before the new version starts. It gets its own
resources (migrations often need more than the app's steady state; `resources`), and the restricted
profile's security context under the app's own: it runs as the app's user when the app or the pod
sets one (`runAsUser`, `runAsGroup`, `runAsNonRoot`: the image's files belong to it), with a
writable root filesystem unless the app's is read-only. Copy the app's volume mounts too with
`copyVolumeMounts: true` (e.g. migration files from a ConfigMap). Migrations run on every pod
start, so they must be idempotent, as most migration tools are. Place it after anything it needs
(`position: {after: wait-for-db}`).

Seen running on the test node (tests/test_scenarios.py): the migration runs before the app with the
app's image and env, and a failing one keeps the app from starting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.kube.containers import secure
from krm_fn.manifests.yamlio import clone
from krm_fn.patterns import Facts
from krm_fn.patterns.init_container import init_container

if TYPE_CHECKING:
    from krm_fn.patterns.models.migration import Spec

IDENTITY = ("runAsUser", "runAsGroup", "runAsNonRoot")
MIGRATION_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "100m", "memory": "128Mi"},
    "limits": {"cpu": "1", "memory": "512Mi"},
}


def migration_resources() -> dict[str, Any]:
    """The default requests and limits of a migration (a fresh copy)."""
    return clone(MIGRATION_RESOURCES)


FACTS = Facts(
    example="migration-before-app",
    admission_policy="does not compile: it takes the app's image and env",
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """One init container built from the app container."""
    app = pod.one_app_container(spec.app_containers)
    if app is None:
        return
    container: dict[str, Any] = {
        "name": spec.container_name,
        "image": spec.image or app.get("image"),
        "command": list(spec.command),
    }
    if spec.args:
        container["args"] = list(spec.args)
    fields = ["env", "envFrom"] if spec.copy_env else []
    fields += ["volumeMounts"] if spec.copy_volume_mounts else []
    for field in fields:
        if app.get(field):
            container[field] = clone(app[field])
    own = app.get("securityContext") if isinstance(app.get("securityContext"), dict) else None
    security = secure({"readOnlyRootFilesystem": False, **(own or {})})
    pod_level = pod.spec.get("securityContext")
    pod_level = pod_level if isinstance(pod_level, dict) else {}
    if own is not None:  # run as the app's user, as the app does
        for key in IDENTITY:
            if key not in own:
                security.pop(key, None)
    elif any(key in pod_level for key in IDENTITY):  # the pod's user; non-root unless it says
        for key in IDENTITY:
            if key in pod_level or (key == "runAsNonRoot" and pod_level.get("runAsUser") == 0):
                security.pop(key, None)
        if "runAsUser" in pod_level:
            security.pop("runAsGroup", None)  # the pod's group, or the image's for its user
    pod.add_init_containers([init_container(spec, container, security)], spec.position)
