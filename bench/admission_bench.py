"""make bench, admission: pod creates with no injection, the admission policy, the webhook.

On a control plane of tests/cluster.py, five namespaces: one served by nothing, one by the
policy `krm-fn admission-policy` compiles from the log-shipper example, one by `krm-fn webhook`
with the same config (a MutatingWebhookConfiguration to it on loopback), and two floors that get
the pod as the policy stores it: one served by nothing, one by a mutating policy that changes
nothing. In each, PODS pods are created by WORKERS clients at once, rounds alternating between
the namespaces; per namespace: pods per second and the create latency at p50 and p99 (medians
over the rounds).
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
ROUNDS = 7
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


INJECTED = ("policy", "webhook", "injected", "noop")  # namespaces whose pods must carry the record


def create_all(
    api: Any, namespace: str, prefix: str, body: dict[str, Any] | None = None
) -> tuple[float, list[float]]:
    """(seconds for all, each create's seconds): PODS pods by WORKERS clients at once."""

    def one(index: int) -> float:
        made_from = dict(body or pod(""))
        made_from["metadata"] = {**made_from["metadata"], "name": f"{prefix}-{index}"}
        start = time.perf_counter()
        # the raw answer: turning it into client models would cost this machine's CPU more
        # than the API server's admission does
        answer = api.create_namespaced_pod(namespace, made_from, _preload_content=False)
        took = time.perf_counter() - start
        annotations = json.loads(answer.data)["metadata"].get("annotations", {})
        if (namespace in INJECTED) != ("krm-fn.dev/injected" in annotations):
            raise SystemExit(f"pod {prefix}-{index} in {namespace}: not as expected")
        return took

    start = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        latencies = list(pool.map(one, range(PODS)))
    return time.perf_counter() - start, latencies


def noop_policy() -> list[dict[str, Any]]:
    """A policy for the `noop` namespace whose patch is always empty.

    What the API server spends on any mutating policy, whatever it does: every JSON patch
    mutation, even an empty one, encodes the pod, applies the patch, decodes, converts and
    defaults it (k8s.io/apiserver, policy/mutating/patch/json_patch.go; an ApplyConfiguration
    mutation converts the pod to a typed value and back, which costs as much). That is the
    floor krm-fn's policy is measured against, with the pod sent already injected (what the
    larger pod costs is the same for every way of injecting it); "no injection" is context.
    """
    api = "admissionregistration.k8s.io/v1"
    never = '[JSONPatch{op: "add", path: "/metadata/labels", value: {}}]'
    spec = {
        "matchConstraints": {
            "resourceRules": [
                {
                    "apiGroups": [""],
                    "apiVersions": ["v1"],
                    "operations": ["CREATE"],
                    "resources": ["pods"],
                }
            ]
        },
        "failurePolicy": "Fail",
        "reinvocationPolicy": "IfNeeded",
        "mutations": [
            {
                "patchType": "JSONPatch",
                "jsonPatch": {"expression": f'object.metadata.name == "" ? {never} : []'},
            }
        ],
    }
    binding = {
        "policyName": "noop",
        "matchResources": {"namespaceSelector": {"matchLabels": {LABEL: "noop"}}},
    }
    return [
        {
            "apiVersion": api,
            "kind": "MutatingAdmissionPolicy",
            "metadata": {"name": "noop"},
            "spec": spec,
        },
        {
            "apiVersion": api,
            "kind": "MutatingAdmissionPolicyBinding",
            "metadata": {"name": "noop"},
            "spec": binding,
        },
    ]


def run(work: Path) -> list[tuple[str, float, float, float | None]]:
    """(what, krm-fn's seconds per pod, the baseline's, target ratio) and the latency rows."""
    import kubernetes
    from cluster import control_plane
    from webhooks import ca_bundle, configuration, webhook_server, write_certs

    from krm_fn.manifests import yamlio

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
        plane.kubectl("apply", "-f", "-", input=yamlio.dump_all(noop_policy()), check=True)
        hook = configuration(
            "krm-fn-bench",
            server.url,
            ca_bundle(server),
            label=LABEL,
            reinvocationPolicy="IfNeeded",
        )
        plane.kubectl("apply", "-f", "-", input=json.dumps(hook), check=True)
        names = ("plain", "policy", "webhook", "noop", "injected")
        for name in names:
            plane.namespace(name, {LABEL: "enabled" if name == "webhook" else name})
        api = kubernetes.client.CoreV1Api(plane.client())
        time.sleep(2)  # the API server loads policies and webhooks a moment after they change
        create_all(api, "policy", "warm-policy")
        create_all(api, "webhook", "warm-webhook")
        # the pod as the policy stores it, sent as it is to a namespace nothing serves
        stored = api.api_client.sanitize_for_serialization(
            api.read_namespaced_pod("warm-policy-0", "policy")
        )
        injected = {k: stored[k] for k in ("apiVersion", "kind", "spec")}
        injected["metadata"] = {k: stored["metadata"][k] for k in ("labels", "annotations")}
        for volume in injected["spec"]["volumes"][:]:  # the token's: the API server adds its own
            if volume["name"].startswith("kube-api-access-"):
                injected["spec"]["volumes"].remove(volume)
                for container in (
                    injected["spec"]["containers"] + injected["spec"]["initContainers"]
                ):
                    container["volumeMounts"] = [
                        m for m in container.get("volumeMounts", []) if m["name"] != volume["name"]
                    ]
        for round_number in range(ROUNDS):
            for name in names:
                body = injected if name in ("injected", "noop") else None
                results.setdefault(name, []).append(create_all(api, name, f"r{round_number}", body))
    per_pod = {n: statistics.median(total / PODS for total, _ in r) for n, r in results.items()}

    def quantile(name: str, q: int) -> float:
        return statistics.median(
            statistics.quantiles(latencies, n=100)[q - 1] for _, latencies in results[name]
        )

    rows: list[tuple[str, float, float, float | None]] = [
        (
            f"admission: {PODS} pod creates ({WORKERS} clients), policy vs a mutating policy"
            " that changes nothing, the pod sent injected (per pod)",
            per_pod["policy"],
            per_pod["noop"],
            1.2,
        ),
        (
            "admission: policy vs the webhook, same config (per pod)",
            per_pod["policy"],
            per_pod["webhook"],
            1.0,
        ),
        (
            "admission, context: policy vs no injection (per pod)",
            per_pod["policy"],
            per_pod["plain"],
            None,
        ),
        (
            "admission, context: a mutating policy that changes nothing vs no policy, the pod"
            " sent injected to both",
            per_pod["noop"],
            per_pod["injected"],
            None,
        ),
        (
            "admission, context: the injected pod sent as it is vs no injection (its size)",
            per_pod["injected"],
            per_pod["plain"],
            None,
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
