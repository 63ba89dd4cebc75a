"""The shapes of the fields krm-fn reads, checked before any pattern runs.

Manifests come from anyone; a pattern may assume that what it reads is shaped as the Kubernetes
API defines it only because these checks ran first. A shape is data: a Python type, `[shape]`
for a list of it, `{field: shape}` for a mapping whose other fields are not read, `Map(shape)`
for a mapping of any keys to values of that shape. A field that is absent or null is fine;
an item of a list is not.
"""

from typing import Any


class Map:
    """A mapping of any keys to values of one shape."""

    def __init__(self, values: Any) -> None:
        self.values = values


class AnyOf:
    """One of several scalar types."""

    def __init__(self, *types: type) -> None:
        self.types = types


Shape = Any
INT_OR_STRING = AnyOf(int, str)
QUANTITY = AnyOf(str, int, float)
STRINGS = Map(str)
HANDLER: Shape = {
    "exec": {"command": [str]},
    "httpGet": {"path": str, "port": INT_OR_STRING, "scheme": str, "host": str},
    "tcpSocket": {"port": INT_OR_STRING, "host": str},
    "sleep": {"seconds": int},
    "grpc": {"port": int},
}
PROBE: Shape = {**HANDLER, "periodSeconds": int, "timeoutSeconds": int}
PROFILE: Shape = {"type": str}
SECURITY: Shape = {
    "capabilities": {"add": [str], "drop": [str]},
    "privileged": bool,
    "allowPrivilegeEscalation": bool,
    "runAsUser": int,
    "runAsGroup": int,
    "runAsNonRoot": bool,
    "readOnlyRootFilesystem": bool,
    "procMount": str,
    "seccompProfile": PROFILE,
    "appArmorProfile": PROFILE,
    "seLinuxOptions": STRINGS,
    "windowsOptions": {"hostProcess": bool},
}
RESOURCES: Shape = {"requests": Map(QUANTITY), "limits": Map(QUANTITY)}
CONTAINER: Shape = {
    "name": str,
    "image": str,
    "command": [str],
    "args": [str],
    "ports": [{"containerPort": int, "hostPort": int, "name": str, "protocol": str}],
    "env": [{"name": str, "value": str}],
    "envFrom": [{"configMapRef": {"name": str}, "secretRef": {"name": str}, "prefix": str}],
    "volumeMounts": [{"name": str, "mountPath": str}],
    "lifecycle": {"preStop": HANDLER, "postStart": HANDLER},
    "livenessProbe": PROBE,
    "readinessProbe": PROBE,
    "startupProbe": PROBE,
    "securityContext": SECURITY,
    "resources": RESOURCES,
    "restartPolicy": str,
}
POD_SPEC: Shape = {
    "containers": [CONTAINER],
    "initContainers": [CONTAINER],
    "ephemeralContainers": [CONTAINER],
    "volumes": [{"name": str}],
    "securityContext": {
        **SECURITY,
        "sysctls": [{"name": str, "value": str}],
    },
    "terminationGracePeriodSeconds": int,
    "shareProcessNamespace": bool,
    "automountServiceAccountToken": bool,
    "hostNetwork": bool,
    "hostPID": bool,
    "hostIPC": bool,
    "restartPolicy": str,
    "resources": RESOURCES,
    "overhead": Map(QUANTITY),
}
METADATA: Shape = {"name": str, "namespace": str, "labels": STRINGS, "annotations": STRINGS}
SERVICE: Shape = {
    "metadata": METADATA,
    "spec": {
        "selector": STRINGS,
        "ports": [{"name": str, "port": int, "targetPort": INT_OR_STRING, "protocol": str}],
    },
}
TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", float: "a number"}


def problems(value: Any, shape: Shape, path: str) -> list[tuple[str, str]]:
    """(field path, what is wrong) for every place where value is not shaped like shape."""
    found: list[tuple[Any, str]] = []
    if value is not None:
        _check(value, shape, path, found)
    return [(_path(where), message) for where, message in found]


def _check(value: Any, shape: Shape, where: Any, found: list[tuple[Any, str]]) -> None:
    """Walk value along shape; `where` is a cheap chain of (parent, key), formatted on error.

    A scalar in a mapping or a list is checked in place (most fields are scalars: no call each).
    """
    kind = type(shape)
    if kind is dict or kind is Map:
        if type(value) is not dict:
            found.append((where, "must be a mapping"))
            return
        every = shape.values if kind is Map else None
        for key, item in value.items():
            inner = every if every is not None else shape.get(key)
            if inner is None or item is None:
                continue
            if type(inner) is type:
                if type(item) is not inner:
                    found.append(((where, key), f"must be {TYPE_NAMES[inner]}"))
            else:
                _check(item, inner, (where, key), found)
    elif kind is list:
        if type(value) is not list:
            found.append((where, "must be a list"))
            return
        inner = shape[0]
        scalar = type(inner) is type
        for index, item in enumerate(value):
            if item is None:
                found.append(((where, _Index(item, index)), "must not be null"))
            elif scalar:
                if type(item) is not inner:
                    found.append(((where, _Index(item, index)), f"must be {TYPE_NAMES[inner]}"))
            else:
                _check(item, inner, (where, _Index(item, index)), found)
    else:
        types = shape.types if kind is AnyOf else (shape,)
        if type(value) not in types:
            expected = " or ".join(TYPE_NAMES[t] for t in types)
            found.append((where, f"must be {expected}"))


class _Index:
    """A list position in a path, written `[name=x]` (an item with a name) or `[3]` on error."""

    __slots__ = ("index", "item")

    def __init__(self, item: Any, index: int) -> None:
        self.item, self.index = item, index

    def __str__(self) -> str:
        name = self.item.get("name") if type(self.item) is dict else None
        return f"[name={name}]" if isinstance(name, str) and name else f"[{self.index}]"


def _path(where: Any) -> str:
    parts = []
    while isinstance(where, tuple):
        where, key = where
        parts.append(str(key) if isinstance(key, _Index) else f".{key}")
    text = "".join(reversed(parts))
    return f"{where}{text}" if where else text.removeprefix(".")
