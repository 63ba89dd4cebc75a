"""The one core: apply pattern instances to resources. No I/O; every caller is a thin wrapper."""

import posixpath
from typing import Any

from krm_fn.config import Instance
from krm_fn.podsecurity import ENFORCE_LABEL, violations
from krm_fn.podspec import (
    OPT_OUT_ANNOTATION,
    Entry,
    PodEditor,
    all_containers,
    read_record,
    undo,
    write_record,
)
from krm_fn.resources import effective
from krm_fn.results import PATH_ANNOTATIONS, Result, describe
from krm_fn.selection import selects
from krm_fn.services import ServiceIndex, is_service, undo_service
from krm_fn.workloads import PodTemplate, pod_templates
from krm_fn.yamlio import clone

LOCAL_CONFIG = "config.kubernetes.io/local-config"
GENERATED_BY = "krm-fn.dev/generated-by"
INDEX_ANNOTATIONS = ("internal.config.kubernetes.io/index", "config.kubernetes.io/index")
TOOL_PREFIXES = (
    "config.kubernetes.io/",
    "internal.config.kubernetes.io/",
    "config.k8s.io/",
    "kustomize.config.k8s.io/",
)


def passes_through(resource: dict[str, Any]) -> bool:
    """Kptfiles, local-config items and krm-fn configs are never changed."""
    annotations = (resource.get("metadata") or {}).get("annotations") or {}
    api_version = str(resource.get("apiVersion", ""))
    return str(annotations.get(LOCAL_CONFIG, "")).lower() == "true" or api_version.startswith(
        ("kpt.dev/", "krm-fn.dev/")
    )


def identity(resource: dict[str, Any]) -> tuple[str, str, str, str]:
    """apiVersion, kind, namespace, name."""
    meta = resource.get("metadata") or {}
    return (
        str(resource.get("apiVersion")),
        str(resource.get("kind")),
        str(meta.get("namespace") or ""),
        str(meta.get("name")),
    )


def _flatten(items: list[Any]) -> list[dict[str, Any]]:
    """Items, with the items of v1 Lists in their place."""
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("kind") == "List" and isinstance(item.get("items"), list):
            out += _flatten(item["items"])
        else:
            out.append(item)
    return out


def apply(items: list[Any], instances: list[Instance]) -> list[Result]:
    """Apply every instance, in order, to the workloads of `items` (changed in place)."""
    return _Run(items, instances).run()


class _Run:
    """One application of a config to a list of items."""

    def __init__(self, items: list[Any], instances: list[Instance]) -> None:
        self.items = items
        self.instances = instances
        self.keys = [i.key for i in instances]
        self.results: list[Result] = []
        resources = [r for r in _flatten(items) if not passes_through(r)]
        self.workloads = resources
        self.services = [r for r in resources if is_service(r)]
        self.service_index = ServiceIndex(self.services)
        self.by_identity = {identity(r): r for r in _flatten(items)}
        # what this config generated last time; whatever it does not generate again goes
        keys = set(self.keys)
        self.stale = {identity(r): r for r in resources if self._generated_by(r) in keys}
        self.generated: dict[tuple[str, str, str, str], dict[str, Any]] = {}
        self.enforced = {
            str((r.get("metadata") or {}).get("name")): str(
                ((r.get("metadata") or {}).get("labels") or {}).get(ENFORCE_LABEL)
            )
            for r in resources
            if r.get("kind") == "Namespace"
            and ENFORCE_LABEL in ((r.get("metadata") or {}).get("labels") or {})
        }
        # a run is all or nothing: what it changes is saved first, and restored on any error
        self.items_before = list(items)
        self.saved: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}

    def _save(self, resource: dict[str, Any]) -> None:
        if id(resource) not in self.saved:
            self.saved[id(resource)] = (resource, clone(resource))

    def _rollback(self) -> None:
        for resource, saved in self.saved.values():
            resource.clear()
            resource.update(saved)
        self.items[:] = self.items_before

    @staticmethod
    def _generated_by(resource: dict[str, Any]) -> Any:
        return ((resource.get("metadata") or {}).get("annotations") or {}).get(GENERATED_BY)

    def run(self) -> list[Result]:
        for service in self.services:
            try:
                self._undo_service(service)
            except (AttributeError, TypeError, KeyError, ValueError) as err:
                self.results.append(_shape_error(service, "spec", err))
        matched: set[str] = set()
        custom_paths = [p for i in self.instances for p in i.spec.pod_template_paths]
        for resource in self.workloads:
            if self._generated_by(resource) is not None:
                continue
            for pod in pod_templates(resource, custom_paths):
                chosen = [
                    i
                    for i in self.instances
                    if not i.spec.targets or any(selects(t, pod.workload) for t in i.spec.targets)
                ]
                matched.update(i.key for i in chosen)
                try:
                    self.results += self._apply_to_pod(pod, chosen)
                except (AttributeError, TypeError, KeyError, ValueError) as err:
                    self.results.append(_shape_error(pod.workload, pod.field("spec"), err))
        for instance in self.instances:
            if instance.key not in matched:
                message = f'{instance.kind} "{instance.name}" matched no workload'
                self.results.append(Result(message, "warning"))
        if any(r.severity == "error" for r in self.results):
            self._rollback()
            return [r for r in self.results if r.severity != "info"]
        self._drop_stale()
        return self.results

    def _undo_service(self, service: dict[str, Any]) -> None:
        try:
            record = read_record(service)
        except ValueError as err:
            self.results.append(Result(str(err), "error", service, "metadata.annotations"))
            return
        if not set(record) & set(self.keys):
            return
        self._save(service)
        for key in reversed(self.keys):
            if key in record:
                undo_service(service, record.pop(key))
        write_record(service, record)

    def _apply_to_pod(self, pod: PodTemplate, chosen: list[Instance]) -> list[Result]:
        """Undo this config's earlier injection, then inject again."""
        try:
            record = read_record(pod.template)
        except ValueError as err:
            return [Result(str(err), "error", pod.workload, pod.field("metadata.annotations"))]
        previous = [k for k in self.keys if k in record]
        if not chosen and not previous:
            return []
        malformed = _malformed(pod)
        if malformed:
            return malformed
        self._save(pod.workload)
        for key in reversed(previous):
            undo(pod, record.pop(key))
        results: list[Result] = []
        if _opted_out(pod):
            chosen = []
            message = f'skipped: annotated {OPT_OUT_ANNOTATION}: "false"'
            results.append(Result(message, "info", pod.workload))
        services = self.service_index.selecting(pod)
        for service in services:
            self._save(service)
        editors = []
        for instance in chosen:
            editor = PodEditor(pod, instance.kind, instance.name, instance.key, record, services)
            instance.inject(instance.spec, editor)
            results += editor.results
            editors.append(editor)
            if editor.entry:
                record[instance.key] = editor.entry
        results += _check_pod(pod, [e.entry for e in editors])
        if editors and any(e.entry for e in editors):
            accepted = {n for e in editors for n in e.accepted_privilege}
            results += _pod_security(pod, [e.entry for e in editors], accepted, self.enforced)
            results += _effective_resources(pod)
        generated = [(e.key, r) for e in editors for r in e.generated]
        results += self._check_generated(pod, generated)
        if any(r.severity == "error" for r in results):
            return results  # the whole run is rolled back
        write_record(pod.template, record)
        for editor in editors:
            for service, entry in editor.service_entries():
                service_record = read_record(service)
                service_record[editor.key] = _merge(service_record.get(editor.key, {}), entry)
                write_record(service, service_record)
        for key, resource in generated:
            self._emit(pod, key, resource)
        return results

    def _check_generated(
        self, pod: PodTemplate, generated: list[tuple[str, dict[str, Any]]]
    ) -> list[Result]:
        """A generated resource may not take the name of one the input already has."""
        results = []
        for key, resource in generated:
            ident = identity(resource)
            existing = self.by_identity.get(ident)
            if ident in self.generated and self.generated[ident] != resource:
                message = f"two workloads would generate {describe(resource)} with other content"
            elif existing is not None and self._generated_by(existing) != key:
                message = (
                    f"{describe(resource)} already exists in the input; krm-fn would generate "
                    "it: give the generated one another name in the config"
                )
            else:
                continue
            results.append(Result(message, "error", pod.workload, pod.field("spec")))
        return results

    def _emit(self, pod: PodTemplate, key: str, resource: dict[str, Any]) -> None:
        """Add a generated resource, or update the one an earlier run generated, in place."""
        ident = identity(resource)
        self.generated[ident] = clone(resource)
        annotations = resource.setdefault("metadata", {}).setdefault("annotations", {})
        annotations[GENERATED_BY] = key
        existing = self.stale.pop(ident, None)
        if existing is not None:
            self._save(existing)
            kept = {
                k: v
                for k, v in (existing["metadata"].get("annotations") or {}).items()
                if k.startswith(TOOL_PREFIXES)
            }
            annotations.update(kept)
            existing.clear()
            existing.update(resource)
            return
        if ident in self.by_identity:
            return  # another workload generated the same resource in this run
        workload_annotations = (pod.workload.get("metadata") or {}).get("annotations") or {}
        source = next(
            (workload_annotations[a] for a in PATH_ANNOTATIONS if a in workload_annotations), None
        )
        if isinstance(source, str):
            name = f"{str(resource['kind']).lower()}_{resource['metadata']['name']}.yaml"
            path = posixpath.join(posixpath.dirname(source), name)
            for annotation in PATH_ANNOTATIONS:
                annotations[annotation] = path
            for annotation in INDEX_ANNOTATIONS:
                annotations[annotation] = "0"
        self.items.append(resource)
        self.by_identity[ident] = resource

    def _drop_stale(self) -> None:
        """Remove what an earlier run generated and this one did not."""
        gone = {id(r) for r in self.stale.values()}
        if gone:
            self.items[:] = [i for i in self.items if id(i) not in gone]
            for resource in self.stale.values():
                message = f"removed {describe(resource)}, which this config no longer generates"
                self.results.append(Result(message, "info", resource))


def _shape_error(resource: dict[str, Any], field: str, err: Exception) -> Result:
    """A resource shaped unlike what Kubernetes accepts, found while editing it."""
    message = (
        f"this resource is not shaped as Kubernetes expects ({type(err).__name__}: {err}); "
        "validate it (kubeconform, kubectl apply --dry-run=server) and fix it"
    )
    return Result(message, "error", resource, field)


def _merge(old: Entry, new: Entry) -> Entry:
    """Merge two record entries of one instance (a Service selecting two workloads)."""
    merged = clone(old)
    for key, value in new.items():
        if isinstance(value, list):
            merged[key] = merged.get(key, []) + [v for v in value if v not in merged.get(key, [])]
        else:
            merged.setdefault(key, {}).update(
                {k: v for k, v in value.items() if k not in merged.get(key, {})}
            )
    return merged


LISTS_OF_NAMED = ("containers", "initContainers", "volumes")
CONTAINER_LISTS = ("env", "envFrom", "volumeMounts", "ports")


def _malformed(pod: PodTemplate) -> list[Result]:
    """Lists that are not lists of named mappings, or names used twice: say where."""
    shape = "must be a list of mappings (with names); krm-fn cannot edit this pod"
    problems: list[tuple[str, str]] = []
    for key in LISTS_OF_NAMED:
        value = pod.spec.get(key)
        if value is None:
            continue
        if not isinstance(value, list) or not all(
            isinstance(i, dict) and isinstance(i.get("name"), str) for i in value
        ):
            problems.append((f"spec.{key}", shape))
            continue
        for item in value if key != "volumes" else []:
            problems += [
                (f"spec.{key}[name={item['name']}].{f}", shape)
                for f in CONTAINER_LISTS
                if f in item
                and not (isinstance(item[f], list) and all(isinstance(i, dict) for i in item[f]))
            ]
    if not problems:
        problems += _repeated_names(pod, ("containers", "initContainers"), "container")
        problems += _repeated_names(pod, ("volumes",), "volume")
    return [Result(message, "error", pod.workload, pod.field(field)) for field, message in problems]


def _repeated_names(pod: PodTemplate, keys: tuple[str, ...], what: str) -> list[tuple[str, str]]:
    seen: set[str] = set()
    problems = []
    for key in keys:
        for item in pod.spec.get(key) or []:
            if item["name"] in seen:
                message = (
                    f'{what} name "{item["name"]}" is used twice; the cluster rejects this pod'
                )
                problems.append((f"spec.{key}[name={item['name']}]", message))
            seen.add(item["name"])
    return problems


def _opted_out(pod: PodTemplate) -> bool:
    workload_annotations = (pod.workload.get("metadata") or {}).get("annotations") or {}
    return "false" in (
        str(workload_annotations.get(OPT_OUT_ANNOTATION, "")).lower(),
        str(pod.annotations.get(OPT_OUT_ANNOTATION, "")).lower(),
    )


def _check_pod(pod: PodTemplate, entries: list[Entry]) -> list[Result]:
    """Conflicts involving what was injected: shared ports, mounts of missing volumes."""
    results = []
    injected = {
        n for e in entries for n in (*e.get("containers", []), *e.get("initContainers", []))
    }
    added_mounts = {
        (c, p) for e in entries for c, paths in e.get("volumeMounts", {}).items() for p in paths
    }
    spec = pod.spec
    running = [c for c in spec.get("containers") or [] if isinstance(c, dict)]
    running += [
        c
        for c in spec.get("initContainers") or []
        if isinstance(c, dict) and c.get("restartPolicy") == "Always"
    ]
    owners: dict[tuple[Any, str], str] = {}
    for container in running:
        for port in container.get("ports") or []:
            key = (port.get("containerPort"), str(port.get("protocol", "TCP")))
            other = owners.setdefault(key, container["name"])
            if other != container["name"] and injected & {other, container["name"]}:
                results.append(
                    Result(
                        f'containers "{other}" and "{container["name"]}" both listen on port '
                        f"{key[0]}/{key[1]}; containers of a pod share one network namespace",
                        "error",
                        pod.workload,
                        pod.field(f"spec.containers[name={container['name']}].ports"),
                    )
                )
    volumes = {v.get("name") for v in spec.get("volumes") or [] if isinstance(v, dict)}
    for container in all_containers(spec):
        for mount in container.get("volumeMounts") or []:
            ours = (
                container.get("name") in injected
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


def _pod_security(
    pod: PodTemplate, entries: list[Entry], accepted: set[str], enforced: dict[str, str]
) -> list[Result]:
    """Pod Security: errors for what the namespace's enforced level would reject.

    Warnings for injected containers that do not pass "restricted" (unless their pattern said why).
    """
    results = []
    namespace = str((pod.workload.get("metadata") or {}).get("namespace") or "default")
    level = enforced.get(namespace)
    metadata = pod.template.get("metadata") or {}
    if level in ("baseline", "restricted"):
        for field, problem in violations(pod.spec, level, metadata):
            message = f'namespace "{namespace}" enforces Pod Security "{level}": {problem}'
            results.append(Result(message, "error", pod.workload, pod.field(field)))
    if level == "restricted":
        return results  # every violation is an error already
    injected = {
        n for e in entries for n in (*e.get("containers", []), *e.get("initContainers", []))
    }
    by_container: dict[str, list[str]] = {}
    for field, _ in violations(pod.spec, "restricted", metadata):
        name = field.partition("[name=")[2].partition("]")[0]
        short = field.rpartition("securityContext.")[2]
        if name in injected and name not in accepted and short not in by_container.get(name, []):
            by_container.setdefault(name, []).append(short)
    for name, fields in by_container.items():
        message = (
            f'injected container "{name}" does not pass the restricted Pod Security profile '
            f"({', '.join(fields)}); set its securityContext through the pattern's config"
        )
        results.append(Result(message, "warning", pod.workload, pod.field("spec")))
    return results


def _effective_resources(pod: PodTemplate) -> list[Result]:
    """What the scheduler will reserve for the pod, now that krm-fn changed it."""
    try:
        requests, limits = effective(pod.spec, "requests"), effective(pod.spec, "limits")
    except ValueError as err:
        return [Result(str(err), "error", pod.workload, pod.field("spec"))]
    message = f"effective pod requests: {requests.describe()}; limits: {limits.describe()}"
    dominated = requests.dominated_by_init()
    if dominated:
        by = ", ".join(f"{n} by init container {c}" for n, c in sorted(dominated.items()))
        message += f" (requests set by init containers: {by})"
    return [Result(message, "info", pod.workload, pod.field("spec"))]
