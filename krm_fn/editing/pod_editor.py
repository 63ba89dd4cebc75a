"""Editing a pod spec by name, with a record of what each pattern instance injected.

Every addition goes through `PodEditor`, which refuses real conflicts (a name already taken,
a volume name with another source, a mount path in use) and notes what it added in the
instance's record entry (record.py); `seal` then stores a digest of each item as it was left,
so that a later run can verify an item before undoing it (undo.py). No duplicates, and a
changed config replaces its old injection.
"""

import json
import re
from collections.abc import Callable
from typing import Any, Literal, Protocol

from krm_fn.editing.record import (
    RECORD_ANNOTATION,
    Entry,
    PodItems,
    Replaced,
    digest,
    drop_empty,
    entry_items,
    env_from_key,
    item_digest,
)
from krm_fn.editing.record_kinds import CONTAINER_FIELDS_REPLACED, POD_FIELDS_REPLACED
from krm_fn.editing.service_editor import ServiceEdits
from krm_fn.kube.quantities import parse_quantity
from krm_fn.kube.workloads import PodTemplate
from krm_fn.manifests.results import Result, Severity, config_tags, describe
from krm_fn.manifests.yamlio import clone


class Anchor(Protocol):
    """A place next to an init container of the pod (a config's validated `position`)."""

    @property
    def before(self) -> str | None:
        """Before the init container of this name."""

    @property
    def after(self) -> str | None:
        """After the init container of this name."""


Position = Literal["first", "last"] | Anchor

OPT_OUT_ANNOTATION = "krm-fn.dev/inject"
DEFAULT_CONTAINER_ANNOTATION = "kubectl.kubernetes.io/default-container"
RESOURCES_ANNOTATION_PREFIX = "krm-fn.dev/resources-"
# cpu, memory, ephemeral-storage, hugepages-2Mi, example.com/gpu: a resource name, as the API has
RESOURCE_NAME = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)
__all__ = ["RECORD_ANNOTATION", "PodEditor", "image_problem"]


def image_problem(image: str) -> str | None:
    """Why an image reference is not pinned, if it is not: no tag, or `latest`."""
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return f"{image} has no tag: pin a version or a digest"
    if last.rsplit(":", 1)[1] == "latest":
        return f"{image} is :latest: pin a version or a digest"
    return None


def child(holder: dict[str, Any], key: str, empty: type[Any]) -> Any:
    """`holder[key]`, created empty (a list or a dict) when it is absent or null."""
    value = holder.get(key)
    if value is None:
        value = holder[key] = empty()
    return value


def _by_name(items: list[Any], name: str) -> dict[str, Any] | None:
    return next((i for i in items if isinstance(i, dict) and i.get("name") == name), None)


class PodEditor:
    """What a pattern sees of one pod template: upserts that record and check, and results."""

    def __init__(
        self,
        pod: PodTemplate,
        kind: str,
        name: str,
        key: str,
        record: dict[str, Entry] | None = None,
        services: list[dict[str, Any]] | None = None,
        checkpoint: Callable[[], None] = lambda: None,
        notes: bool = True,
    ) -> None:
        self.pod = pod
        self.notes = notes  # off: no info results (the webhook shows none)
        # called at every change and item (the webhook's deadline): a pattern's loops stop
        self.checkpoint = checkpoint
        self.spec = pod.spec
        self.kind = kind
        self.name = name
        self.key = key
        self.record = record if record is not None else {}  # entries of instances run before
        self.entry = Entry()
        self.results: list[Result] = []
        self.generated: list[dict[str, Any]] = []
        self.accepted_privilege: set[str] = set()
        self.tags = config_tags(key)
        # the Services of the input that select this pod, and what this instance changes in them
        self.services = ServiceEdits(services or [], self.spec, self._service_result)

    # results -------------------------------------------------------------------------
    def report(self, severity: Severity, message: str, field: str = "spec") -> None:
        """Add a result about this workload, prefixed with the pattern instance."""
        self.checkpoint()
        if severity == "info" and not self.notes:
            return
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

    def _note(self, key: str, value: str, container: str | None = None) -> None:
        """Note an added item; `seal` stores its digest once the instance is done."""
        if container is None:
            getattr(self.entry, key)[value] = ""
        else:
            getattr(self.entry, key).setdefault(container, {})[value] = ""

    def seal(self) -> None:
        """Store the digest of every item the instance added and of every value it set."""
        entry = self.entry
        items = PodItems(self.pod)
        for item, _ in entry_items(entry):
            if item.field == "ports":
                continue
            self.checkpoint()
            value = items.lookup(item)
            if item.owner is None:
                getattr(entry, item.field)[item.name] = item_digest(item.field, value)
            else:
                getattr(entry, item.field)[item.owner][item.name] = item_digest(item.field, value)
        for owner, replaced in entry.fieldsWas.items():
            container = items.container(owner) or {}
            for field, change in replaced.items():
                change.set = item_digest(field, container.get(field))
        for field, change in entry.podFieldsWas.items():
            change.set = digest(self.spec.get(field))
        self.services.seal()

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
            child(self.spec, "containers", list).append(self._finish(container, "containers"))
            self._note("containers", name)
            self.report("info", f'added container "{name}"', f"spec.containers[name={name}]")

    def _finish(self, container: dict[str, Any], where: str) -> dict[str, Any]:
        """A copy of an injected container with the workload's resource overrides.

        Images that are not pinned (no tag, `latest`) get a warning. `where`: the list it goes
        into (containers or initContainers).
        """
        done = clone(container)
        name = done["name"]
        key = f"{RESOURCES_ANNOTATION_PREFIX}{name}"
        workload_annotations = (self.pod.workload.get("metadata") or {}).get("annotations") or {}
        raw = self.pod.annotations.get(key, workload_annotations.get(key))
        if raw is not None:
            try:
                override = json.loads(raw)
                if not isinstance(override, dict) or set(override) - {"requests", "limits"}:
                    raise ValueError
                for values in override.values():  # resource names and quantities, nothing else
                    if not isinstance(values, dict):
                        raise ValueError
                    for resource, quantity in values.items():
                        if not RESOURCE_NAME.match(resource) or type(quantity) not in (str, int):
                            raise ValueError
                        parse_quantity(quantity)
                resources = child(done, "resources", dict)
                for kind, values in override.items():
                    child(resources, kind, dict).update(values)
                self.report(
                    "info", f'resources of "{name}" from annotation {key}', "metadata.annotations"
                )
            except (ValueError, AttributeError, TypeError):
                self.error(
                    f'annotation {key} must be JSON like {{"requests": {{"cpu": "50m"}}, '
                    '"limits": {"memory": "64Mi"}} (resource names and quantities)',
                    f"metadata.annotations.{key}",
                )
        problem = image_problem(str(done.get("image", "")))
        if problem:
            self.report("warning", f'image of "{name}" {problem}', f"spec.{where}[name={name}]")
        return done

    def accept_privilege(self, name: str) -> None:
        """The pattern itself warned that this container needs more than the restricted profile."""
        self.accepted_privilege.add(name)

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
            existing.insert(index, self._finish(container, "initContainers"))
            index += 1
            self._note("initContainers", name)
            what = (
                "native sidecar" if container.get("restartPolicy") == "Always" else "init container"
            )
            self.report("info", f'added {what} "{name}"', f"spec.initContainers[name={name}]")
        if existing:
            self.spec["initContainers"] = existing

    def _init_index(self, existing: list[Any], position: Position) -> int | None:
        if position == "first":  # before the pod's own, after what krm-fn injected before
            injected = {n for e in self.record.values() for n in e.initContainers}
            index = 0
            while index < len(existing) and existing[index].get("name") in injected:
                index += 1
            return index
        if position == "last":
            return len(existing)
        anchor = position.before or position.after  # an Anchor (validated, exactly one set)
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
        volumes = child(self.spec, "volumes", list)
        same = _by_name(volumes, volume["name"])
        field = f"spec.volumes[name={volume['name']}]"
        if same is None:
            volumes.append(clone(volume))
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
        mounts = child(container, "volumeMounts", list)
        same = next((m for m in mounts if m.get("mountPath") == mount["mountPath"]), None)
        name = container["name"]
        field = f"{self.container_field(name)}.volumeMounts"
        if same is None:
            mounts.append(clone(mount))
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

    def add_env(
        self, container: dict[str, Any], env: dict[str, Any], override: bool = False
    ) -> None:
        """Add an env var to a container; an existing var of that name wins, with a warning.

        With `override` the new value wins, and the old one is kept in the record for undo.
        """
        envs = child(container, "env", list)
        same = _by_name(envs, env["name"])
        name = container["name"]
        field = f"{self.container_field(name)}.env[name={env['name']}]"
        if same is None:
            envs.append(clone(env))
            self._note("env", env["name"], name)
            self.report("info", f'set env {env["name"]} in "{name}"', field)
        elif same != env and override:
            envs[envs.index(same)] = clone(env)
            self._note("env", env["name"], name)
            self.entry.envWas.setdefault(name, {}).setdefault(env["name"], same)
            self.report("info", f'changed env {env["name"]} in "{name}"', field)
        elif same != env:
            self.report("warning", f"kept the container's own value of env {env['name']}", field)

    def append_args(self, container: dict[str, Any], args: list[str]) -> None:
        """Append arguments to a container's args."""
        if args:
            child(container, "args", list).extend(args)
            self.entry.args.setdefault(container["name"], []).extend(args)
            field = f"{self.container_field(container['name'])}.args"
            self.report("info", f"appended args {' '.join(args)}", field)

    def replace_field(self, container: dict[str, Any], field: str, value: Any) -> None:
        """Set a container field (a probe, ports...), keeping the first old value for undo."""
        assert field in CONTAINER_FIELDS_REPLACED.get(self.kind, ()), (self.kind, field)
        was = clone(container.get(field))
        fields = self.entry.fieldsWas.setdefault(container["name"], {})
        fields.setdefault(field, Replaced(was, field in container, ""))
        if value is None:
            container.pop(field, None)
        else:
            container[field] = value

    def remove_port(self, container: dict[str, Any], number: int) -> dict[str, Any] | None:
        """Remove a TCP containerPort from a container; return it (None when there is none)."""
        ports = container.get("ports") or []
        for index, port in enumerate(ports):
            if port.get("containerPort") == number and port.get("protocol", "TCP") == "TCP":
                del ports[index]
                drop_empty(container, "ports")
                self.entry.portsRemoved.setdefault(container["name"], []).append((index, port))
                field = f"{self.container_field(container['name'])}.ports"
                self.report("info", f'moved port {number} away from "{container["name"]}"', field)
                return dict(port)
        return None

    def generate(self, resource: dict[str, Any]) -> None:
        """Add a resource to the output (a ConfigMap, a ServiceMonitor...), owned by this config."""
        self.generated.append(resource)

    def move_port(self, port: int, to: int) -> None:
        """Note that the app's port moved (an Ambassador put a proxy on it)."""
        self.entry.movedPorts[str(port)] = to

    def moved_ports(self) -> dict[str, int]:
        """Ports that instances which ran before this one moved: old port -> new port."""
        return {k: v for e in self.record.values() for k, v in e.movedPorts.items()}

    def add_env_from(self, container: dict[str, Any], env_from: dict[str, Any]) -> None:
        """Add an envFrom source to a container, once."""
        sources = child(container, "envFrom", list)
        if env_from_key(env_from) not in {env_from_key(e) for e in sources}:
            sources.append(clone(env_from))
            self._note("envFrom", env_from_key(env_from), container["name"])
            self.report(
                "info",
                f'added envFrom to "{container["name"]}"',
                f"{self.container_field(container['name'])}.envFrom",
            )

    def set_pod_field(self, field: str, value: Any) -> None:
        """Set a pod spec field (shareProcessNamespace...), keeping the old value for undo."""
        assert field in POD_FIELDS_REPLACED.get(self.kind, ()), (self.kind, field)
        was = clone(self.spec.get(field))
        self.entry.podFieldsWas.setdefault(field, Replaced(was, field in self.spec, ""))
        self.spec[field] = value
        self.report("info", f"set {field}: {json.dumps(value)}", f"spec.{field}")

    def add_pod_sysctl(self, name: str, value: str) -> None:
        """Set a namespaced sysctl in the pod's securityContext; the pod's own value wins."""
        sysctls = child(child(self.spec, "securityContext", dict), "sysctls", list)
        same = _by_name(sysctls, name)
        field = f"spec.securityContext.sysctls[name={name}]"
        if same is None:
            sysctls.append({"name": name, "value": value})
            self._note("sysctls", name)
            self.report("info", f"set sysctl {name}={value} for the pod", field)
        elif str(same.get("value")) != value:
            self.report("warning", f"kept the pod's own sysctl {name}={same.get('value')}", field)

    def set_metadata(self, key: str, name: str, value: str) -> None:
        """Set a pod template label or annotation; an existing other value wins, with a warning."""
        values = child(self.pod.metadata, key, dict)
        field = f"metadata.{key}.{name}"
        if name not in values:
            values[name] = value
            self._note(key, name)
            self.report("info", f"set {key[:-1]} {name}={value}", field)
        elif values[name] != value:
            self.report("warning", f"kept the existing {key[:-1]} {name}={values[name]}", field)

    # selection -------------------------------------------------------------------------
    def port_free(self, number: int, what: str, besides: dict[str, Any] | None = None) -> bool:
        """Whether no container but `besides` declares this port (if one does: an error)."""
        for container in self.spec.get("containers") or []:
            if container is not besides and any(
                p.get("containerPort") == number for p in container.get("ports") or []
            ):
                name = container.get("name")
                self.error(
                    f'{what} {number} is already used by container "{name}"', "spec.containers"
                )
                return False
        return True

    def user_of(self, container: dict[str, Any]) -> Any:
        """The user a container runs as (its securityContext's, else the pod's); None: unknown."""
        for security in (container.get("securityContext"), self.spec.get("securityContext")):
            if isinstance(security, dict) and "runAsUser" in security:
                return security["runAsUser"]
        return None

    def one_app_container(self, names: list[str]) -> dict[str, Any] | None:
        """The single app container a pattern works with; an error if the selection has more."""
        apps = self.app_containers(names)
        if len(apps) > 1:
            self.error("this pattern works with one app container: name it in appContainers")
        return apps[0] if len(apps) == 1 else None

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

    def _service_result(self, service: dict[str, Any], severity: Severity, message: str) -> None:
        message = f'{self.kind} "{self.name}": {message} (for {describe(self.pod.workload)})'
        self.results.append(Result(message, severity, service, "spec.ports", self.tags))
