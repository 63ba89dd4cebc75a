"""What is checked in a pod around an injection, beyond what each pattern checks itself.

Before: a pod krm-fn cannot edit safely (fields of the wrong shape, names used twice). After:
conflicts between containers (ports, mounts of missing volumes), what weakens isolation, what the
namespace's enforced Pod Security level rejects, and what the scheduler will reserve. Each
finding names the config that injected the item it is about.
"""

import functools
import json
import re
from typing import Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.editing.record import Entry
from krm_fn.kube.podsecurity import Policy, isolation_annotation, violations
from krm_fn.kube.quantities import effective
from krm_fn.kube.shapes import METADATA, POD_SPEC, problems
from krm_fn.kube.workloads import PodTemplate, all_containers
from krm_fn.manifests.results import Result, Severity

LISTS_OF_NAMED = ("containers", "initContainers", "volumes")


def malformed(pod: PodTemplate) -> list[Result]:
    """Fields shaped unlike what Kubernetes accepts, or names used twice: say where."""
    shape = "must be a list of mappings (with names); krm-fn cannot edit this pod"
    found: list[tuple[str, str]] = []
    for key in LISTS_OF_NAMED:
        value = pod.spec.get(key)
        if value is not None and not (
            isinstance(value, list)
            and all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in value)
        ):
            found.append((f"spec.{key}", shape))
    if not found:
        found += [
            (field, f"{problem}; the API server would reject this")
            for field, problem in (
                *problems(pod.spec, POD_SPEC, "spec"),
                *problems(pod.template.get("metadata"), METADATA, "metadata"),
            )
        ]
    if not found:
        found += _repeated_names(pod, ("containers", "initContainers"), "container")
        found += _repeated_names(pod, ("volumes",), "volume")
    return [Result(message, "error", pod.workload, pod.field(field)) for field, message in found]


def _repeated_names(pod: PodTemplate, keys: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    seen: set[str] = set()
    found = []
    for key in keys:
        for item in pod.spec.get(key) or []:
            if item["name"] in seen:
                message = (
                    f'{what} name "{item["name"]}" is used twice; the cluster rejects this pod'
                )
                found.append((f"spec.{key}[name={item['name']}]", message))
            seen.add(item["name"])
    return found


def conflicts(pod: PodTemplate, editors: list[PodEditor]) -> list[Result]:
    """Conflicts involving what was injected: shared ports, mounts of missing volumes."""
    results = []
    by_name = {
        name: editor
        for editor in editors
        for name in (*editor.entry.containers, *editor.entry.initContainers)
    }
    added_mounts = {
        (c, p) for e in editors for c, paths in e.entry.volumeMounts.items() for p in paths
    }
    spec = pod.spec
    running = [("containers", c) for c in spec.get("containers") or []]
    running += [
        ("initContainers", c)
        for c in spec.get("initContainers") or []
        if c.get("restartPolicy") == "Always"
    ]
    owners: dict[tuple[Any, str], str] = {}
    for key, container in running:
        name = container["name"]
        for port in container.get("ports") or []:
            number = (port.get("containerPort"), str(port.get("protocol", "TCP")))
            other = owners.setdefault(number, name)
            editor = by_name.get(name) or by_name.get(other)
            if other != name and editor is not None:
                message = (
                    f'{editor.kind} "{editor.name}": containers "{other}" and "{name}" both listen '
                    f"on port {number[0]}/{number[1]}; containers of a pod share one network "
                    "namespace"
                )
                field = pod.field(f"spec.{key}[name={name}].ports")
                results.append(Result(message, "error", pod.workload, field, editor.tags))
    volumes = {v.get("name") for v in spec.get("volumes") or []}
    for container in all_containers(spec):
        for mount in container.get("volumeMounts") or []:
            ours = (
                container.get("name") in by_name
                or (container.get("name"), mount.get("mountPath")) in added_mounts
            )
            if mount.get("name") not in volumes and ours:
                results.append(
                    Result(
                        f'container "{container["name"]}" mounts volume "{mount.get("name")}", '
                        "which the pod does not have: add it to the pattern's volumes",
                        "error",
                        pod.workload,
                        pod.field("spec.volumes"),
                    )
                )
    return results


# What an entry may change without touching anything weakened_isolation looks at: env,
# mounts, args, labels (a Service's ports are not the pod's). Every change goes through the
# pod editor, which records it in the entry.
ISOLATION_NEUTRAL = frozenset(
    ("volumeMounts", "env", "envFrom", "args", "labels", "envWas", "ports", "portsWas")
)


def may_weaken_isolation(entry: Entry) -> bool:
    """Whether what an entry records could weaken the pod's isolation (else: no check needed)."""
    for name, value in entry.__dict__.items():
        if not value or name in ISOLATION_NEUTRAL:
            continue
        if name != "annotations" or any(isolation_annotation(key) for key in value):
            return True
    return False


def isolation_warnings(
    pod: PodTemplate, editor: PodEditor, weakened: set[tuple[str, str]], policy: Policy | None
) -> list[Result]:
    """A warning for everything an instance did that weakens the pod's isolation.

    Not where the namespace enforces a Pod Security level that rejects it: that is an error.
    """
    if policy and weakened:
        metadata = pod.template.get("metadata") or {}
        weakened -= set(violations(pod.spec, policy.level, metadata, policy.version))
    results = []
    warned = {r.field for r in editor.results if r.severity == "warning"}
    for field, problem in sorted(weakened):
        container = field.partition("[name=")[2].partition("]")[0]
        if (container and container in editor.accepted_privilege) or pod.field(field) in warned:
            continue  # its pattern has warned already, saying why
        message = (
            f'{editor.kind} "{editor.name}": weakens isolation: {field} {problem} '
            '(the Pod Security "restricted" profile rejects it)'
        )
        if field == "spec.shareProcessNamespace" or "seccomp.security" in field:
            message = f'{editor.kind} "{editor.name}": weakens isolation: {field}: {problem}'
        results.append(Result(message, "warning", pod.workload, pod.field(field), editor.tags))
    return results


def pod_security(
    pod: PodTemplate, namespace: str, enforced: dict[str, Policy], editors: list[PodEditor]
) -> list[Result]:
    """Errors for what the namespace's enforced Pod Security level (at its version) would reject.

    Each names the config that injected the item; a problem of the app's own containers, none.
    """
    results = []
    policy = enforced.get(namespace)
    metadata = pod.template.get("metadata") or {}
    if policy is not None and policy.level in ("baseline", "restricted"):
        for field, problem in violations(pod.spec, policy.level, metadata, policy.version):
            message = (
                f'namespace "{namespace}" enforces Pod Security {policy.describe()}: {problem}'
            )
            editor = _injector(field, editors)
            if editor is None:
                results.append(Result(message, "error", pod.workload, pod.field(field)))
                continue
            message = f'{editor.kind} "{editor.name}": {message}'
            results.append(Result(message, "error", pod.workload, pod.field(field), editor.tags))
    return results


def _injector(field: str, editors: list[PodEditor]) -> PodEditor | None:
    """The editor whose config injected the container or volume a field path names."""
    match = re.match(r"spec\.(containers|initContainers|volumes)\[name=([^\]]+)\]", field)
    if match is None:
        return None
    section, name = match.groups()
    for editor in editors:
        if editor.entry and name in getattr(editor.entry, section):
            return editor
    return None


def changes_resources(entry: Entry) -> bool:
    """Whether an injection changes what the pod reserves (containers, or their resources)."""
    return bool(
        entry.containers
        or entry.initContainers
        or any("resources" in fields for fields in entry.fieldsWas.values())
    )


def effective_resources(pod: PodTemplate) -> list[Result]:
    """What the scheduler will reserve for the pod, now that krm-fn changed it."""
    spec = pod.spec
    # what the amounts depend on (malformed() checked that containers are mappings): pods of
    # one shape injected by one config share the message, computed once
    depends_on = {
        "containers": [{"resources": c.get("resources")} for c in spec.get("containers") or []],
        "initContainers": [
            {k: c.get(k) for k in ("name", "restartPolicy", "resources")}
            for c in spec.get("initContainers") or []
        ],
        "overhead": spec.get("overhead"),
        "resources": spec.get("resources"),
    }
    try:
        key = json.dumps(depends_on, sort_keys=True)
    except (TypeError, ValueError):  # keys of mixed types: not worth remembering
        severity, message = _resources_message(depends_on)
    else:
        severity, message = _remembered_resources_message(key)
    return [Result(message, severity, pod.workload, pod.field("spec"))]


@functools.lru_cache(maxsize=1024)
def _remembered_resources_message(key: str) -> tuple[Severity, str]:
    return _resources_message(json.loads(key))


def _resources_message(spec: dict[str, Any]) -> tuple[Severity, str]:
    try:
        requests, limits = effective(spec, "requests"), effective(spec, "limits")
    except ValueError as err:
        return "error", str(err)
    message = f"effective pod requests: {requests.describe()}; limits: {limits.describe()}"
    dominated = requests.dominated_by_init()
    if dominated:
        by = ", ".join(f"{n} by init container {c}" for n, c in sorted(dominated.items()))
        message += f" (requests set by init containers: {by})"
    return "info", message
