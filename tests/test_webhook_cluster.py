"""The webhook end to end: the test control plane calls `krm-fn webhook` for real.

Registered with a MutatingWebhookConfiguration (the caBundle from `krm-fn webhook certs`), as
scenario 7 of the seed scenarios: a labelled namespace, a Deployment, and the Pods the
controllers create come out stored with the sidecar. Then the rest of what users meet: other
namespaces and opted-out pods untouched, a second webhook making krm-fn run again, a namespace
enforcing "restricted", and what failurePolicy does when the webhook is down.
"""

import base64
import copy
import http.server
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cluster import ControlPlane
from support import EXAMPLES
from webhooks import (
    Server,
    ca_bundle,
    configuration,
    free_port,
    given_again,
    webhook_server,
    write_certs,
)

from krm_fn.kube.containers import RESTRICTED
from krm_fn.manifests import yamlio

SIDECAR = EXAMPLES / "sidecar-log-shipper"
LABEL = "krm-fn.dev/webhook"


def apply(cluster: ControlPlane, document: dict[str, Any]) -> None:
    cluster.kubectl("apply", "-f", "-", input=json.dumps(document), check=True)


@pytest.fixture(scope="module")
def webhook(cluster: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("webhook")
    (root / "configs").mkdir()
    (root / "configs" / "log-shipper.yaml").write_text((SIDECAR / "log-shipper.yaml").read_text())
    with webhook_server(root / "configs", write_certs(root / "tls"), workers=1) as server:
        apply(
            cluster,
            configuration("krm-fn", server.url, ca_bundle(server), reinvocationPolicy="IfNeeded"),
        )
        time.sleep(1)  # the API server picks up webhook configurations asynchronously
        yield server


def pod(name: str, **metadata: Any) -> dict[str, Any]:
    [deployment] = yamlio.load_all((SIDECAR / "deployment.yaml").read_text())
    template = copy.deepcopy(deployment["spec"]["template"])
    template["metadata"] |= {"name": name, **metadata}
    return {"apiVersion": "v1", "kind": "Pod", **template}


def stored(cluster: ControlPlane, namespace: str, name: str) -> dict[str, Any]:
    done = cluster.kubectl("get", "pod", "-n", namespace, name, "-o", "json", check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def init_names(found: dict[str, Any]) -> list[str]:
    return [c["name"] for c in found["spec"].get("initContainers") or []]


def test_pods_of_a_deployment_are_stored_with_the_sidecar(
    cluster: ControlPlane, webhook: Server
) -> None:
    namespace = cluster.namespace("scenario-7", {LABEL: "enabled"})
    [deployment] = yamlio.load_all((SIDECAR / "deployment.yaml").read_text())
    deployment["metadata"]["namespace"] = namespace
    before = given_again(webhook)
    apply(cluster, deployment)
    deadline = time.monotonic() + 60
    while True:
        pods = json.loads(cluster.kubectl("get", "pods", "-n", namespace, "-o", "json").stdout)[
            "items"
        ]
        if len(pods) == deployment["spec"]["replicas"]:
            break
        assert time.monotonic() < deadline, (
            f"no pods\n{cluster.log_tail()}\n{webhook.log.read_text()}"
        )
        time.sleep(0.3)
    for found in pods:
        assert init_names(found) == ["access-log"]
        assert found["spec"]["initContainers"][0]["restartPolicy"] == "Always"
        assert "krm-fn.dev/injected" in found["metadata"]["annotations"]
        assert found["metadata"]["ownerReferences"][0]["kind"] == "ReplicaSet"
    # the API server names a pod after admission: the ReplicaSet's pods came in the same bytes
    # but for the uid, and the one worker worked the answer out once (answers.py)
    assert given_again(webhook) - before >= len(pods) - 1


def test_other_namespaces_and_opted_out_pods_are_untouched(
    cluster: ControlPlane, webhook: Server
) -> None:
    plain = cluster.namespace("not-opted-in")
    apply(cluster, {**pod("plain"), "metadata": {**pod("plain")["metadata"], "namespace": plain}})
    assert init_names(stored(cluster, plain, "plain")) == []
    labelled = cluster.namespace("opt-out", {LABEL: "enabled"})
    opted = pod("opted", annotations={"krm-fn.dev/inject": "false"})
    opted["metadata"]["namespace"] = labelled
    apply(cluster, opted)
    found = stored(cluster, labelled, "opted")
    assert init_names(found) == [] and "krm-fn.dev/injected" not in found["metadata"]["annotations"]


def test_a_restricted_namespace_admits_the_injected_pod(
    cluster: ControlPlane, webhook: Server
) -> None:
    namespace = cluster.namespace(
        "restricted-inject", {LABEL: "enabled", "pod-security.kubernetes.io/enforce": "restricted"}
    )
    hardened = pod("hardened")
    hardened["metadata"]["namespace"] = namespace
    for container in hardened["spec"]["containers"]:
        container["securityContext"] = dict(RESTRICTED)
    apply(cluster, hardened)
    assert init_names(stored(cluster, namespace, "hardened")) == ["access-log"]


class Labeller(http.server.BaseHTTPRequestHandler):
    """A second mutating webhook: it adds a label, after krm-fn (its configuration sorts later)."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        patch = [{"op": "add", "path": "/metadata/labels/second", "value": "yes"}]
        response = {
            "uid": body["request"]["uid"],
            "allowed": True,
            "patchType": "JSONPatch",
            "patch": base64.b64encode(json.dumps(patch).encode()).decode(),
        }
        data = json.dumps({**{k: body[k] for k in ("apiVersion", "kind")}, "response": response})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data.encode())

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def labeller(tls: Path) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Labeller)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls / "tls.crt", tls / "tls.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def requests_answered(webhook: Server) -> float:
    metrics = webhook.health("/metrics")[1]
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("krm_fn_webhook_requests_total{")
    )


def test_a_later_webhook_makes_krm_fn_run_again_and_the_pod_is_stable(
    cluster: ControlPlane, webhook: Server, tmp_path: Path
) -> None:
    tls = write_certs(tmp_path / "second")
    with labeller(tls) as url:
        second = configuration(
            "zz-second", url, base64.b64encode((tls / "ca.crt").read_bytes()).decode()
        )
        apply(cluster, second)
        time.sleep(1)
        namespace = cluster.namespace("reinvoked", {LABEL: "enabled"})
        before = requests_answered(webhook)
        created = pod("twice")
        created["metadata"]["namespace"] = namespace
        apply(cluster, created)
        found = stored(cluster, namespace, "twice")
        cluster.kubectl("delete", "mutatingwebhookconfiguration", "zz-second", check=True)
    assert found["metadata"]["labels"]["second"] == "yes"
    assert init_names(found) == ["access-log"]  # once, although krm-fn was called again
    assert requests_answered(webhook) - before == 2


def test_failure_policy_when_the_webhook_is_down(cluster: ControlPlane, tmp_path: Path) -> None:
    down = "krm-fn.dev/webhook-down"  # a namespace only the unreachable webhook serves
    namespace = cluster.namespace("webhook-down", {down: "enabled"})
    tls = write_certs(tmp_path / "down")
    url = f"https://127.0.0.1:{free_port()}/mutate"  # nothing listens there
    ca = base64.b64encode((tls / "ca.crt").read_bytes()).decode()
    apply(cluster, configuration("krm-fn-down", url, ca, "Fail", down))
    time.sleep(1)
    try:
        refused = pod("refused")
        refused["metadata"]["namespace"] = namespace
        done = cluster.kubectl("apply", "-f", "-", input=json.dumps(refused))
        assert done.returncode != 0
        assert 'failed calling webhook "krm-fn-down.krm-fn.dev"' in done.stderr, done.stderr
        apply(cluster, configuration("krm-fn-down", url, ca, "Ignore", down))
        time.sleep(1)
        admitted = pod("admitted")
        admitted["metadata"]["namespace"] = namespace
        apply(cluster, admitted)
        assert init_names(stored(cluster, namespace, "admitted")) == []  # admitted unchanged
    finally:
        cluster.kubectl("delete", "mutatingwebhookconfiguration", "krm-fn-down")
