"""Completing the containers krm-fn injects: overrides, resources, a safe security context.

Every injected container gets requests and limits (the pattern's defaults, unless it has its own)
and the security context the Pod Security Standards "restricted" profile accepts, filled in
under whatever the container sets itself, without contradicting it: an explicit `privileged`,
root user or capability list is kept as written (and the core then warns that the container
does not pass restricted).
"""

from typing import Any

from krm_fn.manifests.yamlio import clone

# What the restricted profile accepts, with a numeric non-root user so that images whose USER is
# root still start (the kubelet cannot check a user name for runAsNonRoot).
RESTRICTED: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": 65534,
    "runAsGroup": 65534,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
INIT_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "10m", "memory": "16Mi"},
    "limits": {"cpu": "200m", "memory": "64Mi"},
}
SIDECAR_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "10m", "memory": "32Mi"},
    "limits": {"cpu": "200m", "memory": "128Mi"},
}
MERGED_BY = {"env": "name", "ports": "name", "volumeMounts": "mountPath"}


def init_resources() -> dict[str, Any]:
    """The default requests and limits of injected init containers (a fresh copy)."""
    return clone(INIT_RESOURCES)


def sidecar_resources() -> dict[str, Any]:
    """The default requests and limits of injected sidecars (a fresh copy)."""
    return clone(SIDECAR_RESOURCES)


def with_overrides(container: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """A generated container with the user's fields over it.

    env, volumeMounts and ports are merged by name (mountPath for mounts), the user's entry
    winning; any other field of the user's replaces the generated one. The result shares values
    with the arguments, as `complete`'s does.
    """
    merged = dict(container)
    for key, value in overrides.items():
        identity = MERGED_BY.get(key)
        if identity and isinstance(merged.get(key), list):
            theirs = {v.get(identity) for v in value}
            merged[key] = [i for i in merged[key] if i.get(identity) not in theirs] + value
        else:
            merged[key] = value
    return merged


def secure(security: dict[str, Any] | None) -> dict[str, Any]:
    """The restricted defaults under a container's own security context.

    Shares values with its argument and RESTRICTED: the pod editor copies what it adds.
    """
    own = security or {}
    defaults = dict(RESTRICTED)
    if own.get("privileged"):
        defaults.pop("allowPrivilegeEscalation")
    if own.get("runAsUser") == 0 or own.get("runAsNonRoot") is False:
        for key in ("runAsNonRoot", "runAsUser", "runAsGroup"):
            defaults.pop(key)
    if "runAsUser" in own:
        defaults.pop("runAsGroup", None)
    return {**defaults, **own}


def complete(
    container: dict[str, Any], resources: dict[str, Any], security: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A container with resources (unless it has its own) and a security context.

    The security context is `security` as given, else the restricted defaults under its own.
    The result shares values with the arguments (no copy per pod): the pod editor copies every
    container it adds.
    """
    done = dict(container)
    if done.get("resources") is None:
        done["resources"] = resources
    done["securityContext"] = security or secure(done.get("securityContext"))
    return done
