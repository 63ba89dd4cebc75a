"""make bench, admission: pod creates with no injection, the admission policy, the webhook.

On a control plane of tests/cluster.py: three namespaces, one served by nothing, one by the
policy `krm-fn admission-policy` compiles from the log-shipper example, one by `krm-fn webhook`
with the same config (a MutatingWebhookConfiguration to it on loopback). In each, PODS pods are
created by WORKERS clients at once, rounds alternating between the namespaces; per namespace:
pods per second and the create latency at p50 and p99 (medians over the rounds).
"""

import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

PODS = 300
WORKERS = 8
ROUNDS = 3
KRM_FN = str(Path(sys.executable).parent / "krm-fn")
EXAMPLE = ROOT / "kustomization-examples" / "sidecar-log-shipper"
LABEL = "krm-fn.dev/admission-bench"


def pod(name: str) -> dict[str, Any]:
    """The example Deployment's pod, as its ReplicaSet makes it."""
    from krm_fn.manifests import yamlio

    [deployment] = yamlio.load_all((EXAMPLE / "deployment.yaml").read_text())
    template = deployment["spec"]["template"]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {**template["metadata"], "name": name},
        "spec": template["spec"],
    }


def create_all(api: Any, namespace: str, prefix: str) -> tuple[float, list[float]]:
    """(seconds for all, each create's seconds): PODS pods by WORKERS clients at once."""

    def one(index: int) -> float:
        start = time.perf_counter()
        made = api.create_namespaced_pod(namespace, pod(f"{prefix}-{index}"))
        took = time.perf_counter() - start
        annotations = made.metadata.annotations or {}
        if (namespace != "plain") != ("krm-fn.dev/injected" in annotations):
            raise SystemExit(f"pod {prefix}-{index} in {namespace}: not as expected")
        return took

    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        latencies = list(pool.map(one, range(PODS)))
    return time.perf_counter() - start, latencies


def run(work: Path) -> list[tuple[str, float, float, float | None]]:
    """(what, krm-fn's seconds per pod, the baseline's, target ratio) and the latency rows."""
    import kubernetes
    from cluster import control_plane
    from webhooks import ca_bundle, configuration, webhook_server, write_certs

    work.mkdir(parents=True, exist_ok=True)
    (work / "configs").mkdir()
    (work / "configs" / "log-shipper.yaml").write_text((EXAMPLE / "log-shipper.yaml").read_text())
    policy = work / "policy.yaml"
    subprocess.run(
        [
            KRM_FN,
            "admission-policy",
            str(EXAMPLE / "log-shipper.yaml"),
            "-o",
            str(policy),
            "--namespace-label",
            f"{LABEL}=policy",
        ],
        check=True,
    )
    results: dict[str, list[tuple[float, list[float]]]] = {}
    with (
        control_plane(work / "plane") as plane,
        webhook_server(work / "configs", write_certs(work / "tls"), workers=2) as server,
    ):
        plane.kubectl("apply", "-f", str(policy), check=True)
        hook = configuration(
            "krm-fn-bench",
            server.url,
            ca_bundle(server),
            label=LABEL,
            reinvocationPolicy="IfNeeded",
        )
        plane.kubectl("apply", "-f", "-", input=json.dumps(hook), check=True)
        for name in ("plain", "policy", "webhook"):
            plane.namespace(name, {LABEL: "enabled" if name == "webhook" else name})
        api = kubernetes.client.CoreV1Api(plane.client())
        time.sleep(2)  # the API server loads policies and webhooks a moment after they change
        create_all(api, "policy", "warm-policy")
        create_all(api, "webhook", "warm-webhook")
        for round_number in range(ROUNDS):
            for name in ("plain", "policy", "webhook"):
                results.setdefault(name, []).append(create_all(api, name, f"r{round_number}"))
    per_pod = {n: statistics.median(total / PODS for total, _ in r) for n, r in results.items()}

    def quantile(name: str, q: int) -> float:
        return statistics.median(
            statistics.quantiles(latencies, n=100)[q - 1] for _, latencies in results[name]
        )

    rows: list[tuple[str, float, float, float | None]] = [
        (
            f"admission: {PODS} pod creates ({WORKERS} clients), policy vs no injection (per pod)",
            per_pod["policy"],
            per_pod["plain"],
            1.2,
        ),
        (
            "admission: policy vs the webhook, same config (per pod)",
            per_pod["policy"],
            per_pod["webhook"],
            1.0,
        ),
    ]
    for q in (50, 99):
        rows.append(
            (
                f"admission: create latency p{q}, policy vs no injection",
                quantile("policy", q),
                quantile("plain", q),
                None,
            )
        )
        rows.append(
            (
                f"admission: create latency p{q}, webhook vs no injection",
                quantile("webhook", q),
                quantile("plain", q),
                None,
            )
        )
    return rows


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="krm-fn-admission-bench-") as directory:
        for what, ours, base, target in run(Path(directory)):
            print(
                f"{what}: {ours * 1000:.1f} ms vs {base * 1000:.1f} ms = {ours / base:.2f}x"
                f" (target {target})"
            )
