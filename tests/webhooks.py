"""Helpers for the webhook tests: pods as controllers make them, reviews, and a running server."""

import base64
import copy
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonpatch
from support import SHIPPER_DEPLOYMENT, shipper

from krm_fn.editing.record import RECORD_ANNOTATION, digest
from krm_fn.kube.workloads import pod_templates
from krm_fn.manifests import yamlio
from krm_fn.webhook.admission import load_config_dir

KRM_FN = str(Path(sys.executable).parent / "krm-fn")
OWNER_API = {
    "Deployment": ("apps/v1", "ReplicaSet"),
    "StatefulSet": ("apps/v1", "StatefulSet"),
    "DaemonSet": ("apps/v1", "DaemonSet"),
    "ReplicaSet": ("apps/v1", "ReplicaSet"),
    "Job": ("batch/v1", "Job"),
    "CronJob": ("batch/v1", "Job"),
}


def pods_of(resource: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(pod, template) for each pod template: the pod as its controller would create it."""
    made = []
    for pod in pod_templates(resource):
        meta = copy.deepcopy(pod.template.get("metadata") or {})
        name = str(resource["metadata"]["name"])
        if pod.kind == "Pod":
            made.append((copy.deepcopy(resource), pod.template))
            continue
        api_version, owner_kind = OWNER_API.get(pod.kind, ("v1", pod.kind))
        owner = name
        if pod.kind == "Deployment":
            meta.setdefault("labels", {})["pod-template-hash"] = "5d8f7c9b4"
            owner = f"{name}-5d8f7c9b4"
        elif pod.kind == "CronJob":
            owner = f"{name}-29390400"
        meta["generateName"] = f"{owner}-"
        meta["ownerReferences"] = [
            {
                "apiVersion": api_version,
                "kind": owner_kind,
                "name": owner,
                "uid": "u",
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        made.append(
            (
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": meta,
                    "spec": copy.deepcopy(pod.spec),
                },
                pod.template,
            )
        )
    return made


def review(
    pod: dict[str, Any], namespace: str = "shop", version: str = "v1", **request: Any
) -> dict[str, Any]:
    """An AdmissionReview for creating a pod."""
    body = {
        "uid": f"uid-{time.monotonic_ns()}",
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "operation": "CREATE",
        "namespace": namespace,
        "object": pod,
        "dryRun": False,
        **request,
    }
    return {"apiVersion": f"admission.k8s.io/{version}", "kind": "AdmissionReview", "request": body}


def shop_pod() -> dict[str, Any]:
    """The pod of the sidecar-log-shipper example's Deployment, as its ReplicaSet creates it."""
    [deployment] = yamlio.load_all(SHIPPER_DEPLOYMENT.read_text())
    [(pod, _)] = pods_of(deployment)
    return pod


def shipper_configs(tmp_path: Path, **spec: Any) -> Any:
    """The webhook's loaded configs: the example's Sidecar config with these spec fields."""
    directory = tmp_path / "configs"
    directory.mkdir(exist_ok=True)
    (directory / "log-shipper.yaml").write_text(yamlio.dump(shipper(**spec)))
    return load_config_dir(str(directory))


def forged_pod(items: int) -> dict[str, Any]:
    """A pod whose record claims `items` env vars of its app, each with the right digest."""
    pod = shop_pod()
    extra = [{"name": f"E{i}", "value": "x"} for i in range(items)]
    pod["spec"]["containers"][0].setdefault("env", []).extend(extra)
    app = pod["spec"]["containers"][0]["name"]
    record = {"Sidecar/log-shipper": {"env": {app: {e["name"]: digest(e) for e in extra}}}}
    pod["metadata"].setdefault("annotations", {})[RECORD_ANNOTATION] = json.dumps(record)
    return pod


# reviews of shapes the API server never sends, each made from a good one
REVIEW_SHAPES: dict[str, Callable[[dict[str, Any]], None]] = {
    "request.kind a string": lambda r: r["request"].update(kind="Pod"),
    "labels a list, with a controller": lambda r: r["request"]["object"]["metadata"].update(
        labels=["app"],
        ownerReferences=[
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "x", "controller": True}
        ],
    ),
    "metadata a string": lambda r: r["request"]["object"].update(metadata="x"),
    "annotations with a number": lambda r: r["request"]["object"]["metadata"].update(
        annotations={"a": 1}
    ),
    "ownerReferences a string": lambda r: r["request"]["object"]["metadata"].update(
        ownerReferences="x"
    ),
    "object a Deployment": lambda r: r["request"]["object"].update(kind="Deployment"),
    "operation a list": lambda r: r["request"].update(operation=["CREATE"]),
    "namespace a number": lambda r: r["request"].update(namespace=7),
}


def patched(pod: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """The pod as the API server stores it after applying the answer's patch."""
    response = answer["response"]
    if "patch" not in response:
        return copy.deepcopy(pod)
    assert response["patchType"] == "JSONPatch"
    patch = json.loads(base64.b64decode(response["patch"]))
    result: dict[str, Any] = jsonpatch.apply_patch(pod, patch)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A `krm-fn webhook` process on loopback."""

    process: subprocess.Popen[bytes]
    port: int
    metrics_port: int
    ca: Path
    log: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/mutate"

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))

    def post(
        self,
        body: Any,
        content_type: str = "application/json",
        raw: bytes | None = None,
        timeout: float = 10,
    ) -> tuple[int, Any]:
        data = raw if raw is not None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url, data=data, headers={"Content-Type": content_type}
        )
        try:
            with urllib.request.urlopen(
                request, context=self.context(), timeout=timeout
            ) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as err:
            with err:
                return err.code, json.loads(err.read() or b"{}")

    def health(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{self.metrics_port}{path}", timeout=5
            ) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read().decode()
        except OSError:
            return 0, ""


def write_certs(directory: Path) -> Path:
    done = subprocess.run(
        [
            KRM_FN,
            "webhook",
            "certs",
            "--service",
            "krm-fn",
            "--namespace",
            "krm-fn",
            "--dir",
            str(directory),
            "--name",
            "127.0.0.1",
            "--name",
            "localhost",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert base64.b64decode(done.stdout.strip()) == (directory / "ca.crt").read_bytes()
    return directory


TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_SOURCES = {
    "sources": [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {
            "downwardAPI": {
                "items": [
                    {
                        "path": "namespace",
                        "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                    }
                ]
            }
        },
    ],
    "defaultMode": 420,
}


def with_token(pod: dict[str, Any], suffix: str) -> dict[str, Any]:
    """The pod as the ServiceAccount admission plugin leaves it for the webhooks: a token's
    volume of a random name, mounted into every container."""
    made = copy.deepcopy(pod)
    name = f"kube-api-access-{suffix}"
    spec = made["spec"]
    spec.setdefault("volumes", []).append({"name": name, "projected": TOKEN_SOURCES})
    for section in ("initContainers", "containers"):
        for container in spec.get(section) or []:
            mount = {"name": name, "readOnly": True, "mountPath": TOKEN_PATH}
            container.setdefault("volumeMounts", []).append(mount)
    return made


def given_again(server: Server) -> float:
    """How many reviews the server answered with an answer already worked out (answers.py)."""
    metrics = server.health("/metrics")[1]
    match = re.search(r"^krm_fn_webhook_answers_given_again_total (\S+)$", metrics, re.M)
    return float(match.group(1)) if match else 0.0


@contextmanager
def webhook_server(
    config_dir: Path, tls_dir: Path, workers: int = 2, args: tuple[str, ...] = ()
) -> Iterator[Server]:
    port, metrics_port = free_port(), free_port()
    log = config_dir.parent / f"webhook-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                KRM_FN,
                "webhook",
                "--config-dir",
                str(config_dir),
                "--tls-cert-file",
                str(tls_dir / "tls.crt"),
                "--tls-key-file",
                str(tls_dir / "tls.key"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--metrics-port",
                str(metrics_port),
                "--workers",
                str(workers),
                *args,
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
    server = Server(process, port, metrics_port, tls_dir / "ca.crt", log)
    try:
        deadline = time.monotonic() + 30
        while server.health("/readyz")[0] != 200:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, f"the webhook never got ready\n{log.read_text()}"
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def ca_bundle(server: Server) -> str:
    return base64.b64encode(server.ca.read_bytes()).decode()


def configuration(
    name: str,
    url: str,
    ca: str,
    policy: str = "Fail",
    label: str = "krm-fn.dev/webhook",
    **extra: Any,
) -> dict[str, Any]:
    """A MutatingWebhookConfiguration to a server, for namespaces labelled `label: enabled`."""
    webhook = {
        "name": f"{name}.krm-fn.dev",
        "clientConfig": {"url": url, "caBundle": ca},
        "rules": [
            {
                "operations": ["CREATE"],
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "resources": ["pods"],
                "scope": "Namespaced",
            }
        ],
        "namespaceSelector": {"matchLabels": {label: "enabled"}},
        "objectSelector": {
            "matchExpressions": [
                {"key": "app.kubernetes.io/name", "operator": "NotIn", "values": ["krm-fn-webhook"]}
            ]
        },
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        "failurePolicy": policy,
        "timeoutSeconds": 10,
        **extra,
    }
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [webhook],
    }
