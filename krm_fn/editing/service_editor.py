"""Editing the Services that select a pod: what one config instance adds or points elsewhere.

A Service changed by a pattern (a port added, an unnamed port named, a port pointed at a proxy)
carries the same `krm-fn.dev/injected` record as a pod template (record.py; undone in undo.py).
"""

from collections.abc import Callable, Iterator
from typing import Any

from krm_fn.editing.record import Entry, Replaced, digest, service_port
from krm_fn.kube.workloads import all_containers
from krm_fn.manifests.results import Severity


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
