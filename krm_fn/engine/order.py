"""Order kept across runs: what a config undoes and injects again goes back where it was.

A run undoes a config's earlier injection and injects it again. Alone that is exact; in a
pipeline of separate configs (a kpt pipeline, a kustomization's `transformers:`) the second
step's items would come back after the third step's, and a removed key after the keys others
added. `keep_order` gives the new resource the old one's order wherever only the order moved:
mapping keys in their old order (new keys after them), and in lists of named items the items
the old list had, in the old order, in the slots the new list gives them. The order is kept only
between items of different configs (their record entries say whose an item is): a config that
reordered its own items, or placed one on the other side of an item no config owns (init
containers run in their order, and `position` places them on purpose), keeps the new order.
"""

from collections.abc import Callable
from typing import Any

from krm_fn.editing.record import RECORD_ANNOTATION, Entry, env_from_key, parse_record
from krm_fn.engine.deadline import NONE as NO_DEADLINE
from krm_fn.engine.deadline import Deadline

Identity = Callable[[dict[str, Any]], Any]

NAME: Identity = lambda item: item.get("name")  # noqa: E731
CONTAINER_LISTS: dict[str, Identity] = {
    "env": NAME,
    "envFrom": env_from_key,
    "volumeMounts": lambda item: item.get("mountPath"),
    "ports": lambda item: (item.get("containerPort"), item.get("protocol", "TCP")),
}
POD_LISTS: dict[str, Identity] = {"containers": NAME, "initContainers": NAME, "volumes": NAME}
SERVICE_LISTS: dict[str, Identity] = {"ports": NAME}


def keep_order(new: Any, old: Any, deadline: Deadline = NO_DEADLINE) -> None:
    """Give `new` (changed in place) the order of `old` where only the order moved.

    Linear in the two resources; past `deadline`, DeadlineExceeded.
    """
    _keys(new, old)
    from krm_fn.kube.workloads import pod_templates

    new_pods, old_pods = list(pod_templates(new)), list(pod_templates(old))
    if len(new_pods) == len(old_pods):
        for new_pod, old_pod in zip(new_pods, old_pods, strict=True):
            _pod(new_pod.template, old_pod.template, deadline)
    if new.get("kind") == "Service" and isinstance(new.get("spec"), dict):
        old_spec = old.get("spec") if isinstance(old.get("spec"), dict) else {}
        _lists(new["spec"], old_spec, SERVICE_LISTS, {})


def _pod(new: dict[str, Any], old: dict[str, Any], deadline: Deadline) -> None:
    spec, old_spec = new.get("spec"), old.get("spec")
    if not isinstance(spec, dict) or not isinstance(old_spec, dict):
        return
    entries = _entries(new)
    own = {
        field: _owners(getattr(entry, field) for entry in entries.values())
        for field in ("containers", "initContainers", "volumes")
    }
    _lists(spec, old_spec, POD_LISTS, own)
    old_containers = {
        c.get("name"): c
        for key in ("initContainers", "containers")
        for c in old_spec.get(key) or []
        if isinstance(c, dict)
    }
    for key in ("initContainers", "containers"):
        for container in spec.get(key) or []:
            deadline.check()
            if not isinstance(container, dict):
                continue
            before = old_containers.get(container.get("name"))
            if isinstance(before, dict):
                name = container.get("name")
                owned = {
                    field: _owners(
                        getattr(entry, field).get(name, {}) for entry in entries.values()
                    )
                    for field in ("env", "envFrom", "volumeMounts")
                }
                _lists(container, before, CONTAINER_LISTS, owned)


def _entries(template: dict[str, Any]) -> dict[str, Entry]:
    annotations = (template.get("metadata") or {}).get("annotations") or {}
    try:
        return parse_record(annotations.get(RECORD_ANNOTATION))
    except ValueError:
        return {}


def _owners(claims: Any) -> dict[Any, int]:
    """Identity -> which config owns it (an index), from each config's record entry."""
    owners: dict[Any, int] = {}
    for index, names in enumerate(claims):
        for name in names:
            owners.setdefault(name, index)
    return owners


def _lists(
    new: dict[str, Any],
    old: dict[str, Any],
    identities: dict[str, Identity],
    owned: dict[str, dict[Any, int]],
) -> None:
    for field, identity in identities.items():
        items, before = new.get(field), old.get(field)
        if isinstance(items, list) and isinstance(before, list):
            ordered = _ordered(items, before, identity, owned.get(field, {}))
            if ordered is not None:
                new[field] = ordered


def _ordered(
    items: list[Any], before: list[Any], identity: Identity, owners: dict[Any, int]
) -> list[Any] | None:
    """The items with the old order in their slots, or None to keep them as they are."""
    if not all(isinstance(i, dict) for i in items + before):
        return None
    ids, old_ids = [identity(i) for i in items], [identity(i) for i in before]
    if len(set(ids)) != len(ids) or len(set(old_ids)) != len(old_ids):
        return None  # not a list of named items: nothing to match by
    by_id = dict(zip(ids, items, strict=True))
    common = [i for i in old_ids if i in by_id]
    in_common = set(common)
    if [i for i in ids if i in in_common] == common:
        return None  # the order did not move
    slots = iter(common)
    result = [by_id[next(slots)] if i in in_common else by_id[i] for i in ids]
    order = [identity(r) for r in result]
    for owner in set(owners.values()):  # a config's own items in its own (new) order
        mine = [i for i in ids if owners.get(i) == owner]
        if [i for i in order if owners.get(i) == owner] != mine:
            return None
    if _after_theirs(order, owners) != _after_theirs(ids, owners):
        return None  # an item would move past one no config owns: that order was chosen
    return result


def _after_theirs(ids: list[Any], owners: dict[Any, int]) -> dict[Any, int]:
    """For each config's item: how many items no config owns come before it."""
    counts, seen = {}, 0
    for i in ids:
        if i in owners:
            counts[i] = seen
        else:
            seen += 1
    return counts


def _keys(new: Any, old: Any) -> None:
    """Mapping keys in their old order, everywhere the old value had the same kind of value."""
    if isinstance(new, dict) and isinstance(old, dict):
        for key, value in new.items():
            if key in old:
                _keys(value, old[key])
        if [k for k in new if k in old] != [k for k in old if k in new]:
            ordered = {k: new[k] for k in old if k in new}
            ordered.update((k, v) for k, v in new.items() if k not in ordered)
            new.clear()
            new.update(ordered)
    elif isinstance(new, list) and isinstance(old, list):
        named = {_name_of(o): o for o in old if _name_of(o) is not None}
        for index, value in enumerate(new):
            match = named.get(_name_of(value))
            if match is None and index < len(old):
                match = old[index]
            if match is not None:
                _keys(value, match)


def _name_of(item: Any) -> Any:
    """What names a list item: `name`, or a mount's `mountPath`."""
    if isinstance(item, dict):
        return item.get("name", item.get("mountPath"))
    return None
