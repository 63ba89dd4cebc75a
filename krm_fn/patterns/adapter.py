"""Adapter: a container that translates the app's own interface into a standard one.

The main case is a Prometheus exporter (for Elasticsearch: `justwatch/elasticsearch_exporter`
with `--es.uri=http://localhost:9200`, metrics on 9114). What it changes:

- the exporter container (`container`, a full container spec) with its metrics port
  (`port`, named `portName`), as a native sidecar where the target allows, else a plain container;
- every Service of the input that selects the workload gets a matching port
  (`portName: port -> targetPort portName`); a Service's unnamed port is named after the
  container port it targets (a Service with several ports needs names), and put back as it was
  if the pattern is removed (`services: false` leaves Services alone);
- optionally the `prometheus.io/scrape|port|path` pod annotations (`prometheusAnnotations`), or a
  Prometheus Operator `ServiceMonitor` (one per selecting Service, selecting it by its labels) or
  `PodMonitor` (selecting the pod template's labels), generated next to the workload.

With an Ambassador on the same pod (earlier in the bundle or pipeline) that moved the app from
port P to localhost port Q, `localhost:P` and `127.0.0.1:P` in the exporter's command, args and
env become `...:Q`: the exporter keeps talking plain HTTP to the app, not to the TLS proxy.

Seen running on the test node (tests/test_scenarios.py): the exporter's metrics on its port and
through the Service's added port, and found as Prometheus finds them: from the pod's
`prometheus.io` annotations and from the ServiceMonitor's selector and port name.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from krm_fn.editing.pod_editor import PodEditor
from krm_fn.manifests.yamlio import clone
from krm_fn.patterns import Facts
from krm_fn.patterns.sidecar import inject_sidecars

if TYPE_CHECKING:
    from krm_fn.patterns.models.adapter import Spec

MONITORING = "monitoring.coreos.com/v1"


def follow_moved_ports(container: dict[str, Any], moved: dict[str, int]) -> list[str]:
    """Rewrite localhost:P to localhost:Q for ports an Ambassador moved; say what changed."""
    changed = []

    def rewrite(text: str) -> str:
        for old, new in moved.items():
            pattern = rf"\b(localhost|127\.0\.0\.1):{old}(?!\d)"
            if re.search(pattern, text):
                changed.append(f"{old} -> {new}")
                text = re.sub(pattern, rf"\g<1>:{new}", text)
        return text

    for key in ("command", "args"):
        if isinstance(container.get(key), list):
            container[key] = [rewrite(str(a)) for a in container[key]]
    for env in container.get("env") or []:
        if isinstance(env.get("value"), str):
            env["value"] = rewrite(env["value"])
    return changed


def not_at_admission(spec: Spec) -> str | None:
    """Why this config cannot apply at admission: Services and monitors are other resources."""
    if spec.services or spec.monitor != "none":
        return (
            "not at admission with services: true or a monitor: a webhook sees one pod and "
            "cannot add ports to Services or create monitors; set services: false and "
            "monitor: none (prometheusAnnotations: true lets Prometheus find the pod), or apply "
            "it at build time"
        )
    return None


FACTS = Facts(
    example="elasticsearch-adapter-metrics",
    generates=frozenset([(MONITORING, "ServiceMonitor"), (MONITORING, "PodMonitor")]),
    admission_check=not_at_admission,
    admission_policy="compiles with `services: false` and `monitor: none` (admission changes "
    "no Service and creates no monitor)",
    record_fields=frozenset(["ports", "portsWas"]),
)


def inject(spec: Spec, pod: PodEditor) -> None:
    """Add the adapter, its port on the Services, and the scrape config."""
    container = clone(spec.container)
    ports = container["ports"] = container.get("ports") or []
    if not any(p.get("containerPort") == spec.port for p in ports):
        ports.append({"name": spec.port_name, "containerPort": spec.port})
    changed = follow_moved_ports(container, pod.moved_ports())
    if changed:
        pod.report("info", f"the app moved ({', '.join(changed)}): the adapter follows")
    if not inject_sidecars(spec, pod, [container]):
        return
    if spec.services:
        for service in pod.services:
            port = {"name": spec.port_name, "port": spec.port, "targetPort": spec.port_name}
            pod.services.add_port(service, port)
    if spec.prometheus_annotations:
        for key, value in (("scrape", "true"), ("port", str(spec.port)), ("path", spec.path)):
            pod.set_metadata("annotations", f"prometheus.io/{key}", value)
    if spec.monitor == "ServiceMonitor":
        _service_monitors(spec, pod)
    elif spec.monitor == "PodMonitor":
        _pod_monitor(spec, pod)


def _monitor(
    kind: str, name: str, namespace: Any, spec: Spec, body: dict[str, Any]
) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    if spec.monitor_labels:
        metadata["labels"] = dict(spec.monitor_labels)
    return {"apiVersion": MONITORING, "kind": kind, "metadata": metadata, "spec": body}


def _endpoint(spec: Spec) -> dict[str, Any]:
    endpoint = {"port": spec.port_name, "path": spec.path}
    if spec.interval:
        endpoint["interval"] = spec.interval
    return endpoint


def _service_monitors(spec: Spec, pod: PodEditor) -> None:
    if not pod.services:
        pod.error("a ServiceMonitor needs a Service in the input that selects this workload")
    for service in pod.services:
        meta = service.get("metadata") or {}
        if not meta.get("labels"):
            service_name = meta.get("name")
            pod.error(f'a ServiceMonitor selects Services by label; "{service_name}" has none')
            continue
        body = {"selector": {"matchLabels": dict(meta["labels"])}, "endpoints": [_endpoint(spec)]}
        name = f"{meta['name']}-{spec.port_name}"
        pod.generate(_monitor("ServiceMonitor", name, meta.get("namespace"), spec, body))


def _pod_monitor(spec: Spec, pod: PodEditor) -> None:
    labels = (pod.pod.template.get("metadata") or {}).get("labels")
    if not labels:
        pod.error("a PodMonitor selects pods by label, and this pod template has none")
        return
    meta = pod.pod.workload.get("metadata") or {}
    body = {"selector": {"matchLabels": dict(labels)}, "podMetricsEndpoints": [_endpoint(spec)]}
    name = f"{meta.get('name')}-{spec.port_name}"
    pod.generate(_monitor("PodMonitor", name, meta.get("namespace"), spec, body))
