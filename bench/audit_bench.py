"""make bench, audit: `krm-fn audit -A` over 2,000 pods against `kubectl get pods -A -o json`.

On a control plane of tests/cluster.py: 20 Deployments of 100 replicas made from the log-shipper
example's expected output (injected at build time: every pod is judged), their pods made by the
controller-manager. Both commands read the same pods from the same API server; the audit also
reads their owners and judges each distinct template once.
"""

import copy
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

DEPLOYMENTS = 20
REPLICAS = 100
RUNS = 5
KRM_FN = str(Path(sys.executable).parent / "krm-fn")
EXAMPLE = ROOT / "kustomization-examples" / "sidecar-log-shipper"


def median_seconds(command: list[str]) -> float:
    """Median wall time of a command over RUNS runs (exit 0 or 1: the audit found something)."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)}: {done.stderr.decode()[-2000:]}")
    return statistics.median(times)


def run(work: Path) -> list[tuple[str, float, float, float | None]]:
    """(what, krm-fn audit, kubectl get pods, target ratio)."""
    from cluster import control_plane

    from krm_fn.manifests import yamlio

    [deployment] = [
        d
        for d in yamlio.load_all((EXAMPLE / "expected.yaml").read_text())
        if d["kind"] == "Deployment"
    ]
    with control_plane(work / "plane") as plane:
        plane.namespace("bench")
        made = []
        for index in range(DEPLOYMENTS):
            copied = copy.deepcopy(deployment)
            name = f"shop-{index}"
            labels = {"app.kubernetes.io/name": name}
            copied["metadata"] = {"name": name, "namespace": "bench"}
            copied["spec"]["replicas"] = REPLICAS
            copied["spec"]["selector"] = {"matchLabels": labels}
            copied["spec"]["template"]["metadata"]["labels"] = labels
            made.append(copied)
        plane.kubectl("apply", "-f", "-", input=yamlio.dump_all(made), check=True)
        deadline = time.monotonic() + 600
        while True:
            listed = plane.kubectl("get", "pods", "-n", "bench", "-o", "name").stdout.split()
            if len(listed) >= DEPLOYMENTS * REPLICAS:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(listed)} pods after 600 s")
            time.sleep(2)
        kubeconfig = str(plane.kubeconfig)
        audit = [
            KRM_FN,
            "audit",
            str(EXAMPLE / "log-shipper.yaml"),
            "-A",
            "-o",
            "json",
            "--kubeconfig",
            kubeconfig,
        ]
        report = json.loads(subprocess.run(audit, capture_output=True, check=False).stdout)
        judged = sum(row["pods"] for row in report["workloads"])
        if judged != DEPLOYMENTS * REPLICAS:
            raise SystemExit(f"the audit judged {judged} pods")
        ours = median_seconds(audit)
        kubectl = median_seconds(
            ["kubectl", "--kubeconfig", kubeconfig, "get", "pods", "-A", "-o", "json"]
        )
    pods = DEPLOYMENTS * REPLICAS
    return [
        (
            f"audit: {pods:,} pods, krm-fn audit -A vs kubectl get pods -A -o json",
            ours,
            kubectl,
            2.0,
        )
    ]


if __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="krm-fn-audit-bench-") as directory:
        for what, ours, base, target in run(Path(directory)):
            print(
                f"{what}: {ours * 1000:.0f} ms vs {base * 1000:.0f} ms = {ours / base:.2f}x"
                f" (target {target})"
            )
