"""Editing a pod spec by name, with a record of what each pattern instance injected.

Every addition goes through `PodEditor`, which refuses real conflicts (a name already taken,
a volume name with another source, a mount path in use) and notes what it added in the
instance's record entry. `undo` removes exactly what an entry names, so a new run can take
the old injection out before injecting again: no duplicates, and a changed config replaces
its old injection.
"""

import copy
import json
from typing import Any

from krm_fn.results import Result, Severity
from krm_fn.spec import Anchor, Position
from krm_fn.workloads import PodTemplate

RECORD_ANNOTATION = "krm-fn.dev/injected"
OPT_OUT_ANNOTATION = "krm-fn.dev/inject"
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"

Entry = dict[str, Any]


def read_record(pod: PodTemplate) -> dict[str, Entry]:
    """The injection record of a pod template; ValueError when it is not valid."""
    raw = pod.annotations.get(RECORD_ANNOTATION)
    if raw is None:
        return {}
    try:
        record = json.loads(raw)
    except (TypeError, ValueError):
        record = None
    if not isinstance(record, dict) or not all(isinstance(v, dict) for v in record.values()):
        raise ValueError(
            f"annotation {RECORD_ANNOTATION} is not a krm-fn record (a JSON object); "
            "it is written by krm-fn: restore it or remove it together with what it lists"
        )
    return record


def write_record(pod: PodTemplate, record: dict[str, Entry]) -> None:
    """Store the record, or remove the annotation when nothing is injected."""
    if record:
        annotations = pod.metadata.setdefault("annotations", {})
        annotations[RECORD_ANNOTATION] = json.dumps(record, sort_keys=True, separators=(",", ":"))
    elif RECORD_ANNOTATION in pod.annotations:
        del pod.metadata["annotations"][RECORD_ANNOTATION]
        _drop_empty(pod.metadata, "annotations")
        _drop_empty(pod.template, "metadata")


def _drop_empty(parent: dict[str, Any], key: str) -> None:
    if key in parent and not parent[key]:
        del parent[key]


def _by_name(items: list[Any], name: str) -> dict[str, Any] | None:
    return next((i for i in items if isinstance(i, dict) and i.get("name") == name), None)


def env_from_key(env_from: dict[str, Any]) -> str:
    """An identity for an envFrom entry (they have no name): `configMapRef/NAME[@PREFIX]`."""
    ref = "configMapRef" if "configMapRef" in env_from else "secretRef"
    key = f"{ref}/{(env_from.get(ref) or {}).get('name', '')}"
    return f"{key}@{env_from['prefix']}" if env_from.get("prefix") else key


def all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Init containers, then containers."""
    return [
        c
        for key in ("initContainers", "containers")
        for c in spec.get(key) or []
        if isinstance(c, dict)
    ]


def undo(pod: PodTemplate, entry: Entry) -> None:
    """Remove exactly what a record entry says an instance injected."""
    spec = pod.spec
    for key in ("containers", "initContainers", "volumes"):
        names = set(entry.get(key, []))
        if names and isinstance(spec.get(key), list):
            spec[key] = [
                i for i in spec[key] if not (isinstance(i, dict) and i.get("name") in names)
            ]
            _drop_empty(spec, key)
    by_container = {c.get("name"): c for c in all_containers(spec)}
    for key, identity in (
        ("volumeMounts", lambda m: m.get("mountPath")),
        ("env", lambda e: e.get("name")),
        ("envFrom", env_from_key),
    ):
        for container_name, ids in (entry.get(key) or {}).items():
            container = by_container.get(container_name)
            if container is None or not isinstance(container.get(key), list):
                continue
            gone = set(ids)
            container[key] = [i for i in container[key] if identity(i) not in gone]
            _drop_empty(container, key)
    meta = pod.template.get("metadata") or {}
    for key in ("labels", "annotations"):
        if isinstance(meta.get(key), dict):
            for name in entry.get(key, []):
                meta[key].pop(name, None)
            _drop_empty(meta, key)


class PodEditor:
    """What a pattern sees of one pod template: upserts that record and check, and results."""

    def __init__(self, pod: PodTemplate, kind: str, name: str, key: str) -> None:
        self.pod = pod
        self.spec = pod.spec
        self.kind = kind
        self.name = name
        self.entry: Entry = {}
        self.results: list[Result] = []
        self.tags = {"pattern": kind, "config": name, "record": key}

    # results -------------------------------------------------------------------------
    def report(self, severity: Severity, message: str, field: str = "spec") -> None:
        """Add a result about this workload, prefixed with the pattern instance."""
        self.results.append(
            Result(
                f'{self.kind} "{self.name}": {message}',
                severity,
                self.pod.workload,
                self.pod.field(field),
                self.tags,
            )
        )

    def error(self, message: str, field: str = "spec") -> None:
        """An error the user must fix; the workload is then left unchanged."""
        self.report("error", message, field)

    def _note(self, key: str, value: Any, container: str | None = None) -> None:
        if container is None:
            self.entry.setdefault(key, []).append(value)
        else:
            self.entry.setdefault(key, {}).setdefault(container, []).append(value)

    # containers ----------------------------------------------------------------------
    def container_field(self, name: str) -> str:
        """The field path of a container or init container by name."""
        key = (
            "initContainers"
            if _by_name(self.spec.get("initContainers") or [], name)
            else "containers"
        )
        return f"spec.{key}[name={name}]"

    def _name_free(self, name: str) -> bool:
        taken = _by_name(self.spec.get("containers") or [], name) or _by_name(
            self.spec.get("initContainers") or [], name
        )
        if taken is not None:
            self.error(
                f'container name "{name}" is already used in this pod; container names are unique '
                "across containers and initContainers: rename the injected one",
                self.container_field(name),
            )
            return False
        return True

    def add_container(self, container: dict[str, Any]) -> None:
        """Append a container to `containers`."""
        name = container["name"]
        if self._name_free(name):
            self.spec.setdefault("containers", []).append(copy.deepcopy(container))
            self._note("containers", name)
            self.report("info", f'added container "{name}"', f"spec.containers[name={name}]")

    def add_init_containers(self, containers: list[dict[str, Any]], position: Position) -> None:
        """Insert init containers, in order, at a position among the existing ones."""
        existing = self.spec.get("initContainers") or []
        index = self._init_index(existing, position)
        if index is None:
            return
        for container in containers:
            name = container["name"]
            if not self._name_free(name):
                continue
            existing.insert(index, copy.deepcopy(container))
            index += 1
            self._note("initContainers", name)
            what = (
                "native sidecar" if container.get("restartPolicy") == "Always" else "init container"
            )
            self.report("info", f'added {what} "{name}"', f"spec.initContainers[name={name}]")
        if existing:
            self.spec["initContainers"] = existing

    def _init_index(self, existing: list[Any], position: Position) -> int | None:
        if position == "first":
            return 0
        if position == "last":
            return len(existing)
        assert isinstance(position, Anchor)
        anchor = position.before or position.after
        names = [c.get("name") for c in existing if isinstance(c, dict)]
        if anchor not in names:
            self.error(
                f'position refers to init container "{anchor}", which this pod does not have '
                f"(it has: {', '.join(map(str, names)) or 'none'})",
                "spec.initContainers",
            )
            return None
        return names.index(anchor) + (1 if position.after else 0)

    # volumes, mounts, env --------------------------------------------------------------
    def add_volume(self, volume: dict[str, Any]) -> None:
        """Add a pod volume; an identical one of the same name is shared, another is a conflict."""
        volumes = self.spec.setdefault("volumes", [])
        same = _by_name(volumes, volume["name"])
        field = f"spec.volumes[name={volume['name']}]"
        if same is None:
            volumes.append(copy.deepcopy(volume))
            self._note("volumes", volume["name"])
            self.report("info", f'added volume "{volume["name"]}"', field)
        elif same != volume:
            self.error(
                f'volume "{volume["name"]}" already exists in this pod with another source; '
                "rename the injected volume",
                field,
            )

    def add_mount(self, container: dict[str, Any], mount: dict[str, Any]) -> None:
        """Mount a volume into an existing container; its mountPath must be free."""
        mounts = container.setdefault("volumeMounts", [])
        same = next((m for m in mounts if m.get("mountPath") == mount["mountPath"]), None)
        name = container["name"]
        field = f"{self.container_field(name)}.volumeMounts"
        if same is None:
            mounts.append(copy.deepcopy(mount))
            self._note("volumeMounts", mount["mountPath"], name)
            self.report(
                "info",
                f'mounted volume "{mount["name"]}" at {mount["mountPath"]} in "{name}"',
                field,
            )
        elif same != mount:
            self.error(
                f'mountPath {mount["mountPath"]} is already used in container "{name}"', field
            )

    def add_env(self, container: dict[str, Any], env: dict[str, Any]) -> None:
        """Add an env var to a container; an existing var of that name wins, with a warning."""
        envs = container.setdefault("env", [])
        same = _by_name(envs, env["name"])
        name = container["name"]
        field = f"{self.container_field(name)}.env[name={env['name']}]"
        if same is None:
            envs.append(copy.deepcopy(env))
            self._note("env", env["name"], name)
            self.report("info", f'set env {env["name"]} in "{name}"', field)
        elif same != env:
            self.report("warning", f"kept the container's own value of env {env['name']}", field)

    def add_env_from(self, container: dict[str, Any], env_from: dict[str, Any]) -> None:
        """Add an envFrom source to a container, once."""
        sources = container.setdefault("envFrom", [])
        if env_from_key(env_from) not in {env_from_key(e) for e in sources}:
            sources.append(copy.deepcopy(env_from))
            self._note("envFrom", env_from_key(env_from), container["name"])
            self.report(
                "info",
                f'added envFrom to "{container["name"]}"',
                f"{self.container_field(container['name'])}.envFrom",
            )

    def set_metadata(self, key: str, name: str, value: str) -> None:
        """Set a pod template label or annotation; an existing other value wins, with a warning."""
        values = self.pod.metadata.setdefault(key, {})
        field = f"metadata.{key}.{name}"
        if name not in values:
            values[name] = value
            self._note(key, name)
            self.report("info", f"set {key[:-1]} {name}={value}", field)
        elif values[name] != value:
            self.report("warning", f"kept the existing {key[:-1]} {name}={values[name]}", field)

    # selection -------------------------------------------------------------------------
    def app_containers(self, names: list[str]) -> list[dict[str, Any]]:
        """The app containers named in config (`*`: all), else the pod's default container."""
        containers = [c for c in self.spec.get("containers") or [] if isinstance(c, dict)]
        if not containers:
            self.error("the pod has no containers", "spec.containers")
            return []
        if "*" in names:
            return containers
        if not names:
            default = self.pod.annotations.get(DEFAULT_CONTAINER_ANNOTATION)
            chosen = _by_name(containers, default) if isinstance(default, str) else None
            return [chosen or containers[0]]
        found = []
        for name in names:
            container = _by_name(containers, name)
            if container is None:
                have = ", ".join(str(c.get("name")) for c in containers)
                self.error(
                    f'app container "{name}" not found (the pod has: {have})', "spec.containers"
                )
            else:
                found.append(container)
        return found
