"""Services that select a workload's pods.

A Service changed by a pattern (a port added, an unnamed port named) carries the same
`krm-fn.dev/injected` record as a pod template (record.py; undone in undo.py).
"""

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from krm_fn.record import Entry, Replaced, digest
from krm_fn.results import Severity
from krm_fn.undo import service_port
from krm_fn.workloads import PodTemplate, all_containers


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


class ServiceEdits:
    """What one config instance changes in the Services that select its pod.

    Each changed Service gets a record entry of its own (the ports added, the old value of each
    port changed); `report` takes a result about a Service (the pod's editor words it).
    """

    def __init__(
        self,
        services: list[dict[str, Any]],
        spec: dict[str, Any],
        report: Callable[[dict[str, Any], Severity, str], None],
    ) -> None:
        self.services = services  # the Services of the input that select the pod
        self.spec = spec  # the pod's spec, whose container ports name unnamed Service ports
        self._report = report
        self._entries: dict[int, tuple[dict[str, Any], Entry]] = {}

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.services)

    def __bool__(self) -> bool:
        return bool(self.services)

    def seal(self) -> None:
        """Store the digest of every port added or changed, as it was left."""
        for service, entry in self._entries.values():
            for name in entry.ports:
                entry.ports[name] = digest(service_port(service, name))
            for name, change in entry.portsWas.items():
                change.set = digest(service_port(service, name))

    def entries(self) -> list[tuple[dict[str, Any], Entry]]:
        """The Services this instance changed, each with its record entry."""
        return [pair for pair in self._entries.values() if pair[1]]

    def _entry(self, service: dict[str, Any]) -> Entry:
        return self._entries.setdefault(id(service), (service, Entry()))[1]

    def add_port(self, service: dict[str, Any], port: dict[str, Any]) -> None:
        """Add a named port to a Service.

        Unnamed ports get names (a Service with several ports needs them); the old ports are
        kept in the record.
        """
        if not isinstance(service.get("spec"), dict):
            service["spec"] = {}
        if not service["spec"].get("ports"):
            service["spec"]["ports"] = []
        ports = service["spec"]["ports"]
        protocol = port.get("protocol", "TCP")
        for existing in ports:
            if existing.get("name") == port["name"] or (
                existing.get("port") == port["port"] and existing.get("protocol", "TCP") == protocol
            ):
                if existing != port:
                    self._report(
                        service,
                        "error",
                        f"port {port['port']} or the name {port['name']} is already used by "
                        "another port of this Service",
                    )
                return
        entry = self._entry(service)
        for index, existing in enumerate(ports):
            if not existing.get("name"):
                name, by_container = self._port_name(existing, {p.get("name") for p in ports})
                named = {**existing, "name": name}
                if by_container:  # target the container port by its name, as people write it
                    named["targetPort"] = name
                ports[index] = named
                entry.portsWas.setdefault(named["name"], Replaced(existing, True, ""))
                self._report(
                    service, "info", f'named port {existing.get("port")} "{named["name"]}"'
                )
        ports.append(dict(port))
        entry.ports[port["name"]] = ""
        self._report(service, "info", f"added port {port['name']} {port['port']}")

    def _port_name(self, unnamed: dict[str, Any], taken: set[Any]) -> tuple[str, bool]:
        """A name for an unnamed Service port, and whether it names a container port.

        The name of the container port it targets if that has one, else `port-NUMBER`.
        """
        target = unnamed.get("targetPort", unnamed.get("port"))
        for container in all_containers(self.spec):
            for port in container.get("ports") or []:
                name = port.get("name")
                if port.get("containerPort") == target and name and name not in taken:
                    return str(name), True
        return f"port-{unnamed.get('port')}", False

    def retarget_ports(self, service: dict[str, Any], old: Any, new: Any) -> None:
        """Point a Service's ports that target `old` (a port name) at `new`."""
        ports = (service.get("spec") or {}).get("ports") or []
        for index, port in enumerate(ports):
            if port.get("targetPort") == old and old != new:
                ports[index] = {**port, "targetPort": new}
                key = port.get("name") or str(port.get("port"))
                if not port.get("name"):
                    ports[index]["name"] = key = f"port-{port.get('port')}"
                was = Replaced(port, True, "")
                self._entry(service).portsWas.setdefault(key, was)
                self._report(service, "info", f"port {port.get('port')} now targets {new}")


def _namespace(resource: dict[str, Any], default: str) -> str:
    return str((resource.get("metadata") or {}).get("namespace") or default)
