"""What configs add to any pod, read off the webhook's own core on probe pods.

Two probes that differ in everything a pattern may read (names, images, env, ports, users, the
service account, the restart policy, volumes, init containers, annotations); where what the
configs add is the same on both, it does not depend on the pod and compiles. A third probe
without init containers gives their order where `first` and `last` meet.
"""

import copy
import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from krm_fn.configfiles import ConfigSet
from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.engine.admission import inject
from krm_fn.engine.config import Instance

APP = "krm-fn-probe-app"  # the probe's default container: the pod's default container
OWN_INIT = "krm-fn-probe-own"  # the probe's own init containers around each anchor
PER_CONTAINER = ("volumeMounts", "env", "envFrom")  # what an app container may receive
# What the second probe has that the first has not: a pattern whose additions change with
# these depends on the pod.
OTHER_IMAGE = "probe.invalid/other:2"


class PolicyError(ValueError):
    """Configs that cannot compile: the message names the config, the field and the reason."""


@dataclass
class Injection:
    """What a set of configs adds to any pod, read off the webhook's answer on a probe."""

    record: str  # the krm-fn.dev/injected text, APP standing for the default container
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    containers: list[dict[str, Any]] = field(default_factory=list)
    # init containers by slot: "first", "last", ("before", name) or ("after", name)
    init: dict[Any, list[dict[str, Any]]] = field(default_factory=dict)
    anchors: list[str] = field(default_factory=list)  # in the order the probe has them
    # all of them in order, for a pod without init containers of its own (then `first` and
    # `last` meet, and the order is the one the configs were applied in); only without anchors
    init_alone: list[dict[str, Any]] = field(default_factory=list)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    sysctls: list[dict[str, Any]] = field(default_factory=list)  # the pod's securityContext
    # app container (APP: the default one) -> field -> items appended
    per_container: dict[str, dict[str, list[Any]]] = field(default_factory=dict)


def _names(instances: list[Instance]) -> tuple[list[str], list[str]]:
    """The app containers the configs name, and the init containers their positions name."""
    apps: list[str] = []
    anchors: list[str] = []
    for instance in instances:
        spec: Any = instance.spec
        for name in getattr(spec, "app_containers", None) or []:
            if name == "*":
                raise PolicyError(
                    f"{instance.key}: spec.appContainers: `*` (every container) does not "
                    "compile yet: name the containers, or use the webhook"
                )
            if name not in apps:
                apps.append(name)
        position = getattr(spec, "position", None)
        anchor = getattr(position, "before", None) or getattr(position, "after", None)
        if anchor and anchor not in anchors:
            anchors.append(anchor)
    return apps, anchors


def probe_pod(apps: list[str], anchors: list[str], other: bool) -> dict[str, Any]:
    """A pod with the named containers, the default one first.

    Its own init containers sit around every anchor, so that first, last, before and after
    land in slots of their own.
    """
    image = OTHER_IMAGE if other else "probe.invalid/app:1"
    containers: list[dict[str, Any]] = [{"name": n, "image": image} for n in [APP, *apps]]
    init = [{"name": f"{OWN_INIT}-0", "image": image}]
    for index, anchor in enumerate(anchors, 1):
        init += [{"name": anchor, "image": image}, {"name": f"{OWN_INIT}-{index}", "image": image}]
    if other:  # what else a pod may hold: the additions must not change with it
        for container in containers:
            container["env"] = [{"name": "KRM_FN_PROBE", "value": "1"}]
            container["ports"] = [{"containerPort": 8081}]
            container["securityContext"] = {"runAsUser": 1002, "runAsGroup": 1002}
        containers.append({"name": "krm-fn-probe-extra", "image": image})
    pod: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "krm-fn-probe", "labels": {"krm-fn.dev/probe": str(other)}},
        "spec": {"containers": containers, "initContainers": init},
    }
    if other:
        pod["spec"] |= {
            "volumes": [{"name": "krm-fn-probe-volume", "emptyDir": {}}],
            "securityContext": {"runAsUser": 1001, "runAsGroup": 1001, "fsGroup": 1001},
            "serviceAccountName": "krm-fn-probe",
            "restartPolicy": "OnFailure",
        }
        pod["metadata"]["annotations"] = {"krm-fn.dev/probe": "other"}
    return pod


def webhook_result(configs: ConfigSet, pod: dict[str, Any]) -> dict[str, Any]:
    """The pod as `krm-fn webhook` leaves it; PolicyError with its errors if it would deny it."""
    working, results, _ = inject(pod, "krm-fn-probe", configs.instances)
    del working["metadata"]["namespace"]  # the probe has none
    errors = [r.message for r in results if r.severity == "error"]
    if errors:
        raise PolicyError(
            f"it needs something of the pod ({'; '.join(errors)}), which only the webhook sees"
        )
    return working


def _refuse(what: str) -> PolicyError:
    return PolicyError(f"{what}: an admission policy can only add to a pod; use the webhook")


def read_injection(before: dict[str, Any], after: dict[str, Any], anchors: list[str]) -> Injection:
    """What `after` adds to `before` (a probe pod), or PolicyError naming what else changed."""
    meta, was = after.get("metadata") or {}, before.get("metadata") or {}
    annotations = dict(meta.get("annotations") or {})
    record = annotations.pop(RECORD_ANNOTATION, None)
    if record is None:
        raise PolicyError("the configs inject nothing into a pod")
    injection = Injection(record)
    for key in ("labels", "annotations"):
        old, new = was.get(key) or {}, annotations if key == "annotations" else meta.get(key) or {}
        if any(new.get(k) != v for k, v in old.items()):
            raise _refuse(f"they change the pod's metadata.{key}")
        setattr(injection, key, {k: v for k, v in new.items() if k not in old})
    if {k: v for k, v in meta.items() if k not in ("labels", "annotations")} != {
        k: v for k, v in was.items() if k not in ("labels", "annotations")
    }:
        raise _refuse("they change the pod's metadata")
    spec, old_spec = after["spec"], before["spec"]
    injection.sysctls = _sysctls(old_spec.get("securityContext"), spec.get("securityContext"))
    lists = ("containers", "initContainers", "volumes", "securityContext")
    changed = sorted(
        k for k in set(spec) | set(old_spec) if k not in lists and spec.get(k) != old_spec.get(k)
    )
    if changed:
        raise _refuse(f"they set spec.{changed[0]}")
    own = {c["name"]: c for c in old_spec["containers"]}
    for container in spec["containers"]:
        mine = own.get(container["name"])
        if mine is None:
            injection.containers.append(container)
            continue
        added = _container_additions(mine, container)
        if added:
            injection.per_container[container["name"]] = added
    if [c["name"] for c in spec["containers"][: len(own)]] != list(own):
        raise _refuse("they reorder the pod's containers")
    injection.anchors = anchors
    slot: Any = "first"
    own_init = {c["name"]: c for c in old_spec["initContainers"]}
    for container in spec["initContainers"]:
        name = container["name"]
        if name in own_init:
            if container != own_init[name]:
                raise _refuse(f'they change the pod\'s init container "{name}"')
            slot = ("after", name) if name in anchors else "own"
            continue
        key = _slot(slot, name, spec["initContainers"], own_init, anchors)
        injection.init.setdefault(key, []).append(container)
    volumes = spec.get("volumes") or []
    old_volumes = old_spec.get("volumes") or []
    if volumes[: len(old_volumes)] != old_volumes:
        raise _refuse("they change the pod's volumes")
    injection.volumes = volumes[len(old_volumes) :]
    return injection


def _slot(
    previous: Any,
    name: str,
    final: list[dict[str, Any]],
    own: dict[str, Any],
    anchors: list[str],
) -> Any:
    """Where an injected init container sits: first, last, before or after an anchor."""
    if isinstance(previous, tuple):
        return previous  # right after an anchor
    names = [c["name"] for c in final]
    following = next((n for n in names[names.index(name) :] if n in own), None)
    if following in anchors:
        return ("before", following)
    if previous == "first" and following == f"{OWN_INIT}-0":
        return "first"
    if following is None:
        return "last"
    raise PolicyError(f'cannot tell where init container "{name}" goes')


def _sysctls(before: Any, after: Any) -> list[dict[str, Any]]:
    """The sysctls appended to the pod's securityContext; nothing else of it may change."""
    before, after = dict(before or {}), dict(after or {})
    old, new = before.pop("sysctls", []), after.pop("sysctls", [])
    if before != after or new[: len(old)] != old:
        raise _refuse("they change spec.securityContext")
    return list(new[len(old) :])


def _container_additions(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """The items appended to an app container's volumeMounts, env and envFrom."""
    others = set(before) | set(after)
    for key in others - set(PER_CONTAINER):
        if before.get(key) != after.get(key):
            raise _refuse(f'they change {key} of container "{after["name"]}"')
    added: dict[str, list[Any]] = {}
    for key in PER_CONTAINER:
        old, new = before.get(key) or [], after.get(key) or []
        if new[: len(old)] != old:
            raise _refuse(f'they change {key} of container "{after["name"]}"')
        if new[len(old) :]:
            added[key] = new[len(old) :]
    return added


def _untargeted(instance: Instance) -> Instance:
    spec = copy.copy(instance.spec)
    spec.targets = []
    return dataclasses.replace(instance, spec=spec)


def compile_injection(configs: ConfigSet) -> Injection:
    """The additions of the configs, the same on two different probes, or PolicyError."""
    # targets only select (the policy's match conditions do it): the probes are every pod's
    configs = ConfigSet([_untargeted(i) for i in configs.instances], configs.files)
    apps, anchors = _names(configs.instances)
    found = []
    for other in (False, True):
        pod = probe_pod(apps, anchors, other)
        found.append(read_injection(pod, webhook_result(configs, pod), anchors))
    first, second = found
    if first != second:
        items = [dataclasses.asdict(i) for i in found]
        for item in items:  # named as in a pod; the items tell more than the record's digests
            item["initContainers"] = [c for run in item.pop("init").values() for c in run]
            item["appContainers"] = {
                ("default" if k == APP else k): v for k, v in item.pop("per_container").items()
            }
            item["record"] = item.pop("record")
        where = first_difference(items[0], items[1])
        raise PolicyError(
            f"what the configs add depends on the pod ({where} changes with the pod's own "
            "values): use the webhook"
        )
    if first.init and not anchors:
        pod = probe_pod(apps, anchors, other=False)
        del pod["spec"]["initContainers"]
        alone = webhook_result(configs, pod)["spec"]["initContainers"]
        placed = [c for run in first.init.values() for c in run]
        if sorted(map(json.dumps, alone)) != sorted(map(json.dumps, placed)):
            raise PolicyError("the init containers change with the pod's own: use the webhook")
        first.init_alone = alone
    return first


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two JSON values first differ, as a path (containers by name)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{path}.{key}".lstrip("."))
    if isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                name = x.get("name") if isinstance(x, dict) else None
                step = f"[name={name}]" if isinstance(name, str) else f"[{index}]"
                return first_difference(x, y, f"{path}{step}")
    return path or "the whole"
