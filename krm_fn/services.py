"""Services that select a workload's pods, and undoing what krm-fn changed in them.

A Service changed by a pattern (a port added, an unnamed port named) carries the same
`krm-fn.dev/injected` record as a pod template: the names of the ports added, and the previous
value of every port it changed, so a new run can put the Service back before injecting again.
"""

from typing import Any

from krm_fn.podspec import Entry, _drop_empty
from krm_fn.workloads import PodTemplate


def is_service(resource: dict[str, Any]) -> bool:
    """A core v1 Service."""
    return resource.get("kind") == "Service" and resource.get("apiVersion") == "v1"


def selects_pod(service: dict[str, Any], pod: PodTemplate) -> bool:
    """Whether a Service's selector picks the pods of this template (same namespace)."""
    selector = (service.get("spec") or {}).get("selector")
    if not isinstance(selector, dict) or not selector:
        return False
    namespace = (service.get("metadata") or {}).get("namespace")
    if namespace != (pod.workload.get("metadata") or {}).get("namespace"):
        return False
    labels = (pod.template.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


def undo_service(service: dict[str, Any], entry: Entry) -> None:
    """Remove the ports an instance added and restore the ports it changed."""
    spec = service.get("spec") or {}
    ports = spec.get("ports")
    if not isinstance(ports, list):
        return
    added = set(entry.get("ports", []))
    ports[:] = [p for p in ports if p.get("name") not in added]
    for name, previous in (entry.get("portsWas") or {}).items():
        for index, port in enumerate(ports):
            if port.get("name") == name:
                ports[index] = previous
    _drop_empty(spec, "ports")
