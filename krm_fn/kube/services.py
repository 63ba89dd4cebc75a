"""Services that select a workload's pods.

What a pattern changes in them is edited in service_editor.py, and recorded there as in a pod
template.
"""

from collections import Counter
from typing import Any

from krm_fn.kube.workloads import PodTemplate


def is_service(resource: dict[str, Any]) -> bool:
    """A core v1 Service."""
    return resource.get("kind") == "Service" and resource.get("apiVersion") == "v1"


def selects_pod(service: dict[str, Any], pod: PodTemplate, namespace: str = "default") -> bool:
    """Whether a Service's selector picks the pods of this template (same namespace).

    `namespace` is that of a resource without one.
    """
    selector = (service.get("spec") or {}).get("selector")
    if not isinstance(selector, dict) or not selector:
        return False
    if _namespace(service, namespace) != _namespace(pod.workload, namespace):
        return False
    labels = (pod.template.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in selector.items())


class ServiceIndex:
    """Services by namespace and the rarest pair of their selector.

    Finding the Services of a pod is a lookup per pod label, not a scan of every Service (10,000
    of each would be 10^8 checks).
    """

    def __init__(self, services: list[dict[str, Any]], namespace: str = "default") -> None:
        self.namespace = namespace  # that of resources without one
        selectors = []
        for position, service in enumerate(services):
            spec = service.get("spec")
            selector = spec.get("selector") if isinstance(spec, dict) else None
            if isinstance(selector, dict) and selector:
                where = _namespace(service, namespace)
                pairs = [(where, str(k), str(v)) for k, v in selector.items()]
                selectors.append((position, service, pairs))
        counts = Counter(pair for _, _, pairs in selectors for pair in pairs)
        self.by_pair: dict[tuple[str, str, str], list[tuple[int, dict[str, Any]]]] = {}
        for position, service, pairs in selectors:  # each under its rarest pair
            rarest = min(pairs, key=counts.__getitem__)
            self.by_pair.setdefault(rarest, []).append((position, service))

    def selecting(self, pod: PodTemplate) -> list[dict[str, Any]]:
        """The Services whose selector picks the pods of this template, in input order."""
        labels = (pod.template.get("metadata") or {}).get("labels") or {}
        namespace = _namespace(pod.workload, self.namespace)
        candidates = [
            candidate
            for key, value in labels.items()
            for candidate in self.by_pair.get((namespace, str(key), str(value)), [])
        ]
        return [
            service
            for _, service in sorted(candidates, key=lambda c: c[0])
            if selects_pod(service, pod, self.namespace)
        ]


def _namespace(resource: dict[str, Any], default: str) -> str:
    return str((resource.get("metadata") or {}).get("namespace") or default)
