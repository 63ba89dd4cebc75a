"""The injection record: what each config injected, read, checked and written in one place.

A pod template or Service that krm-fn changed carries the annotation `krm-fn.dev/injected`, a
JSON object with one entry per config (`<Kind>/<name>`). An entry names every item the config
added, each with a short digest of the item as krm-fn left it, and keeps every value it
replaced together with a digest of what it set instead. The record is input like the rest of a
manifest: `parse_record` checks its shape and what each kind may hold, and undoing (undo.py)
removes or restores only what the digests show unchanged.
"""

import functools
import hashlib
import json
import marshal
from dataclasses import dataclass, field, fields
from typing import Any

from krm_fn.editing.record_kinds import CONTAINER_FIELDS_REPLACED, KINDS_FOR, POD_FIELDS_REPLACED
from krm_fn.kube.workloads import PodTemplate

RECORD_ANNOTATION = "krm-fn.dev/injected"
MAX_RECORD_BYTES = 262_144  # the API server's limit for all annotations of an object together
# What krm-fn itself writes stays far below these (a config adds a few items to each container);
# a record over them is forged, and refused before anything is undone: undoing stays small.
MAX_RECORD_ENTRIES = 100
MAX_RECORD_ITEMS = 2_000
DIGEST_LENGTH = 12

# The JSON text of digests and records: compact, keys sorted (the same value, the same bytes).
CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False
)
Digests = dict[str, str]  # item identity -> digest of the item as krm-fn left it


def digest(value: Any) -> str:
    """A short digest of a YAML value (key order ignored): tells a changed item from krm-fn's."""
    text = CANONICAL.encode(value)
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


def item_digest(field: str, value: Any) -> str:
    """The digest of an item (or container field) without what the API server defaults in it.

    So it reads the same from a manifest and from the cluster (krm_fn/kube/defaults.py). Every
    pod a config injects gets the same items: their digests are computed once per value, known
    by its `marshal` bytes (exact: they load back as the same value, types included; a fifth of
    the cost of JSON text). What marshal does not take (a subclass) is known by its JSON text.
    """
    try:
        return _item_digest(field, marshal.dumps(value))
    except ValueError:
        text = CANONICAL.encode(value)
        return _item_digest(field, text)


@functools.lru_cache(maxsize=4096)
def _item_digest(field: str, known_by: bytes | str) -> str:
    from krm_fn.kube.defaults import without_defaults

    value = marshal.loads(known_by) if isinstance(known_by, bytes) else json.loads(known_by)
    return digest(without_defaults(field, value))


def unchanged(field: str, value: Any, recorded: str) -> bool:
    """Whether an item is still what krm-fn left (records before defaults: the plain digest)."""
    return item_digest(field, value) == recorded or digest(value) == recorded


@dataclass
class Replaced:
    """A value krm-fn replaced: the old value (`had` False: there was none) and what it set."""

    was: Any
    had: bool
    set: str

    def to_json(self) -> dict[str, Any]:
        """The JSON form: `{"was": OLD, "set": DIGEST}`, without `was` when there was none."""
        return {"was": self.was, "set": self.set} if self.had else {"set": self.set}


@dataclass
class Entry:
    """What one config injected into one pod template or Service."""

    containers: Digests = field(default_factory=dict)
    initContainers: Digests = field(default_factory=dict)
    volumes: Digests = field(default_factory=dict)
    volumeMounts: dict[str, Digests] = field(default_factory=dict)
    env: dict[str, Digests] = field(default_factory=dict)
    envFrom: dict[str, Digests] = field(default_factory=dict)
    args: dict[str, list[str]] = field(default_factory=dict)
    labels: Digests = field(default_factory=dict)
    annotations: Digests = field(default_factory=dict)
    sysctls: Digests = field(default_factory=dict)
    fieldsWas: dict[str, dict[str, Replaced]] = field(default_factory=dict)
    envWas: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    portsRemoved: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    podFieldsWas: dict[str, Replaced] = field(default_factory=dict)
    movedPorts: dict[str, int] = field(default_factory=dict)
    ports: Digests = field(default_factory=dict)  # a Service's ports, by name
    portsWas: dict[str, Replaced] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.__dict__.values())

    def to_json(self) -> dict[str, Any]:
        """The JSON form, without empty fields."""
        out: dict[str, Any] = {}
        for name in ENTRY_FIELDS:
            value = getattr(self, name)
            if not value:
                continue
            if name in ("fieldsWas",):
                value = {c: {f: r.to_json() for f, r in v.items()} for c, v in value.items()}
            elif name in ("podFieldsWas", "portsWas"):
                value = {k: r.to_json() for k, r in value.items()}
            elif name == "portsRemoved":
                value = {c: [[i, p] for i, p in v] for c, v in value.items()}
            out[name] = value
        return out


ENTRY_FIELDS = tuple(f.name for f in fields(Entry))

# Which kinds may replace what the user wrote, and what (anything else in a record is refused):
# each pattern's FACTS, written into record_kinds.py by `make validators`.
POD_TEMPLATE_ONLY = frozenset(ENTRY_FIELDS) - {"ports", "portsWas"}
SERVICE_ONLY = frozenset(["ports", "portsWas"])


class RecordError(ValueError):
    """A record that is not what krm-fn writes; `path` is where in the record."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path


def parse_record(raw: Any, service: bool = False) -> dict[str, Entry]:
    """Read a record annotation's value; RecordError says what is wrong and where."""
    if raw is None:
        return {}
    if not isinstance(raw, str):
        raise RecordError("", "is not a string")
    if len(raw) > MAX_RECORD_BYTES:
        raise RecordError("", f"is longer than {MAX_RECORD_BYTES} bytes")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise RecordError("", "is nested too deeply") from None
    except ValueError as err:
        raise RecordError("", f"is not JSON ({err})") from None
    if not isinstance(data, dict):
        raise RecordError("", "is not a JSON object")
    allowed = SERVICE_ONLY if service else POD_TEMPLATE_ONLY
    if len(data) > MAX_RECORD_ENTRIES:
        raise RecordError("", f"has more than {MAX_RECORD_ENTRIES} entries")
    items = sum(
        _size(field)
        for entry in data.values()
        if isinstance(entry, dict)
        for field in entry.values()
    )
    if items > MAX_RECORD_ITEMS:
        raise RecordError("", f"lists more than {MAX_RECORD_ITEMS:,} items")
    return {key: _entry(key, value, allowed) for key, value in data.items()}


def _size(value: Any) -> int:
    """How many items a record field lists (per container: summed over the containers)."""
    if isinstance(value, dict):
        return sum(_size(v) if isinstance(v, dict | list) else 1 for v in value.values())
    return len(value) if isinstance(value, list) else 1


def _entry(key: str, value: Any, allowed: frozenset[str]) -> Entry:
    if not isinstance(value, dict):
        raise RecordError(key, "is not a JSON object")
    entry = Entry()
    kind = key.partition("/")[0]
    if not kind or "/" not in key:
        raise RecordError(key, "is not a record key (<Kind>/<name>)")
    for name, data in value.items():
        path = f"{key}.{name}"
        if name not in allowed:
            raise RecordError(path, "is not a field krm-fn records here")
        if name in KINDS_FOR and kind not in KINDS_FOR[name]:
            raise RecordError(path, f"{kind} never records this")
        setattr(entry, name, PARSERS[name](path, data, kind))
    return entry


def _object(path: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise RecordError(path, "is not a JSON object")
    return data


def _digests(path: str, data: Any, kind: str = "") -> Digests:
    for name, value in _object(path, data).items():
        if not isinstance(value, str) or len(value) != DIGEST_LENGTH:
            raise RecordError(f"{path}.{name}", "is not a digest")
    return dict(data)


def _per_container(inner: Any) -> Any:
    def parse(path: str, data: Any, kind: str) -> dict[str, Any]:
        return {c: inner(f"{path}.{c}", v, kind) for c, v in _object(path, data).items()}

    return parse


def _strings(path: str, data: Any, kind: str) -> list[str]:
    if not isinstance(data, list) or not all(isinstance(s, str) for s in data):
        raise RecordError(path, "is not a list of strings")
    return list(data)


def _replaced(path: str, data: Any, kind: str) -> Replaced:
    value = _object(path, data)
    if set(value) - {"was", "set"} or not isinstance(value.get("set"), str):
        raise RecordError(path, 'is not {"was": ..., "set": DIGEST}')
    return Replaced(value.get("was"), "was" in value, value["set"])


def _replaced_map(allowed: dict[str, frozenset[str]] | None) -> Any:
    def parse(path: str, data: Any, kind: str) -> dict[str, Replaced]:
        out = {}
        for name, value in _object(path, data).items():
            if allowed is not None and name not in allowed.get(kind, frozenset()):
                raise RecordError(f"{path}.{name}", f"{kind} never replaces this field")
            out[name] = _replaced(f"{path}.{name}", value, kind)
        return out

    return parse


def _env_was(path: str, data: Any, kind: str) -> dict[str, dict[str, Any]]:
    out = {}
    for name, env in _object(path, data).items():
        if not isinstance(env, dict) or env.get("name") != name:
            raise RecordError(f"{path}.{name}", "is not the env var of that name")
        out[name] = env
    return out


def _ports_removed(path: str, data: Any, kind: str) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(data, list):
        raise RecordError(path, "is not a list")
    out = []
    for index, pair in enumerate(data):
        ok = isinstance(pair, list) and len(pair) == 2 and type(pair[0]) is int
        if not ok or pair[0] < 0 or not isinstance(pair[1], dict):
            raise RecordError(f"{path}[{index}]", "is not [INDEX, PORT]")
        out.append((pair[0], pair[1]))
    return out


def _moved_ports(path: str, data: Any, kind: str) -> dict[str, int]:
    for old, new in _object(path, data).items():
        if not old.isdigit() or type(new) is not int:
            raise RecordError(f"{path}.{old}", "is not PORT: PORT")
    return dict(data)


PARSERS: dict[str, Any] = {
    "containers": _digests,
    "initContainers": _digests,
    "volumes": _digests,
    "labels": _digests,
    "annotations": _digests,
    "sysctls": _digests,
    "ports": _digests,
    "volumeMounts": _per_container(_digests),
    "env": _per_container(_digests),
    "envFrom": _per_container(_digests),
    "args": _per_container(_strings),
    "fieldsWas": _per_container(_replaced_map(CONTAINER_FIELDS_REPLACED)),
    "envWas": _per_container(_env_was),
    "portsRemoved": _per_container(_ports_removed),
    "podFieldsWas": _replaced_map(POD_FIELDS_REPLACED),
    "movedPorts": _moved_ports,
    "portsWas": _replaced_map(None),
}
assert set(PARSERS) == set(ENTRY_FIELDS)


def dump_record(record: dict[str, Entry]) -> str:
    """The annotation's value: compact JSON with sorted keys (the same record, the same bytes)."""
    data = {key: entry.to_json() for key, entry in record.items() if entry}
    return CANONICAL.encode(data)


def read_record(holder: dict[str, Any], service: bool = False) -> dict[str, Entry]:
    """The record of a pod template or Service (RecordError when it is not a valid one)."""
    meta = holder.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    raw = annotations.get(RECORD_ANNOTATION) if isinstance(annotations, dict) else None
    return parse_record(raw, service)


def write_record(holder: dict[str, Any], record: dict[str, Entry]) -> None:
    """Store the record (always the last annotation), or remove it when nothing is injected."""
    meta = holder.get("metadata")
    if any(record.values()):
        if not isinstance(meta, dict):
            rest = [(k, v) for k, v in holder.items() if k != "metadata"]
            holder.clear()
            meta = holder["metadata"] = {}
            holder.update(rest)
        if not isinstance(meta.get("annotations"), dict):
            meta["annotations"] = {}
        annotations = meta["annotations"]
        annotations.pop(RECORD_ANNOTATION, None)
        annotations[RECORD_ANNOTATION] = dump_record(record)
    elif isinstance(meta, dict) and RECORD_ANNOTATION in (meta.get("annotations") or {}):
        del meta["annotations"][RECORD_ANNOTATION]
        if not meta["annotations"]:
            del meta["annotations"]
        if not meta:
            del holder["metadata"]


# the items an entry names, as they are in the pod ---------------------------------------
NAMED_LISTS = ("containers", "initContainers", "volumes")
PER_CONTAINER = ("volumeMounts", "env", "envFrom")


def env_from_key(env_from: dict[str, Any]) -> str:
    """An identity for an envFrom entry (they have no name): `configMapRef/NAME[@PREFIX]`."""
    ref = "configMapRef" if "configMapRef" in env_from else "secretRef"
    key = f"{ref}/{(env_from.get(ref) or {}).get('name', '')}"
    return f"{key}@{env_from['prefix']}" if env_from.get("prefix") else key


IDENTITY = {
    "volumeMounts": lambda m: m.get("mountPath"),
    "env": lambda e: e.get("name"),
    "envFrom": env_from_key,
}


def _by_name(items: Any, name: str) -> dict[str, Any] | None:
    if not isinstance(items, list):
        return None
    return next((i for i in items if isinstance(i, dict) and i.get("name") == name), None)


def _name(item: dict[str, Any]) -> Any:
    return item.get("name")


class PodItems:
    """A pod template's items by identity, each list indexed once, the first time it is looked in.

    So that finding every item of a record costs one pass over the pod, not one per item (a
    pod may have thousands of containers, and a record thousands of items).
    """

    def __init__(self, pod: PodTemplate) -> None:
        self.pod = pod
        self._indexes: dict[int, tuple[list[Any], dict[Any, Any]]] = {}  # id(list) -> index

    def find(self, parent: Any, key: str, identity: Any, name: Any) -> Any:
        """The first item of parent[key] whose identity is name (None when there is none)."""
        items = parent.get(key) if isinstance(parent, dict) else None
        if not isinstance(items, list):
            return None
        known = self._indexes.get(id(items))
        if known is None or known[0] is not items:  # a list replaced since: indexed again
            index: dict[Any, Any] = {}
            for item in items:
                if isinstance(item, dict):
                    index.setdefault(identity(item), item)
            known = self._indexes[id(items)] = (items, index)
        return known[1].get(name)

    def container(self, name: str) -> Any:
        """An init container or container by name."""
        spec = self.pod.spec
        return self.find(spec, "initContainers", _name, name) or self.find(
            spec, "containers", _name, name
        )

    def lookup(self, item: "Item") -> Any:
        """The item a record entry names, as it is in the pod now (None when it is not there)."""
        if item.field in NAMED_LISTS:
            return self.find(self.pod.spec, item.field, _name, item.name)
        if item.field in PER_CONTAINER:
            container = self.container(item.owner or "")
            return self.find(container, item.field, IDENTITY[item.field], item.name)
        if item.field in ("labels", "annotations"):
            values = (self.pod.template.get("metadata") or {}).get(item.field) or {}
            return values.get(item.name)
        if item.field == "sysctls":
            return self.find(self.pod.spec.get("securityContext"), "sysctls", _name, item.name)
        raise AssertionError(item.field)


def service_port(service: dict[str, Any], name: str) -> dict[str, Any] | None:
    """A Service port by name."""
    return _by_name((service.get("spec") or {}).get("ports"), name)


@dataclass
class Item:
    """One item of a record entry: its record field, its container (if any) and its identity."""

    field: str
    owner: str | None
    name: str

    def describe(self) -> str:
        """How messages name it."""
        what = {
            "containers": "container",
            "initContainers": "init container",
            "volumes": "volume",
            "volumeMounts": "mount",
            "env": "env",
            "envFrom": "envFrom",
            "labels": "label",
            "annotations": "annotation",
            "sysctls": "sysctl",
            "ports": "port",
        }[self.field]
        where = f' in "{self.owner}"' if self.owner else ""
        return f'{what} "{self.name}"{where}'

    def path(self, key: str) -> str:
        """The item's path in the record."""
        return ".".join(p for p in (key, self.field, self.owner, self.name) if p)


def entry_items(entry: Entry) -> list[tuple[Item, str]]:
    """Every item an entry names, with its digest."""
    items = []
    for record_field in (*NAMED_LISTS, "labels", "annotations", "sysctls", "ports"):
        for name, value in getattr(entry, record_field).items():
            items.append((Item(record_field, None, name), value))
    for record_field in PER_CONTAINER:
        for owner, digests in getattr(entry, record_field).items():
            for name, value in digests.items():
                items.append((Item(record_field, owner, name), value))
    return items


def drop_empty(parent: dict[str, Any], key: str) -> None:
    """Remove a key whose value became empty."""
    if key in parent and not parent[key]:
        del parent[key]
