"""The one core: apply pattern instances to resources. No I/O; every caller is a thin wrapper."""

import copy
from typing import Any

from krm_fn.config import Instance
from krm_fn.podspec import (
    OPT_OUT_ANNOTATION,
    Entry,
    PodEditor,
    all_containers,
    read_record,
    undo,
    write_record,
)
from krm_fn.results import Result
from krm_fn.selection import selects
from krm_fn.workloads import PodTemplate, pod_templates

LOCAL_CONFIG = "config.kubernetes.io/local-config"


def passes_through(resource: dict[str, Any]) -> bool:
    """Kptfiles, local-config items and krm-fn configs are never changed."""
    annotations = (resource.get("metadata") or {}).get("annotations") or {}
    api_version = str(resource.get("apiVersion", ""))
    return str(annotations.get(LOCAL_CONFIG, "")).lower() == "true" or api_version.startswith(
        ("kpt.dev/", "krm-fn.dev/")
    )


def apply(items: list[Any], instances: list[Instance]) -> list[Result]:
    """Apply every instance, in order, to the pod templates of `items` (changed in place)."""
    results: list[Result] = []
    matched: set[str] = set()
    custom_paths = [p for i in instances for p in i.spec.pod_template_paths]
    for resource in items:
        if not isinstance(resource, dict) or passes_through(resource):
            continue
        for pod in pod_templates(resource, custom_paths):
            chosen = [
                i
                for i in instances
                if not i.spec.targets or any(selects(t, pod.workload) for t in i.spec.targets)
            ]
            matched.update(i.key for i in chosen)
            results += _apply_to_pod(pod, instances, chosen)
    for instance in instances:
        if instance.key not in matched:
            results.append(
                Result(f'{instance.kind} "{instance.name}" matched no workload', "warning")
            )
    return results


def _opted_out(pod: PodTemplate) -> bool:
    workload_annotations = (pod.workload.get("metadata") or {}).get("annotations") or {}
    return "false" in (
        str(workload_annotations.get(OPT_OUT_ANNOTATION, "")).lower(),
        str(pod.annotations.get(OPT_OUT_ANNOTATION, "")).lower(),
    )


def _apply_to_pod(
    pod: PodTemplate, instances: list[Instance], chosen: list[Instance]
) -> list[Result]:
    """Undo this config's earlier injection, then inject again; on any error, change nothing."""
    try:
        record = read_record(pod)
    except ValueError as err:
        return [Result(str(err), "error", pod.workload, pod.field("metadata.annotations"))]
    previous = [i.key for i in instances if i.key in record]
    if not chosen and not previous:
        return []
    before = copy.deepcopy(pod.template)
    for key in reversed(previous):
        undo(pod, record.pop(key))
    results: list[Result] = []
    if _opted_out(pod):
        chosen = []
        results.append(
            Result(f'skipped: annotated {OPT_OUT_ANNOTATION}: "false"', "info", pod.workload)
        )
    entries = []
    for instance in chosen:
        editor = PodEditor(pod, instance.kind, instance.name, instance.key)
        instance.inject(instance.spec, editor)
        results += editor.results
        if editor.entry:
            record[instance.key] = editor.entry
            entries.append(editor.entry)
    results += _check_pod(pod, entries)
    if any(r.severity == "error" for r in results):
        pod.template.clear()
        pod.template.update(before)
        return [r for r in results if r.severity != "info"]
    write_record(pod, record)
    return results


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
