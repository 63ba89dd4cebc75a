"""What the API server adds to what krm-fn writes, taken out again before a digest is compared.

A pod template or pod the API server stores carries its defaults (pkg/apis/core/v1/defaults.go:
a container's terminationMessagePath and imagePullPolicy, a port's protocol, a probe's timings, a
ConfigMap volume's defaultMode...), its quantities in canonical form (`1000m` is `1`), and a pod
the service account token's mount in every container. A
record's digest is of the item as krm-fn left it; so that the item read back from the cluster
(a synced Deployment, a live pod, a pod the webhook sees again) is still krm-fn's, digests are of
the item without those defaults. `without_defaults` removes a field only where it holds the
value the server would have put there, so nothing else can hide behind it.
"""

import contextlib
import copy
from typing import Any

CONTAINER_DEFAULTS = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
}
PROBE_DEFAULTS = {
    "timeoutSeconds": 1,
    "periodSeconds": 10,
    "successThreshold": 1,
    "failureThreshold": 3,
}
PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
# the ServiceAccount admission plugin mounts the pod's token into every container (before any
# webhook sees the pod): a projected volume kube-api-access-<random> at this path
TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_VOLUME_PREFIX = "kube-api-access-"
MODE_DEFAULT = 420  # 0644: configMap, secret, downwardAPI and projected volumes
SOURCES_WITH_MODE = ("configMap", "secret", "downwardAPI", "projected")


def without_defaults(field: str, value: Any) -> Any:
    """An item or container field (named as the record names it) without the server's defaults.

    A copy, or the value itself when there is nothing to take out.
    """
    normalize = NORMALIZERS.get(field)
    if normalize is None or not isinstance(value, dict | list):
        return value
    copied = copy.deepcopy(value)
    normalize(copied)
    return copied


def _drop(holder: Any, defaults: dict[str, Any]) -> None:
    if isinstance(holder, dict):
        for key, default in defaults.items():
            if key in holder and holder[key] == default and type(holder[key]) is type(default):
                del holder[key]


def _container(container: Any) -> None:
    if not isinstance(container, dict):
        return
    _drop(container, CONTAINER_DEFAULTS)
    image = container.get("image")
    if isinstance(image, str) and container.get("imagePullPolicy") == _pull_policy(image):
        del container["imagePullPolicy"]
    if container.get("resources") == {}:
        del container["resources"]
    _resources(container.get("resources"))
    _ports(container.get("ports"))
    for probe in PROBES:
        _probe(container.get(probe))
    _lifecycle(container.get("lifecycle"))
    for variable in container.get("env") or []:
        _env(variable)
    mounts = container.get("volumeMounts")
    if isinstance(mounts, list):
        kept = [m for m in mounts if not _token_mount(m)]
        if len(kept) != len(mounts):
            container["volumeMounts"] = kept
            if not kept:
                del container["volumeMounts"]


def _token_mount(mount: Any) -> bool:
    return (
        isinstance(mount, dict)
        and mount.get("mountPath") == TOKEN_PATH
        and str(mount.get("name", "")).startswith(TOKEN_VOLUME_PREFIX)
        and mount.get("readOnly") is True
    )


def _pull_policy(image: str) -> str:
    """Always for `:latest` or no tag (and no digest), else IfNotPresent."""
    if "@" in image:
        return "IfNotPresent"
    name = image.rsplit("/", 1)[-1]
    tag = name.split(":", 1)[1] if ":" in name else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _resources(resources: Any) -> None:
    from krm_fn.kube.quantities import parse_quantity

    if not isinstance(resources, dict):
        return
    for kind in ("requests", "limits"):
        amounts = resources.get(kind)
        if isinstance(amounts, dict):
            for name, amount in amounts.items():
                with contextlib.suppress(ValueError, TypeError, ArithmeticError):
                    amounts[name] = str(parse_quantity(amount))


def _ports(ports: Any) -> None:
    for port in ports if isinstance(ports, list) else []:
        _drop(port, {"protocol": "TCP"})


def _probe(probe: Any) -> None:
    if isinstance(probe, dict):
        _drop(probe, PROBE_DEFAULTS)
        _drop(probe.get("httpGet"), {"scheme": "HTTP"})


def _lifecycle(lifecycle: Any) -> None:
    if isinstance(lifecycle, dict):
        for hook in ("postStart", "preStop"):
            handler = lifecycle.get(hook)
            if isinstance(handler, dict):
                _drop(handler.get("httpGet"), {"scheme": "HTTP"})


def _env(variable: Any) -> None:
    source = variable.get("valueFrom") if isinstance(variable, dict) else None
    if isinstance(source, dict):
        _drop(source.get("fieldRef"), {"apiVersion": "v1"})
        _drop(source.get("resourceFieldRef"), {"divisor": "0"})


def _volume(volume: Any) -> None:
    if not isinstance(volume, dict):
        return
    for source in SOURCES_WITH_MODE:
        _drop(volume.get(source), {"defaultMode": MODE_DEFAULT})
    _drop(volume.get("hostPath"), {"type": ""})
    empty_dir = volume.get("emptyDir")
    if isinstance(empty_dir, dict) and "sizeLimit" in empty_dir:
        limit = {"sizeLimit": empty_dir["sizeLimit"]}
        _resources({"limits": limit})
        empty_dir["sizeLimit"] = limit["sizeLimit"]
    downward = volume.get("downwardAPI")
    for item in (downward.get("items") or []) if isinstance(downward, dict) else []:
        if isinstance(item, dict):
            _drop(item.get("fieldRef"), {"apiVersion": "v1"})
    projected = volume.get("projected")
    for source in (projected.get("sources") or []) if isinstance(projected, dict) else []:
        if isinstance(source, dict):
            _drop(source.get("serviceAccountToken"), {"expirationSeconds": 3600})


NORMALIZERS = {
    "containers": _container,
    "initContainers": _container,
    "volumes": _volume,
    "env": _env,
    "ports": _ports,
    **{probe: _probe for probe in PROBES},
    "lifecycle": _lifecycle,
}
