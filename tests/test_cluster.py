"""What a real API server says about krm-fn's output (tests/cluster.py starts one per session).

- every example's expected output, and krm-fn's output over the corpus (tests/corpus.toml), is
  admitted with server-side dry run and strict field validation, into namespaces enforcing the
  Pod Security level krm-fn computes for it; one level stricter, the server refuses it for the
  reasons krm-fn names; with the app containers hardened, every injected container passes
  "restricted";
- the examples krm-fn refuses (a budget, an enforced level) are refused by the server too, for
  the same reason, when krm-fn's check is taken out of the way;
- a Deployment made by krm-fn runs through the controllers: its stored Pods have the sidecar.
"""

import copy
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from cluster import ControlPlane
from support import EXAMPLES, corpus_file, normalize

from krm_fn.editing.record import read_record
from krm_fn.framework import transform
from krm_fn.kube.containers import RESTRICTED
from krm_fn.kube.podsecurity import ENFORCE_LABEL, violations
from krm_fn.kube.workloads import pod_templates
from krm_fn.manifests import yamlio

ALL_EXAMPLES = sorted(d for d in EXAMPLES.iterdir() if (d / "kustomization.yaml").exists())
BUILT = [d for d in ALL_EXAMPLES if (d / "expected.yaml").exists()]
LEVELS = ("privileged", "baseline", "restricted")
CRDS = Path(__file__).parent / "crds"
# injected containers that need more than "restricted", and why (as in test_examples.py)
NOT_RESTRICTED = {("elasticsearch-sysctl", "update-sysctl"): "privileged"}
ROLLOUT = {"group": "argoproj.io", "kind": "Rollout", "path": "$.spec.template"}


def kustomization(example: Path) -> dict[str, Any]:
    return yamlio.load((example / "kustomization.yaml").read_text())


def custom_paths(example: Path) -> list[Any]:
    from krm_fn.engine.config import load_config

    paths = []
    for name in kustomization(example).get("transformers", []):
        for instance in load_config(yamlio.load((example / name).read_text())):
            paths += instance.spec.pod_template_paths
    return paths


def built(example: Path) -> tuple[list[dict[str, Any]], list[Any]]:
    """An example's expected output (what gets deployed) and its custom pod template paths."""
    resources = normalize(yamlio.load_all((example / "expected.yaml").read_text()))
    return resources, custom_paths(example)


def pods(resources: list[dict[str, Any]], custom: Any = ()) -> list[Any]:
    return [pod for r in resources for pod in pod_templates(r, custom)]


def level_of(resources: list[dict[str, Any]], custom: Any = ()) -> str:
    """The strictest Pod Security level every pod passes, by krm-fn's own check."""
    for level in ("restricted", "baseline"):
        if not any(
            violations(p.spec, level, p.template.get("metadata")) for p in pods(resources, custom)
        ):
            return level
    return "privileged"


def into_namespace(resources: list[dict[str, Any]], namespace: str) -> list[dict[str, Any]]:
    """The resources in one namespace, without Namespace objects (the test makes those)."""
    moved = []
    for resource in copy.deepcopy(resources):
        if resource["kind"] == "Namespace":
            continue
        resource["metadata"]["namespace"] = namespace
        moved.append(resource)
    return moved


def dry_run(
    cluster: ControlPlane, resources: list[dict[str, Any]], tmp_path: Path, *more: str
) -> Any:
    """Server-side apply, dry run, strict field validation: what the server would do.

    The ServiceAccounts pods name are created for real first (the server looks them up).
    """
    accounts = {
        (r["metadata"]["namespace"], r["spec"].get("serviceAccountName"))
        for r in resources
        if r["kind"] == "Pod" and r["spec"].get("serviceAccountName")
    }
    for namespace, name in sorted(accounts):
        account = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": namespace},
        }
        cluster.kubectl("apply", "-f", "-", input=json.dumps(account), check=True)
    path = tmp_path / f"apply-{time.monotonic_ns()}.yaml"
    path.write_text(yamlio.dump_all(resources))
    return cluster.kubectl(
        "apply",
        "--server-side",
        "--dry-run=server",
        "--validate=strict",
        "--field-manager=krm-fn-test",
        "-f",
        str(path),
        *more,
    )


def pod_security_reasons(stderr: str) -> set[str]:
    """The checks a PodSecurity refusal names ("hostPath volumes", "runAsUser=0"...)."""
    found = set()
    for match in re.finditer(r'violates PodSecurity "[a-z]+:[a-z0-9.]+": (.*)', stderr):
        found |= {m.group(1) for m in re.finditer(r"(?:^|, )([^,()]+?) \(", match.group(1))}
    return found


# what krm-fn's violation fields are in the server's words
REASONS = [
    (r"host(Network|PID|IPC)$", None, "host namespaces"),
    (r"\.privileged$", None, "privileged"),
    (r"capabilities\.add$", "beyond the baseline", "non-default capabilities"),
    (r"capabilities\.(add|drop)$", None, "unrestricted capabilities"),
    (r"volumes\[", "hostPath", "hostPath volumes"),  # at restricted: restricted volume types
    (r"volumes\[", None, "restricted volume types"),
    (r"\.ports$", None, "hostPort"),
    (r"procMount$", None, "procMount"),
    (r"seccompProfile\.type$|seccomp", None, "seccompProfile"),
    (r"seLinuxOptions", None, "seLinuxOptions"),
    (r"sysctls$", None, "forbidden sysctls"),
    (r"apparmor|appArmorProfile", None, "forbidden AppArmor profile"),
    (r"allowPrivilegeEscalation$", None, "allowPrivilegeEscalation != false"),
    (r"runAsNonRoot$", None, "runAsNonRoot != true"),
    (r"runAsUser$", None, "runAsUser=0"),
    (r"hostProcess$", None, "hostProcess"),
    (r"(Probe|lifecycle\.\w+)\.(httpGet|tcpSocket)\.host$", None, "probe or lifecycle host"),
]


def reason_of(field: str, problem: str, level: str) -> str:
    for pattern, needle, reason in REASONS:
        if re.search(pattern, field) and (needle is None or needle in problem):
            if reason == "hostPath volumes" and level == "restricted":
                return "restricted volume types"  # the restricted check replaces the baseline one
            return reason
    raise AssertionError(f"no PodSecurity check for {field}: {problem}")


def krm_fn_reasons(resources: list[dict[str, Any]], level: str, custom: Any = ()) -> set[str]:
    return {
        reason_of(field, problem, level)
        for pod in pods(resources, custom)
        for field, problem in violations(pod.spec, level, pod.template.get("metadata"))
    }


def normalized_reasons(reasons: set[str]) -> set[str]:
    return {r.replace("profiles", "profile") for r in reasons}


@pytest.fixture(scope="module")
def crds(cluster: ControlPlane) -> None:
    cluster.kubectl("apply", "-f", str(CRDS), check=True)
    deadline = time.monotonic() + 60
    for group, plural in (("argoproj.io", "rollouts"), ("cert-manager.io", "certificates")):
        while plural not in cluster.kubectl("api-resources", f"--api-group={group}").stdout:
            assert time.monotonic() < deadline, f"the {plural} CRD was not served"
            time.sleep(0.5)


def namespace(
    cluster: ControlPlane, name: str, level: str, extra: dict[str, str] | None = None
) -> str:
    labels = {ENFORCE_LABEL: level, "pod-security.kubernetes.io/enforce-version": "latest"}
    return cluster.namespace(name, {**labels, **(extra or {})})


def short(example: Path) -> str:
    return re.sub(r"[^a-z0-9-]", "-", example.name)[:40].strip("-")


def as_pods(resources: list[dict[str, Any]], custom: Any = ()) -> list[dict[str, Any]]:
    """A Pod for each pod template: PodSecurity enforces on pods (on workloads it only warns)."""
    made = []
    for index, pod in enumerate(pods(resources, custom)):
        metadata = copy.deepcopy(pod.template.get("metadata") or {})
        metadata["name"] = f"{pod.workload['metadata']['name']}-{index}"[:63]
        metadata["namespace"] = pod.workload["metadata"].get("namespace")
        spec = copy.deepcopy(pod.spec)
        if spec.get("restartPolicy") is None and pod.kind in ("Job", "CronJob"):
            spec["restartPolicy"] = "Never"
        made.append({"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec})
    return made


@pytest.mark.parametrize("example", BUILT, ids=[d.name for d in BUILT])
def test_every_example_is_admitted_at_the_level_krm_fn_computes(
    example: Path, cluster: ControlPlane, crds: None, tmp_path: Path
) -> None:
    resources, custom = built(example)
    level = level_of(resources, custom)
    admitted = into_namespace(resources, namespace(cluster, f"{short(example)}-{level}", level))
    done = dry_run(cluster, admitted + as_pods(admitted, custom), tmp_path)
    assert done.returncode == 0, done.stderr
    if level == "restricted":
        return
    stricter = LEVELS[LEVELS.index(level) + 1]
    refused = into_namespace(
        resources, namespace(cluster, f"{short(example)}-{stricter}", stricter)
    )
    done = dry_run(cluster, as_pods(refused, custom), tmp_path)
    assert done.returncode != 0, f"the server admitted what krm-fn says is not {stricter}"
    expected = krm_fn_reasons(resources, stricter, custom)
    assert normalized_reasons(pod_security_reasons(done.stderr)) == expected, done.stderr


def hardened(resources: list[dict[str, Any]], custom: Any) -> list[dict[str, Any]]:
    """The resources with every app container (what krm-fn did not inject) restricted."""
    resources = copy.deepcopy(resources)
    for pod in pods(resources, custom):
        injected = {
            name
            for entry in read_record(pod.template).values()
            for name in (*entry.containers, *entry.initContainers)
        }
        for key in ("containers", "initContainers"):
            for container in pod.spec.get(key) or []:
                if container["name"] not in injected:
                    container["securityContext"] = {
                        **(container.get("securityContext") or {}),
                        **RESTRICTED,
                    }
        pod.spec.get("securityContext", {}).pop("runAsUser", None)
    return resources


@pytest.mark.parametrize("example", BUILT, ids=[d.name for d in BUILT])
def test_injected_containers_pass_restricted_for_the_server(
    example: Path, cluster: ControlPlane, crds: None, tmp_path: Path
) -> None:
    resources, custom = built(example)
    resources = hardened(resources, custom)
    ns = namespace(cluster, f"{short(example)}-hardened", "restricted")
    done = dry_run(cluster, as_pods(into_namespace(resources, ns), custom), tmp_path)
    needing_more = {c for (e, c) in NOT_RESTRICTED if e == example.name}
    if needing_more:
        assert done.returncode != 0
        assert all(f'"{c}"' in done.stderr for c in needing_more), done.stderr
    else:
        assert done.returncode == 0, done.stderr


def test_the_refused_namespace_example_is_refused_by_the_server_for_the_same_reasons(
    cluster: ControlPlane, tmp_path: Path
) -> None:
    example = EXAMPLES / "restricted-namespace"
    items = [
        d
        for name in kustomization(example)["resources"]
        for d in yamlio.load_all((example / name).read_text())
    ]
    [namespace_object] = [i for i in items if i["kind"] == "Namespace"]
    config = yamlio.load((example / kustomization(example)["transformers"][0]).read_text())
    unchecked = [i for i in copy.deepcopy(items) if i["kind"] != "Namespace"]
    results = transform(config, unchecked)  # krm-fn without the Namespace: it cannot check
    assert not [r for r in results if r.severity == "error"]
    ns = cluster.namespace("payments-enforced", namespace_object["metadata"]["labels"])
    done = dry_run(cluster, as_pods(into_namespace(unchecked, ns)), tmp_path)
    assert done.returncode != 0
    server = normalized_reasons(pod_security_reasons(done.stderr))
    ours = {
        reason_of(line.split(":")[0], line, "restricted")
        for line in (example / "expected-errors.txt").read_text().splitlines()
    }
    assert server == ours, done.stderr


def test_the_budget_example_is_refused_by_a_quota_for_the_same_reason(
    cluster: ControlPlane, tmp_path: Path
) -> None:
    example = EXAMPLES / "pod-resources-budget"
    [deployment] = yamlio.load_all((example / "deployment.yaml").read_text())
    config = yamlio.load((example / "checks.yaml").read_text())
    budget = next(p["spec"] for p in config["spec"]["patterns"] if p["kind"] == "PodResources")
    config["spec"]["patterns"] = [
        p for p in config["spec"]["patterns"] if p["kind"] != "PodResources"
    ]
    results = transform(config, [deployment])
    assert not [r for r in results if r.severity == "error"]
    [effective] = [r.message for r in results if r.message.startswith("effective pod requests")]
    ns = cluster.namespace("budget")
    hard = {f"requests.{k}": v for k, v in budget["maxRequests"].items()}
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "budget", "namespace": ns},
        "spec": {"hard": hard},
    }
    cluster.kubectl("apply", "-f", "-", input=json.dumps(quota), check=True)
    deadline = time.monotonic() + 60
    while (
        not json.loads(
            cluster.kubectl("get", "-n", ns, "resourcequota", "budget", "-o", "json").stdout
        )
        .get("status", {})
        .get("hard")
    ):
        assert time.monotonic() < deadline, "the quota controller never counted the namespace"
        time.sleep(0.3)
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "inference", "namespace": ns},
        "spec": deployment["spec"]["template"]["spec"],
    }
    done = dry_run(cluster, [pod], tmp_path)
    assert done.returncode != 0
    assert "exceeded quota: budget" in done.stderr, done.stderr
    requested = re.search(r"requested: requests\.cpu=(\S+?),", done.stderr)
    assert requested and f"cpu={requested.group(1)}" in effective, (done.stderr, effective)


CORPUS_CONFIG = {
    "apiVersion": "krm-fn.dev/v1alpha1",
    "kind": "PodPatterns",
    "metadata": {"name": "platform"},
    "spec": {
        "appContainers": ["*"],
        "patterns": [
            {"kind": "PodDefaults", "spec": {"labels": {"team": "shop"}}},
            {"kind": "WaitFor", "spec": {"tcp": ["db:5432"]}},
            {
                "kind": "Sidecar",
                "spec": {"containers": [{"name": "agent", "image": "busybox:1.36.1"}]},
            },
            {"kind": "GracefulShutdown", "spec": {"sleepSeconds": 5}},
        ],
    },
}


@pytest.mark.parametrize("name", ["microservices-demo.yaml", "argocd-repo-server-deployment.yaml"])
def test_krm_fn_output_over_the_corpus_is_admitted(
    name: str, cluster: ControlPlane, tmp_path: Path
) -> None:
    items = yamlio.load_all(corpus_file(name).read_text())
    results = transform(CORPUS_CONFIG, items)
    assert not [r for r in results if r.severity == "error"]
    level = level_of(items)
    ns = namespace(cluster, f"corpus-{name.split('.')[0][:30]}-{level}", level)
    placed = into_namespace(items, ns)
    done = dry_run(cluster, placed + as_pods(placed), tmp_path)
    assert done.returncode == 0, done.stderr
    strict = hardened(items, ())
    ns = namespace(cluster, f"corpus-{name.split('.')[0][:30]}-hardened", "restricted")
    done = dry_run(cluster, as_pods(into_namespace(strict, ns)), tmp_path)
    assert done.returncode == 0, done.stderr


def test_a_deployment_runs_through_the_controllers_with_its_sidecar(cluster: ControlPlane) -> None:
    import kubernetes

    example = EXAMPLES / "sidecar-log-shipper"
    [deployment] = [
        r
        for r in yamlio.load_all((example / "expected.yaml").read_text())
        if r["kind"] == "Deployment"
    ]
    ns = cluster.namespace("shop")
    deployment["metadata"]["namespace"] = ns
    cluster.kubectl("apply", "-f", "-", input=json.dumps(deployment), check=True)
    core = kubernetes.client.CoreV1Api(cluster.client())
    deadline = time.monotonic() + 60
    while len(stored := core.list_namespaced_pod(ns).items) < deployment["spec"]["replicas"]:
        assert time.monotonic() < deadline, f"no pods were created\n{cluster.log_tail()}"
        time.sleep(0.3)
    for pod in stored:
        assert pod.status.phase == "Pending"  # no scheduler, no kubelet: admitted and stored
        [sidecar] = pod.spec.init_containers
        assert (sidecar.name, sidecar.restart_policy) == ("access-log", "Always")
        assert sidecar.security_context.run_as_non_root is True
        assert "krm-fn.dev/injected" in pod.metadata.annotations
        assert pod.metadata.owner_references[0].kind == "ReplicaSet"


@pytest.mark.parametrize("example", BUILT, ids=[d.name for d in BUILT])
def test_records_still_verify_on_what_the_server_stores(
    example: Path, cluster: ControlPlane, crds: None, tmp_path: Path
) -> None:
    """The server fills in defaults (and the token mount, in pods): krm-fn's items still are
    krm-fn's by their digests, in the workloads and in the pods made from them."""
    from krm_fn.editing.record import PodItems, entry_items, unchanged
    from krm_fn.kube.workloads import all_containers

    resources, custom = built(example)
    ns = namespace(cluster, f"{short(example)}-stored", "privileged")
    placed = into_namespace(resources, ns)
    done = dry_run(cluster, placed + as_pods(placed, custom), tmp_path, "-o", "json")
    assert done.returncode == 0, done.stderr
    stored = json.loads(done.stdout)
    stored = stored.get("items", [stored])
    checked = 0
    for pod in pods(stored, custom):
        record = read_record(pod.template)
        for entry in record.values():
            for item, recorded in entry_items(entry):
                if item.field == "ports":
                    continue
                value = PodItems(pod).lookup(item)
                assert value is not None, f"{item} is not stored"
                assert unchanged(item.field, value, recorded), f"{pod.workload['kind']}: {item}"
                checked += 1
            containers = {c["name"]: c for c in all_containers(pod.spec)}
            for owner, replaced in entry.fieldsWas.items():
                for field, change in replaced.items():
                    value = containers[owner].get(field)
                    assert unchanged(field, value, change.set), f"{owner}.{field}: {value}"
                    checked += 1
            for field, change in entry.podFieldsWas.items():
                assert unchanged(field, pod.spec.get(field), change.set), field
                checked += 1
    assert checked or not any(read_record(p.template) for p in pods(resources, custom))
