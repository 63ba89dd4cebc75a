"""Undoing what a config injected earlier, verified against the object.

A record entry (record.py) is input, so nothing in it is taken on trust. Before removing an item
the entry names, undo checks that the item is what krm-fn left there (its digest); an item that
differs is removed only if the same config injects it again in this run (the caller checks), and
is an error otherwise. Before putting back a value krm-fn replaced, undo checks that the field
still holds what krm-fn set, that the kind of the entry replaces such fields at all (record.py),
and that the old value differs from the current one only where that kind makes changes.
"""

from dataclasses import dataclass, field
from typing import Any

from krm_fn.editing.record import (
    NAMED_LISTS,
    PER_CONTAINER,
    RECORD_ANNOTATION,
    Entry,
    Item,
    PodItems,
    RecordError,
    Replaced,
    digest,
    drop_empty,
    entry_items,
    service_port,
    unchanged,
)
from krm_fn.engine.deadline import NONE as NO_DEADLINE
from krm_fn.engine.deadline import Deadline
from krm_fn.kube.workloads import PodTemplate
from krm_fn.manifests.results import Result, Severity, config_tags

PROFILE_ANNOTATIONS = (  # the annotations that set a container's AppArmor or seccomp profile
    "container.apparmor.security.beta.kubernetes.io/",
    "seccomp.security.alpha.kubernetes.io/",
    "container.seccomp.security.alpha.kubernetes.io/",
)
PROBE_CHANGES = {"httpGet": frozenset(["port", "scheme"]), "tcpSocket": frozenset(["port"])}
SECURITY_RELEVANT = frozenset(
    [
        "securityContext",
        "capabilities",
        "privileged",
        "image",
        "hostNetwork",
        "hostPID",
        "hostIPC",
        "hostUsers",
        "shareProcessNamespace",
        "serviceAccountName",
        "automountServiceAccountToken",
        "hostPath",
    ]
)


@dataclass
class Undone:
    """What undoing an entry did, for the caller to report."""

    removed: list[Item] = field(default_factory=list)  # verified and removed
    changed: list[Item] = field(default_factory=list)  # removed although not as recorded
    problems: list[str] = field(default_factory=list)  # errors: record path and why
    warnings: list[str] = field(default_factory=list)  # restores of security-relevant fields
    restored: list[str] = field(default_factory=list)  # record paths of the values put back


def restore_paths(key: str, entry: Entry) -> set[str]:
    """The record paths of the values an entry keeps to put back (as Undone.restored names them)."""
    paths = {f"{key}.envWas.{c}.{n}" for c, envs in entry.envWas.items() for n in envs}
    paths |= {f"{key}.fieldsWas.{c}.{f}" for c, fs in entry.fieldsWas.items() for f in fs}
    paths |= {f"{key}.podFieldsWas.{f}" for f in entry.podFieldsWas}
    paths |= {f"{key}.portsWas.{n}" for n in entry.portsWas}
    paths |= {
        f"{key}.portsRemoved.{c}.{p.get('containerPort')}"
        for c, removed in entry.portsRemoved.items()
        for _, p in removed
    }
    return paths


def undo_pod(pod: PodTemplate, key: str, entry: Entry, deadline: Deadline = NO_DEADLINE) -> Undone:
    """Remove what an entry says its config injected, and restore what it replaced; verified.

    Linear in the pod and the entry: the pod's lists are indexed once, and each list loses
    or changes its items in one pass at the end.
    """
    done = Undone()
    for env_owner, envs in entry.envWas.items():
        for name in envs:
            if name not in entry.env.get(env_owner, {}):
                done.problems.append(f"{key}.envWas.{env_owner}.{name}: no env entry records it")
    lists = _Lists(pod)
    for item, recorded in entry_items(entry):
        deadline.check()
        if item.field == "ports":
            continue
        current = lists.lookup(item)
        if current is None:
            continue  # gone already: nothing to undo
        if unchanged(item.field, current, recorded):
            done.removed.append(item)
        else:
            done.changed.append(item)
        was = entry.envWas.get(item.owner or "", {}).get(item.name)
        if item.field == "env" and was is not None:
            done.restored.append(f"{key}.envWas.{item.owner}.{item.name}")
        lists.change(item, current, was if item.field == "env" else None)
    lists.apply()
    _undo_args(lists, key, entry, done)
    _restore_fields(lists, key, entry, done)
    _restore_ports(lists, key, entry, done)
    return done


class _Lists(PodItems):
    """A pod's items by identity, and the changes an undo makes to its lists, made at the end."""

    def __init__(self, pod: PodTemplate) -> None:
        super().__init__(pod)
        self.changes: dict[tuple[int, str], tuple[dict[str, Any], str, dict[int, Any]]] = {}
        self.gone: set[int] = set()  # containers removed: their own items are gone with them

    def container(self, name: str) -> Any:
        """An init container or container by name, unless this undo removes it."""
        found = super().container(name)
        return None if found is None or id(found) in self.gone else found

    def change(self, item: Item, current: Any, replacement: Any) -> None:
        """Note that `current` goes (or is replaced); labels and annotations go at once."""
        spec = self.pod.spec
        if item.field in ("labels", "annotations"):
            meta = self.pod.template["metadata"]
            del meta[item.field][item.name]
            drop_empty(meta, item.field)
            return
        if item.field in NAMED_LISTS:
            parent = spec
            if item.field != "volumes":
                self.gone.add(id(current))
        elif item.field in PER_CONTAINER:
            parent = self.container(item.owner or "")
        else:  # sysctls
            parent = spec["securityContext"]
        _, _, changed = self.changes.setdefault((id(parent), item.field), (parent, item.field, {}))
        changed[id(current)] = replacement

    def apply(self) -> None:
        """Each changed list in one pass: items dropped, or replaced (an env var put back)."""
        for parent, key, changed in self.changes.values():
            parent[key] = [
                changed.get(id(i), i)
                for i in parent[key]
                if id(i) not in changed or changed[id(i)] is not None
            ]
            drop_empty(parent, key)
        security = self.pod.spec.get("securityContext")
        if isinstance(security, dict) and any(p is security for p, _, _ in self.changes.values()):
            drop_empty(self.pod.spec, "securityContext")
        self.gone.clear()  # out of the lists now (and their ids free for other objects)


def _undo_args(lists: _Lists, key: str, entry: Entry, done: Undone) -> None:
    for owner, values in entry.args.items():
        container = lists.container(owner)
        args = container.get("args") if container else None
        if not isinstance(args, list):
            continue
        if values and args[len(args) - len(values) :] == values:
            del args[len(args) - len(values) :]
            drop_empty(container or {}, "args")
        else:
            done.problems.append(
                f"{key}.args.{owner}: the container's args no longer end with the recorded ones"
            )


def _restore_fields(lists: _Lists, key: str, entry: Entry, done: Undone) -> None:
    for owner, replaced in entry.fieldsWas.items():
        container = lists.container(owner)
        if container is None:
            continue
        for name, change in replaced.items():
            path = f"{key}.fieldsWas.{owner}.{name}"
            _restore(container, name, change, path, _allowed_container_change, done)
    for name, change in entry.podFieldsWas.items():
        path = f"{key}.podFieldsWas.{name}"
        _restore(lists.pod.spec, name, change, path, _allowed_pod_change, done)


def _restore(
    holder: dict[str, Any],
    name: str,
    change: Replaced,
    path: str,
    allowed: Any,
    done: Undone,
) -> None:
    current = holder.get(name)
    if not unchanged(name, current, change.set):
        done.problems.append(f"{path}: the field changed since krm-fn set it; not restored")
        return
    problem = allowed(name, current, change)
    if problem:
        done.problems.append(f"{path}: {problem}")
        return
    if change.had and _touches_security(name, current, change.was):  # a value from the record
        done.warnings.append(f"{path}: restored a security-relevant field ({name})")
    done.restored.append(path)
    if change.had:
        holder[name] = change.was
    else:
        holder.pop(name, None)


def _allowed_container_change(name: str, current: Any, change: Replaced) -> str | None:
    """Whether putting back `was` undoes only the kind of change krm-fn makes to this field."""
    if not change.had:
        return None
    was = change.was
    if not isinstance(was, dict):
        return "the old value is not a mapping"
    if name == "lifecycle":
        rest = {k: v for k, v in was.items() if k != "preStop"}
        now = {k: v for k, v in (current or {}).items() if k != "preStop"}
        return None if rest == now else "the old value differs in more than preStop"
    if not isinstance(current, dict):
        return "the field is not a probe"
    for handler, changed in PROBE_CHANGES.items():
        if handler in was or handler in current:
            old, new = was.get(handler), current.get(handler)
            if not isinstance(old, dict) or not isinstance(new, dict):
                break
            rest = {k: v for k, v in was.items() if k != handler}
            if rest != {k: v for k, v in current.items() if k != handler}:
                break
            if {k: v for k, v in old.items() if k not in changed} != {
                k: v for k, v in new.items() if k not in changed
            }:
                break
            return None
    return "the old probe differs in more than the port and scheme krm-fn changes"


def _allowed_pod_change(name: str, current: Any, change: Replaced) -> str | None:
    if not change.had:
        return None
    expected = bool if name == "shareProcessNamespace" else int
    if type(change.was) is not expected or (expected is int and change.was < 0):
        return f"the old value is not a {expected.__name__}"
    return None


def _touches_security(name: str, current: Any, was: Any) -> bool:
    if name in SECURITY_RELEVANT:
        return bool(current != was)
    return _differs_in(current, was, SECURITY_RELEVANT)


def _differs_in(a: Any, b: Any, keys: frozenset[str]) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return any(
            (k in keys and a.get(k) != b.get(k)) or _differs_in(a.get(k), b.get(k), keys)
            for k in set(a) | set(b)
        )
    if isinstance(a, list) and isinstance(b, list):
        return len(a) != len(b) or any(_differs_in(x, y, keys) for x, y in zip(a, b, strict=True))
    return False


def _restore_ports(lists: _Lists, key: str, entry: Entry, done: Undone) -> None:
    """Put back the container ports an Ambassador moved to its proxy."""
    moved = {int(port) for port in entry.movedPorts}
    for owner, removed in entry.portsRemoved.items():
        container = lists.container(owner)
        if container is None:
            continue
        ports = container.get("ports")
        ports = ports if isinstance(ports, list) else []
        for index, port in sorted(removed, key=lambda pair: pair[0]):
            number = port.get("containerPort")
            path = f"{key}.portsRemoved.{owner}"
            if number not in moved:
                done.problems.append(f"{path}: port {number} is not one the entry moved")
            elif any(isinstance(p, dict) and p.get("containerPort") == number for p in ports):
                done.problems.append(f"{path}: the container has port {number} already")
            else:
                ports.insert(min(index, len(ports)), port)
                done.restored.append(f"{path}.{number}")
        if ports:
            container["ports"] = ports


def undo_service(service: dict[str, Any], key: str, entry: Entry) -> Undone:
    """Remove the ports an entry added to a Service and put back the ports it changed."""
    done = Undone()
    spec = service.get("spec")
    ports = spec.get("ports") if isinstance(spec, dict) else None
    if not isinstance(ports, list):
        return done
    for name, recorded in entry.ports.items():
        current = service_port(service, name)
        if current is None:
            continue
        item = Item("ports", None, name)
        (done.removed if digest(current) == recorded else done.changed).append(item)
        ports.remove(current)
    for name, change in entry.portsWas.items():
        current = service_port(service, name)
        path = f"{key}.portsWas.{name}"
        was = change.was
        if current is None:
            continue
        if digest(current) != change.set:
            done.problems.append(f"{path}: the port changed since krm-fn set it; not restored")
        elif not (
            isinstance(was, dict)
            and was.get("port") == current.get("port")
            and was.get("protocol", "TCP") == current.get("protocol", "TCP")
        ):
            done.problems.append(f"{path}: the old port has another number or protocol")
        else:
            ports[ports.index(current)] = was
            done.restored.append(path)
    assert isinstance(spec, dict)
    drop_empty(spec, "ports")
    return done


# what undoing reports ------------------------------------------------------------------
def record_error(resource: dict[str, Any], annotations_field: str, err: RecordError) -> Result:
    """The error for a record that cannot be read: nothing it names is undone."""
    where = f" entry {err.path}" if err.path else ""
    message = (
        f"the record {RECORD_ANNOTATION}{where} {str(err).removeprefix(f'{err.path}: ')}; "
        "krm-fn writes it and undoes only what it can verify: restore it, or remove it "
        "together with what it lists"
    )
    return Result(message, "error", resource, f"{annotations_field}.{RECORD_ANNOTATION}")


def judge_undone(
    resource: dict[str, Any],
    annotations_field: str,
    key: str,
    done: Undone,
    entry: Entry | None,
    asked: bool = False,
) -> list[Result]:
    """Report what undoing an entry did; an item that differed must have been injected again."""
    field = f"{annotations_field}.{RECORD_ANNOTATION}"
    results = [
        Result(f"record entry {problem}", "error", resource, field) for problem in done.problems
    ]
    results += [Result(f"record entry {w}", "warning", resource, field) for w in done.warnings]
    again = {(i.field, i.owner, i.name) for i, _ in entry_items(entry)} if entry else set()
    for item in done.changed:
        if (item.field, item.owner, item.name) in again:
            message = (
                f"{item.describe()} was not as {key} left it (changed since, or the record was "
                "not written by krm-fn); replaced by what the config injects now"
            )
            results.append(Result(message, "info", resource, field))
        else:
            message = (
                f"{item.describe()} is not what {key} injected (it changed since, or the record "
                "was not written by krm-fn), and the config does not inject it again: krm-fn "
                f"removes only what it can verify; remove it by hand, or its entry "
                f"{item.path(key)} from the record"
            )
            results.append(Result(message, "error", resource, field))
    for item in done.removed:
        isolation = item.field == "annotations" and item.name.startswith(PROFILE_ANNOTATIONS)
        if isolation:  # an AppArmor or seccomp profile gone: isolation changes, even when asked
            message = (
                f"removed {item.describe()}, which {key} injected: the pod loses that "
                "AppArmor or seccomp profile"
                + ("" if (item.field, item.owner, item.name) not in again else "; set again")
            )
            results.append(Result(message, "warning", resource, field))
        elif (item.field, item.owner, item.name) not in again:
            severity: Severity = "info" if asked else "warning"
            message = f"removed {item.describe()}, which {key} injected and no longer injects"
            results.append(Result(message, severity, resource, field))
    kept = restore_paths(key, entry) if entry else set()
    for path in done.restored:
        if path not in kept:  # the value is in the pod now, not in the record
            severity = "info" if asked else "warning"
            message = (
                f"record entry {path}: put back the value the record keeps, which {key} no "
                "longer replaces; check that it is the workload's own"
            )
            results.append(Result(message, severity, resource, field))
    for result in results:
        result.tags = config_tags(key)
    return results
