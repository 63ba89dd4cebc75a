"""Admission without a server: configs compiled to a MutatingAdmissionPolicy (v1).

The API server applies the policy itself (CEL, no webhook to call). It must give a pod exactly
what `krm-fn webhook` gives it, so nothing here re-implements a pattern: the compiler runs the
webhook's own answer (webhook/admission.py) on probe pods, reads off what the configs add, and
checks on a second, different probe that the additions do not depend on the pod. What compiles
is what only adds: containers, init containers at their position, volumes, and mounts, env and
envFrom in the app containers, labels and annotations, and the record, whose digests are known
when compiling. A config that changes what the pod has (ports, probes, args, a preStop hook,
pod fields) or generates resources is refused, naming the config and the change.

The CEL is exact only for pods without conflicts (a name the injection uses already taken, a
mount path in use, a position's init container missing...), where the webhook would deny or
keep the pod's own value. For those the policy injects nothing, and a ValidatingAdmissionPolicy
beside it denies the pod with the reason: a pod is injected exactly as by the webhook, or
refused, never admitted different. docs/admission-policy.md has the whole story.
"""

import argparse
import copy
import dataclasses
import itertools
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from krm_fn.configfiles import ConfigDirError, ConfigSet, load_config_files
from krm_fn.editing.pod_editor import DEFAULT_CONTAINER_ANNOTATION, OPT_OUT_ANNOTATION
from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.engine.admission import CONTAINER_LISTS, MAX_CONTAINERS, admission_problem, inject
from krm_fn.engine.config import Instance

API_VERSION = "admissionregistration.k8s.io/v1"
RESOURCES_ANNOTATION_PREFIX = "krm-fn.dev/resources-"
DEFAULT_NAMESPACE_LABEL = ("krm-fn.dev/admission-policy", "enabled")
EXCLUDED_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")
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


# probing ----------------------------------------------------------------------------------


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


# CEL ----------------------------------------------------------------------------------------


def _quoted(text: str) -> str:
    """A CEL string literal: JSON's quoting, non-ASCII as it is (CEL refuses surrogate escapes)."""
    return json.dumps(text, ensure_ascii=False)


def cel(value: Any) -> str:
    """A JSON value as a CEL literal the API server turns back into the same JSON.

    Every map value and list item is wrapped in dyn(): Kubernetes' CEL refuses literals of mixed
    types, and dyn() values marshal as plain JSON.
    """
    if isinstance(value, dict):
        return "{" + ", ".join(f"{cel(str(k))}: dyn({cel(v)})" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(f"dyn({cel(v)})" for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return _quoted(str(value))


def pointer(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) to the parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def patch(op: str, path: str, value: str) -> str:
    """A CEL JSONPatch operation; `path` and `value` are CEL expressions."""
    return f"JSONPatch{{op: {_quoted(op)}, path: {path}, value: {value}}}"


HAS_INIT = "has(object.spec.initContainers)"
INIT_PATH = '"/spec/initContainers"'  # as CEL strings
VOLUMES_PATH = '"/spec/volumes"'
CONTEXT_PATH = '"/spec/securityContext"'
SYSCTLS_PATH = '"/spec/securityContext/sysctls"'
INIT = f"({HAS_INIT} ? object.spec.initContainers : [])"
HAS_ANNOTATIONS = "has(object.metadata.annotations)"


def annotation(key: str) -> str:
    """CEL: the pod has this annotation."""
    return f"({HAS_ANNOTATIONS} && {_quoted(key)} in object.metadata.annotations)"


def has_label(key: str) -> str:
    """CEL: the pod has this label."""
    return f"(has(object.metadata.labels) && {_quoted(key)} in object.metadata.labels)"


def named_in(items: str, name: str) -> str:
    """CEL: the list `items` has an item named `name`."""
    return f"{items}.exists(c, c.name == {_quoted(name)})"


DEFAULT_APP = (
    f"{annotation(DEFAULT_CONTAINER_ANNOTATION)} && "
    f"object.spec.containers.exists(c, c.name == "
    f"object.metadata.annotations[{_quoted(DEFAULT_CONTAINER_ANNOTATION)}]) ? "
    f"object.spec.containers.map(c, c.name).indexOf("
    f"object.metadata.annotations[{_quoted(DEFAULT_CONTAINER_ANNOTATION)}]) : 0"
)


def index_of(name: str) -> str:
    """The index of the app container `name` (APP: the default container)."""
    if name == APP:
        return f"({DEFAULT_APP})"  # inline: match conditions see no variables
    return f"object.spec.containers.map(c, c.name).indexOf({_quoted(name)})"


@dataclass
class Guard:
    """A condition for the CEL to be exact, and what the webhook does where it fails.

    `error`: the webhook refuses such a pod (or, with `onError: admit`, admits it unchanged);
    otherwise it injects what CEL cannot (it keeps the pod's own value, shares a volume, reads
    an annotation), so the policy must refuse the pod.
    """

    name: str
    expression: str
    message: str
    error: bool = False


def guards(injection: Injection) -> list[Guard]:
    """What must hold for the CEL to give what the webhook gives: no conflict."""
    found: list[Guard] = []
    counted = " + ".join(
        f"(has(object.spec.{key}) ? size(object.spec.{key}) : 0)" for key in CONTAINER_LISTS
    )
    message = f"the pod has more containers than the webhook answers ({MAX_CONTAINERS:,})"
    found.append(Guard("size", f"{counted} <= {MAX_CONTAINERS}", message))
    containers = [c["name"] for c in injection.containers]
    containers += [c["name"] for items in injection.init.values() for c in items]
    for index, name in enumerate(containers):
        taken = f"{named_in('object.spec.containers', name)} || {named_in(INIT, name)}"
        message = f'container name "{name}" is already used in this pod'
        found.append(Guard(f"container-{index}", f"!({taken})", message, error=True))
        key = f"{RESOURCES_ANNOTATION_PREFIX}{name}"
        message = f"annotation {key} (resources of an injected container) needs the webhook"
        found.append(Guard(f"resources-{index}", f"!{annotation(key)}", message))
    for index, volume in enumerate(injection.volumes):
        taken = named_in("object.spec.volumes", volume["name"])
        message = f'volume "{volume["name"]}" is already in this pod'
        found.append(Guard(f"volume-{index}", f"!(has(object.spec.volumes) && {taken})", message))
    for index, anchor in enumerate(injection.anchors):
        message = f'the position names init container "{anchor}", which this pod does not have'
        found.append(Guard(f"anchor-{index}", named_in(INIT, anchor), message, error=True))
    order = [f"{INIT}.map(c, c.name).indexOf({_quoted(a)})" for a in injection.anchors]
    if len(order) > 1:
        ascending = " && ".join(f"{a} < {b}" for a, b in itertools.pairwise(order))
        message = (
            "the init containers the positions name are in another order than the admission "
            "policy was compiled for"
        )
        found.append(Guard("anchor-order", ascending, message))
    for app, fields in injection.per_container.items():
        found += _container_guards(app, fields)
    for index, sysctl in enumerate(injection.sysctls):
        listed = "object.spec.securityContext.sysctls"
        used = (
            f"has(object.spec.securityContext) && has({listed}) && "
            f"{named_in(listed, sysctl['name'])}"
        )
        message = f"sysctl {sysctl['name']} is already set in this pod"
        found.append(Guard(f"sysctl-{index}", f"!({used})", message))
    for key in injection.labels:
        found.append(Guard(f"label-{key}", f"!{has_label(key)}", f"label {key} is already set"))
    for key in injection.annotations:
        message = f"annotation {key} is already set"
        found.append(Guard(f"annotation-{key}", f"!{annotation(key)}", message))
    return found


def _container_guards(app: str, fields: dict[str, list[Any]]) -> list[Guard]:
    """No mount path, env variable or envFrom of the injection already in an app container."""
    label = "the default container" if app == APP else f'container "{app}"'
    present = "true" if app == APP else named_in("object.spec.containers", app)
    found = []
    if app != APP:
        message = f"{label} is not in this pod"
        found.append(Guard(f"app-{app}", present, message, error=True))
    container = f"object.spec.containers[{index_of(app)}]"
    for number, mount in enumerate(fields.get("volumeMounts", [])):
        path = mount["mountPath"]
        used = f"{container}.volumeMounts.exists(m, m.mountPath == {_quoted(path)})"
        guard = f"!{present} || !(has({container}.volumeMounts) && {used})"
        message = f"mountPath {path} is already used in {label}"
        found.append(Guard(f"mount-{app}-{number}", guard, message))
    for number, env in enumerate(fields.get("env", [])):
        used = f"{container}.env.exists(e, e.name == {_quoted(env['name'])})"
        guard = f"!{present} || !(has({container}.env) && {used})"
        message = f"env {env['name']} is already set in {label}"
        found.append(Guard(f"env-{app}-{number}", guard, message))
    if fields.get("envFrom"):
        guard = f"!{present} || !has({container}.envFrom)"
        found.append(Guard(f"envfrom-{app}", guard, f"{label} has envFrom of its own"))
    return found


def _target_fields(instance: Instance) -> list[dict[str, Any]]:
    from krm_fn.kube.selection import Selector

    return [{f: getattr(t, f) for f in Selector.__annotations__} for t in instance.spec.targets]


def target_condition(targets: list[Any]) -> str:
    """CEL: some target selects the pod, as the webhook selects it; "" without targets.

    As krm_fn.kube.workloads.owners: through the pod itself, its controller, or the Deployment
    or CronJob the controller's name tells; label and annotation selectors on the pod's own.
    """
    if not targets:
        return ""
    pod = {
        "group": '""',
        "version": '"v1"',
        "kind": '"Pod"',
        "name": '(has(object.metadata.name) ? object.metadata.name : "")',
    }
    owner = {
        "group": '(o.apiVersion.lastIndexOf("/") >= 0 ? '
        'o.apiVersion.substring(0, o.apiVersion.lastIndexOf("/")) : "")',
        "version": 'o.apiVersion.substring(o.apiVersion.lastIndexOf("/") + 1)',
        "kind": "o.kind",
        "name": "o.name",
    }
    template_hash = 'object.metadata.labels["pod-template-hash"]'
    deployment = {
        "group": '"apps"',
        "version": '"v1"',
        "kind": '"Deployment"',
        "name": f"o.name.substring(0, size(o.name) - size({template_hash}) - 1)",
    }
    cronjob = {
        "group": '"batch"',
        "version": '"v1"',
        "kind": '"CronJob"',
        "name": 'o.name.substring(0, o.name.lastIndexOf("-"))',
    }
    controllers = (
        "(has(object.metadata.ownerReferences) ? object.metadata.ownerReferences : [])"
        ".exists(o, has(o.controller) && o.controller && "
    )
    made_by_deployment = (
        f'o.kind == "ReplicaSet" && {has_label("pod-template-hash")} && '
        f'{template_hash} != "" && o.name.endsWith("-" + {template_hash})'
    )
    made_by_cronjob = 'o.kind == "Job" && o.name.matches("^.+-[0-9]+$")'
    either = []
    for target in targets:
        common = _selector_terms(target)
        forms = [
            _candidate(target, pod, common),
            f"{controllers}{_candidate(target, owner, common)})",
            f"{controllers}{made_by_deployment} && {_candidate(target, deployment, common)})",
            f"{controllers}{made_by_cronjob} && {_candidate(target, cronjob, common)})",
        ]
        either.append("(" + " || ".join(forms) + ")")
    return " || ".join(either)


def _candidate(target: Any, values: dict[str, str], common: list[str]) -> str:
    """CEL: the target's regexes match these values (CEL expressions), and the common terms."""
    terms = list(common)
    for field_name in ("group", "version", "kind", "name"):
        pattern = getattr(target, field_name)
        if pattern is not None:
            terms.append(f"{values[field_name]}.matches({_quoted(f'^(?:{pattern})$')})")
    return "(" + (" && ".join(terms) or "true") + ")"


def _selector_terms(target: Any) -> list[str]:
    """CEL: the target's namespace regex, and its selectors on the pod's labels and annotations."""
    from krm_fn.kube.selection import parse_selector

    terms = []
    if target.namespace is not None:
        terms.append(f"request.namespace.matches({_quoted(f'^(?:{target.namespace})$')})")
    for text, key in (
        (target.label_selector, "labels"),
        (target.annotation_selector, "annotations"),
    ):
        for requirement in parse_selector(text or ""):
            held = f"object.metadata.{key}"
            present = f"(has({held}) && {_quoted(requirement.key)} in {held})"
            if requirement.operator in ("exists", "!exists"):
                terms.append(present if requirement.operator == "exists" else f"!{present}")
                continue
            values = "[" + ", ".join(_quoted(v) for v in sorted(requirement.values)) + "]"
            inside = f"({present} && {held}[{_quoted(requirement.key)}] in {values})"
            terms.append(inside if requirement.operator == "in" else f"!{inside}")
    return terms


def record_text(injection: Injection) -> str:
    """The record as a CEL string: the default container's real name in place of APP."""
    quoted = _quoted(APP)
    parts = injection.record.split(quoted)
    name = f"object.spec.containers[{index_of(APP)}].name"
    return f' + "\\"" + {name} + "\\"" + '.join(_quoted(p) for p in parts)


def mutations(injection: Injection) -> str:
    """The CEL list of JSON patch operations, in an order where every index is final."""
    ops: list[str] = []
    conditional: list[str] = []
    metadata = {
        "labels": injection.labels,
        "annotations": {**injection.annotations, RECORD_ANNOTATION: "RECORD"},
    }
    for key, values in metadata.items():
        if not values:
            continue
        items = []
        for name, value in values.items():
            text = (
                record_text(injection)
                if value == "RECORD" and name == RECORD_ANNOTATION
                else _quoted(value)
            )
            items.append((name, text))
        whole = "{" + ", ".join(f"{_quoted(n)}: {t}" for n, t in items) + "}"
        one_by_one = " + ".join(
            f"[{patch('add', _quoted(pointer('metadata', key, n)), t)}]" for n, t in items
        )
        conditional.append(
            f"(has(object.metadata.{key}) ? {one_by_one} : "
            f"[{patch('add', _quoted(pointer('metadata', key)), whole)}])"
        )
    if injection.init:
        conditional.append(f"({HAS_INIT} ? [] : [{patch('add', INIT_PATH, '[]')}])")
        conditional += _init_ops(injection)
    for container in injection.containers:
        ops.append(patch("add", '"/spec/containers/-"', cel(container)))
    if injection.volumes:
        conditional.append(
            f"(has(object.spec.volumes) ? [] : [{patch('add', VOLUMES_PATH, '[]')}])"
        )
        ops += [patch("add", '"/spec/volumes/-"', cel(v)) for v in injection.volumes]
    if injection.sysctls:
        context = "object.spec.securityContext"
        conditional.append(
            f"(!has({context}) ? [{patch('add', CONTEXT_PATH, '{}')}] : []) + "
            f"(!has({context}) || !has({context}.sysctls) ? "
            f"[{patch('add', SYSCTLS_PATH, '[]')}] : [])"
        )
        path = f'{SYSCTLS_PATH[:-1]}/-"'
        ops += [patch("add", path, cel(sysctl)) for sysctl in injection.sysctls]
    for app, fields in injection.per_container.items():
        index = index_of(app)
        for key, items in fields.items():
            path = f'"/spec/containers/" + string({index}) + "/{key}"'
            conditional.append(
                f"(has(object.spec.containers[{index}].{key}) ? [] : [{patch('add', path, '[]')}])"
            )
            ops += [patch("add", f'{path} + "/-"', cel(item)) for item in items]
    parts = [*conditional, f"[{', '.join(ops)}]"] if ops else conditional
    return " +\n".join(parts)


def _init_ops(injection: Injection) -> list[str]:
    """Init containers inserted at their final index, first to last."""
    ops: list[str] = []
    inserted = 0  # injected init containers placed before the current slot
    slots: list[tuple[Any, str]] = [("first", "0")]
    for anchor in injection.anchors:
        at = f"{INIT}.map(c, c.name).indexOf({_quoted(anchor)})"
        slots += [(("before", anchor), at), (("after", anchor), f"({at} + 1)")]
    slots.append(("last", f"size({INIT})"))
    for key, own_before in slots:
        for container in injection.init.get(key, []):
            index = f"string({own_before} + {inserted})"
            path = f'{INIT_PATH[:-1]}/" + {index}'
            ops.append(f"[{patch('add', path, cel(container))}]")
            inserted += 1
    if not injection.init_alone:
        return ops
    alone = [patch("add", f'{INIT_PATH[:-1]}/-"', cel(c)) for c in injection.init_alone]
    return [f"(size({INIT}) == 0 ? [{', '.join(alone)}] : {' + '.join(ops)})"]


def policies(
    injection: Injection,
    name: str,
    instances: list[Instance],
    namespace_labels: dict[str, str],
) -> list[dict[str, Any]]:
    """The MutatingAdmissionPolicy, the ValidatingAdmissionPolicy, and their bindings.

    The validating one refuses what the mutating one cannot inject exactly.
    """
    opt_out = {bool(getattr(i.spec, "pod_opt_out", True)) for i in instances}
    if len(opt_out) > 1:
        raise PolicyError("the configs disagree on podOptOut: compile them apart")
    conditions = []
    targets = {json.dumps(_target_fields(i), sort_keys=True) for i in instances}
    if len(targets) > 1:
        raise PolicyError("the configs select different targets: compile them apart")
    selected = target_condition(instances[0].spec.targets)
    if selected:
        conditions.append({"name": "targets", "expression": selected})
    if opt_out == {True}:
        key = _quoted(OPT_OUT_ANNOTATION)
        conditions.append(
            {
                "name": "not-opted-out",
                "expression": f"!({annotation(OPT_OUT_ANNOTATION)} && "
                f"object.metadata.annotations[{key}].lowerAscii() == 'false')",
            }
        )
    rules = [
        {"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}
    ]
    on_error = {getattr(i.spec, "on_error", "deny") for i in instances}
    if len(on_error) > 1:
        raise PolicyError("the configs disagree on onError: compile them apart")
    checks = guards(injection)
    # with onError: admit the webhook admits a pod it cannot inject unchanged, as the policy
    # does when a match condition fails; what it would inject differently is refused anyway
    refused = [g for g in checks if not (g.error and on_error == {"admit"})]
    mutating = _object(
        "MutatingAdmissionPolicy",
        name,
        {
            "matchConstraints": {"resourceRules": rules},
            "failurePolicy": "Fail",
            "reinvocationPolicy": "IfNeeded",
            "matchConditions": [
                *conditions,
                {"name": "not-injected", "expression": f"!{annotation(RECORD_ANNOTATION)}"},
                *({"name": g.name, "expression": g.expression} for g in checks),
            ],
            "mutations": [
                {"patchType": "JSONPatch", "jsonPatch": {"expression": mutations(injection)}}
            ],
        },
    )
    record = f"object.metadata.annotations[{_quoted(RECORD_ANNOTATION)}]"
    ours = f"{record} == ({record_text(injection)})"
    validating = _object(
        "ValidatingAdmissionPolicy",
        name,
        {
            "matchConstraints": {"resourceRules": rules},
            "failurePolicy": "Fail",
            "matchConditions": [
                *conditions,
                {
                    "name": "not-injected-by-it",
                    "expression": f"!({annotation(RECORD_ANNOTATION)} && {ours})",
                },
            ],
            "validations": [
                {
                    "expression": f"!{annotation(RECORD_ANNOTATION)}",
                    "message": f"krm-fn: the pod carries {RECORD_ANNOTATION} of other configs, "
                    "which the admission policy cannot update: rebuild its template or use the "
                    "webhook",
                },
                *(
                    {
                        "expression": g.expression,
                        "message": f"krm-fn: {g.message} (the admission policy injects "
                        "only pods without conflicts; the webhook says more)",
                    }
                    for g in refused
                ),
            ],
        },
    )
    selector = {
        "matchLabels": namespace_labels,
        "matchExpressions": [
            {
                "key": "kubernetes.io/metadata.name",
                "operator": "NotIn",
                "values": list(EXCLUDED_NAMESPACES),
            }
        ],
    }
    binding = {"policyName": name, "matchResources": {"namespaceSelector": selector}}
    return [
        mutating,
        _object("MutatingAdmissionPolicyBinding", name, binding),
        validating,
        _object(
            "ValidatingAdmissionPolicyBinding", name, {**binding, "validationActions": ["Deny"]}
        ),
    ]


def _object(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    """An admissionregistration.k8s.io/v1 object of krm-fn's."""
    metadata = {"name": name, "labels": {"app.kubernetes.io/managed-by": "krm-fn"}}
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def compile_policies(
    configs: ConfigSet, name: str = "krm-fn", namespace_labels: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The policies and bindings that inject `configs` at admission, or PolicyError."""
    for instance in configs.instances:  # say which config does not compile, when one does not
        try:
            compile_injection(ConfigSet([instance], configs.files))
        except PolicyError as err:
            where = configs.files.get(instance.key, "")
            prefix = f"{where}: " if where else ""
            if str(err).startswith(instance.key):
                raise PolicyError(f"{prefix}{err}") from None
            raise PolicyError(f"{prefix}{instance.key}: {err}") from None
    injection = compile_injection(configs)
    labels = namespace_labels or dict([DEFAULT_NAMESPACE_LABEL])
    return policies(injection, name, configs.instances, labels)


def main(argv: Sequence[str], stdout: TextIO, stderr: TextIO) -> int:
    """`krm-fn admission-policy CONFIG... [-o FILE] [--name NAME] [--namespace-label K=V]`."""
    from krm_fn.manifests.yamlio import dump_all

    parser = argparse.ArgumentParser(
        prog="krm-fn admission-policy",
        description="Compile configs to a MutatingAdmissionPolicy the API server applies "
        "itself, with the ValidatingAdmissionPolicy that refuses what it cannot inject exactly, "
        "and their bindings (docs/admission-policy.md).",
    )
    parser.add_argument("configs", nargs="+", metavar="CONFIG", help="config files, in order")
    parser.add_argument("-o", "--output", metavar="FILE", help="write here, not to stdout")
    parser.add_argument("--name", default="krm-fn", help="the policies' name (default krm-fn)")
    parser.add_argument(
        "--namespace-label",
        metavar="KEY=VALUE",
        action="append",
        help="namespaces with this label get the injection "
        f"(default {'='.join(DEFAULT_NAMESPACE_LABEL)}; repeat: all of them)",
    )
    try:
        options = parser.parse_args(list(argv))
    except SystemExit as exit:
        return int(exit.code or 0)
    labels: dict[str, str] = {}
    for pair in options.namespace_label or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            print(f"krm-fn admission-policy: --namespace-label {pair!r}: KEY=VALUE", file=stderr)
            return 2
        labels[key] = value
    try:
        named = [(path, path) for path in options.configs]
        configs = load_config_files(named, admission_problem)
        documents = compile_policies(configs, options.name, labels or None)
    except (ConfigDirError, PolicyError) as err:
        print(f"krm-fn admission-policy: {err}", file=stderr)
        return 1
    names = " ".join(options.configs)
    text = f"# Made by `krm-fn admission-policy {names}`: make it again after a change.\n"
    text += dump_all(documents)
    if options.output:
        with open(options.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        stdout.write(text)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:], sys.stdout, sys.stderr))
