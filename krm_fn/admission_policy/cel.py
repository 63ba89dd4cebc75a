"""The CEL: JSON values as literals, the guards that keep it exact, targets, the mutation."""

import itertools
import json
from dataclasses import dataclass
from typing import Any

from krm_fn.admission_policy.probe import APP, Injection
from krm_fn.editing.pod_editor import DEFAULT_CONTAINER_ANNOTATION
from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.engine.admission import CONTAINER_LISTS, MAX_CONTAINERS

RESOURCES_ANNOTATION_PREFIX = "krm-fn.dev/resources-"


def quoted(text: str) -> str:
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
    return quoted(str(value))


def pointer(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) to the parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def patch(op: str, path: str, value: str) -> str:
    """A CEL JSONPatch operation; `path` and `value` are CEL expressions."""
    return f"JSONPatch{{op: {quoted(op)}, path: {path}, value: {value}}}"


HAS_INIT = "has(object.spec.initContainers)"
INIT_PATH = '"/spec/initContainers"'  # as CEL strings
VOLUMES_PATH = '"/spec/volumes"'
CONTEXT_PATH = '"/spec/securityContext"'
SYSCTLS_PATH = '"/spec/securityContext/sysctls"'
INIT = f"({HAS_INIT} ? object.spec.initContainers : [])"
HAS_ANNOTATIONS = "has(object.metadata.annotations)"


def annotation(key: str) -> str:
    """CEL: the pod has this annotation."""
    return f"({HAS_ANNOTATIONS} && {quoted(key)} in object.metadata.annotations)"


def has_label(key: str) -> str:
    """CEL: the pod has this label."""
    return f"(has(object.metadata.labels) && {quoted(key)} in object.metadata.labels)"


def named_in(items: str, name: str) -> str:
    """CEL: the list `items` has an item named `name`."""
    return f"{items}.exists(c, c.name == {quoted(name)})"


DEFAULT_APP = (
    f"{annotation(DEFAULT_CONTAINER_ANNOTATION)} && "
    f"object.spec.containers.exists(c, c.name == "
    f"object.metadata.annotations[{quoted(DEFAULT_CONTAINER_ANNOTATION)}]) ? "
    f"object.spec.containers.map(c, c.name).indexOf("
    f"object.metadata.annotations[{quoted(DEFAULT_CONTAINER_ANNOTATION)}]) : 0"
)


DEFAULT_APP_VARIABLE = "defaultApp"  # the mutating policy's variable holding DEFAULT_APP


def index_of(name: str, inline: bool = True) -> str:
    """The index of the app container `name` (APP: the default container).

    Match conditions see no variables: they get the expression inline; a mutation gets the
    variable, which the API server evaluates once per pod.
    """
    if name == APP:
        return f"({DEFAULT_APP})" if inline else f"variables.{DEFAULT_APP_VARIABLE}"
    return f"object.spec.containers.map(c, c.name).indexOf({quoted(name)})"


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
    order = [f"{INIT}.map(c, c.name).indexOf({quoted(a)})" for a in injection.anchors]
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
        used = f"{container}.volumeMounts.exists(m, m.mountPath == {quoted(path)})"
        guard = f"!{present} || !(has({container}.volumeMounts) && {used})"
        message = f"mountPath {path} is already used in {label}"
        found.append(Guard(f"mount-{app}-{number}", guard, message))
    for number, env in enumerate(fields.get("env", [])):
        used = f"{container}.env.exists(e, e.name == {quoted(env['name'])})"
        guard = f"!{present} || !(has({container}.env) && {used})"
        message = f"env {env['name']} is already set in {label}"
        found.append(Guard(f"env-{app}-{number}", guard, message))
    if fields.get("envFrom"):
        guard = f"!{present} || !has({container}.envFrom)"
        found.append(Guard(f"envfrom-{app}", guard, f"{label} has envFrom of its own"))
    return found


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
            terms.append(f"{values[field_name]}.matches({quoted(f'^(?:{pattern})$')})")
    return "(" + (" && ".join(terms) or "true") + ")"


def _selector_terms(target: Any) -> list[str]:
    """CEL: the target's namespace regex, and its selectors on the pod's labels and annotations."""
    from krm_fn.kube.selection import parse_selector

    terms = []
    if target.namespace is not None:
        terms.append(f"request.namespace.matches({quoted(f'^(?:{target.namespace})$')})")
    for text, key in (
        (target.label_selector, "labels"),
        (target.annotation_selector, "annotations"),
    ):
        for requirement in parse_selector(text or ""):
            held = f"object.metadata.{key}"
            present = f"(has({held}) && {quoted(requirement.key)} in {held})"
            if requirement.operator in ("exists", "!exists"):
                terms.append(present if requirement.operator == "exists" else f"!{present}")
                continue
            values = "[" + ", ".join(quoted(v) for v in sorted(requirement.values)) + "]"
            inside = f"({present} && {held}[{quoted(requirement.key)}] in {values})"
            terms.append(inside if requirement.operator == "in" else f"!{inside}")
    return terms


def record_text(injection: Injection, inline: bool = True) -> str:
    """The record as a CEL string: the default container's real name in place of APP."""
    parts = injection.record.split(quoted(APP))
    name = f"object.spec.containers[{index_of(APP, inline)}].name"
    return f' + "\\"" + {name} + "\\"" + '.join(quoted(p) for p in parts)


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
                record_text(injection, inline=False)
                if value == "RECORD" and name == RECORD_ANNOTATION
                else quoted(value)
            )
            items.append((name, text))
        whole = "{" + ", ".join(f"{quoted(n)}: {t}" for n, t in items) + "}"
        one_by_one = " + ".join(
            f"[{patch('add', quoted(pointer('metadata', key, n)), t)}]" for n, t in items
        )
        conditional.append(
            f"(has(object.metadata.{key}) ? {one_by_one} : "
            f"[{patch('add', quoted(pointer('metadata', key)), whole)}])"
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
        index = index_of(app, inline=False)
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
        at = f"{INIT}.map(c, c.name).indexOf({quoted(anchor)})"
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
