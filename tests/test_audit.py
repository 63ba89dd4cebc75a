"""`krm-fn audit` on the control plane of the tests: pods made by the controllers, through the
webhook (tests/webhooks.py) and from templates injected at build time, read with the kubernetes
client, judged current, stale, missing or unverifiable; `--restart` patches only the template
annotation `kubectl rollout restart` sets, and only where a restart brings the injection.
"""

import copy
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster import ControlPlane
from support import EXAMPLES
from test_webhook_cluster import apply, ca_bundle, configuration
from webhooks import webhook_server, write_certs

from krm_fn.manifests import yamlio

KRM_FN = str(Path(sys.executable).parent / "krm-fn")
SIDECAR = EXAMPLES / "sidecar-log-shipper"
WEBHOOK = "krm-fn-audit"
LABEL = "krm-fn.dev/audit-webhook"


def audit(plane: ControlPlane, *args: str) -> tuple[int, Any, str]:
    """Run `krm-fn audit`; its exit code, its JSON report (or text) and stderr."""
    command = [KRM_FN, "audit", *args, "--kubeconfig", str(plane.kubeconfig), "--webhook", WEBHOOK]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    out: Any = done.stdout
    if "-o" in args and args[args.index("-o") + 1] == "json" and done.stdout:
        out = json.loads(done.stdout)
    return done.returncode, out, done.stderr


def rows(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The report's rows in this file's namespaces (the control plane is shared), by Kind/name."""
    ours = [r for r in report["workloads"] if str(r.get("namespace", "")).startswith("audit-")]
    return {f"{r['kind']}/{r['name']}": r for r in ours}


def deployment(name: str, source: Path = SIDECAR / "deployment.yaml") -> dict[str, Any]:
    [found] = [d for d in yamlio.load_all(source.read_text()) if d["kind"] == "Deployment"]
    made = copy.deepcopy(found)
    made["metadata"]["name"] = name
    made["spec"]["replicas"] = 2
    labels = {"app.kubernetes.io/name": name}
    made["spec"]["selector"] = {"matchLabels": labels}
    made["spec"]["template"]["metadata"]["labels"] = labels
    return made


def stored(plane: ControlPlane, name: str, namespace: str) -> dict[str, Any]:
    done = plane.kubectl("get", "deployment", name, "-n", namespace, "-o", "json", check=True)
    return dict(json.loads(done.stdout))


def pods_of(plane: ControlPlane, namespace: str, name: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 60
    while True:
        listed = plane.kubectl(
            "get", "pods", "-n", namespace, "-l", f"app.kubernetes.io/name={name}", "-o", "json"
        )
        items = json.loads(listed.stdout)["items"] if listed.returncode == 0 else []
        if len(items) >= count:
            return list(items)
        assert time.monotonic() < deadline, f"no pods of {name}: {plane.log_tail()}"
        time.sleep(0.3)


def create(plane: ControlPlane, namespace: str, *resources: dict[str, Any]) -> None:
    for resource in resources:
        resource["metadata"]["namespace"] = namespace
    plane.kubectl("apply", "-f", "-", input=yamlio.dump_all(list(resources)), check=True)


@pytest.fixture(scope="module")
def configs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The config as it was (v1) and as it is now (v2: the sidecar's image bumped)."""
    root = tmp_path_factory.mktemp("audit-configs")
    v1 = root / "v1" / "log-shipper.yaml"
    v1.parent.mkdir()
    shutil.copy(SIDECAR / "log-shipper.yaml", v1)
    v2 = root / "v2" / "log-shipper.yaml"
    v2.parent.mkdir()
    v2.write_text(v1.read_text().replace("busybox:1.36.1", "busybox:1.37.0"))
    assert v1.read_text() != v2.read_text()
    return {"v1": v1, "v2": v2}


@pytest.fixture(scope="module")
def workloads(
    cluster: ControlPlane, configs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ControlPlane]:
    """audit-w (the webhook's namespace): `shop` made through the webhook, `late` while it was
    down (failurePolicy Ignore), an opted-out pod; audit-b (no webhook): `built`, injected at
    build time, and a pod whose record was edited by hand."""
    root = tmp_path_factory.mktemp("audit")
    cluster.namespace("audit-w", {LABEL: "enabled"})
    cluster.namespace("audit-b")
    with webhook_server(configs["v1"].parent, write_certs(root / "tls"), workers=1) as server:
        apply(
            cluster,
            configuration(
                WEBHOOK,
                server.url,
                ca_bundle(server),
                policy="Ignore",
                label=LABEL,
                timeoutSeconds=5,
            ),
        )
        time.sleep(1)  # the API server picks up webhook configurations asynchronously
        create(cluster, "audit-w", deployment("shop"))
        pods_of(cluster, "audit-w", "shop", 2)
        opted = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "opted-out",
                "labels": {"app.kubernetes.io/name": "opted"},
                "annotations": {"krm-fn.dev/inject": "false"},
            },
            "spec": copy.deepcopy(deployment("x")["spec"]["template"]["spec"]),
        }
        create(cluster, "audit-w", opted)
    create(cluster, "audit-w", deployment("late"))  # the webhook is down now
    pods_of(cluster, "audit-w", "late", 2)
    optout = deployment("optout")  # its pods refuse the injection: a restart cannot bring it
    optout["spec"]["template"]["metadata"]["annotations"] = {"krm-fn.dev/inject": "false"}
    create(cluster, "audit-w", optout)
    pods_of(cluster, "audit-w", "optout", 2)
    hostile_pods(cluster)
    create(cluster, "audit-b", deployment("built", SIDECAR / "expected.yaml"))
    pods_of(cluster, "audit-b", "built", 2)
    [forged] = pods_of(cluster, "audit-b", "built", 1)[:1]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": "hand-edited",
            "labels": {"app.kubernetes.io/name": "edited"},
            "annotations": forged["metadata"]["annotations"],
        },
        "spec": copy.deepcopy(forged["spec"]),
    }
    for container in pod["spec"]["initContainers"]:
        container["image"] = "busybox:1.35.0"  # the record still names its old digest
    for volume in list(pod["spec"]["volumes"]):
        if volume["name"].startswith("kube-api-access-"):
            pod["spec"]["volumes"].remove(volume)
    for container in pod["spec"]["containers"] + pod["spec"]["initContainers"]:
        container["volumeMounts"] = [
            m
            for m in container.get("volumeMounts", [])
            if not m["name"].startswith("kube-api-access-")
        ]
    create(cluster, "audit-b", pod)
    yield cluster
    cluster.kubectl("delete", "mutatingwebhookconfiguration", WEBHOOK, check=True)


FORGED = "x/../../../audit-v/deployments/victim"  # path segments, on the owner's name
DISGUISE = "w\x1b[2K\rDeployment/shop  current"  # a terminal would show it as another row


def victim(name: str) -> dict[str, Any]:
    """A Deployment with no pods of its own: nothing makes it stale or missing."""
    made = deployment(name)
    made["spec"]["replicas"] = 0
    return made


def hostile_pods(cluster: ControlPlane) -> None:
    """audit-r (the webhook's namespace, its pods missing the injection): pods whose authors
    name owners they do not have. audit-v: a Deployment the path of one of them reaches."""
    cluster.namespace("audit-v")
    cluster.namespace("audit-r", {LABEL: "enabled"})
    create(cluster, "audit-v", victim("victim"))
    create(cluster, "audit-r", victim("victim"))
    uid = stored(cluster, "victim", "audit-r")["metadata"]["uid"]
    claims = {
        # an unknown version: the garbage collector cannot look it up, and leaves the pod be
        "traversal": {"apiVersion": "apps/v9", "kind": "Deployment", "name": FORGED},
        # the real uid of another Deployment: the collector finds the owner, and keeps the pod
        "same-uid": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "victim", "uid": uid},
        "disguise": {"apiVersion": "example.com/v1", "kind": "Widget", "name": DISGUISE},
    }
    for name, reference in claims.items():
        reference = {"uid": "0e7b0a39-96a3-4b0f-9a46-d2f1a1b7c0de", **reference, "controller": True}
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "labels": {"app.kubernetes.io/name": "victim"},
                "ownerReferences": [reference],
            },
            "spec": copy.deepcopy(deployment("x")["spec"]["template"]["spec"]),
        }
        create(cluster, "audit-r", pod)


def test_current_stale_missing_and_unverifiable(
    workloads: ControlPlane, configs: dict[str, Path]
) -> None:
    code, report, err = audit(workloads, str(configs["v1"]), "-n", "audit-w", "-o", "json")
    assert code == 1, err  # late and the opted-out pod miss it
    found = rows(report)
    assert found["Deployment/shop"]["state"] == "current"
    assert found["Deployment/shop"]["counts"]["current"] == 2
    late = found["Deployment/late"]
    assert late["state"] == "missing" and late["counts"]["missing"] == 2
    assert "while the webhook was down" in late["configs"][0]["detail"]
    opted = found["Pod/opted-out"]
    assert opted["state"] == "missing" and "opted out" in opted["configs"][0]["detail"]
    code, report, err = audit(workloads, str(configs["v2"]), "-n", "audit-w", "-o", "json")
    shop = rows(report)["Deployment/shop"]
    assert shop["state"] == "stale", json.dumps(report, indent=1)
    [finding] = shop["configs"]
    assert finding["config"] == "Sidecar/log-shipper"
    assert "initContainers access-log: changed" in finding["detail"]
    code, report, err = audit(workloads, str(configs["v1"]), "-n", "audit-b", "-o", "json")
    found = rows(report)
    assert found["Deployment/built"]["state"] == "current", found["Deployment/built"]
    edited = found["Pod/hand-edited"]
    assert edited["state"] == "unverifiable", edited
    assert code == 1


def test_all_current_exits_0_and_the_table(
    workloads: ControlPlane, configs: dict[str, Path]
) -> None:
    code, text, err = audit(
        workloads, str(configs["v1"]), "-n", "audit-b", "-l", "app.kubernetes.io/name=built"
    )
    assert code == 0, err
    [heading, line] = text.splitlines()[:2]
    assert heading.split() == [
        "NAMESPACE",
        "WORKLOAD",
        "STATE",
        "PODS",
        "CURRENT",
        "STALE",
        "MISSING",
        "UNVERIFIABLE",
    ]
    assert line.split() == ["audit-b", "Deployment/built", "current", "2", "2", "0", "0", "0"]
    code, text, err = audit(
        workloads,
        str(configs["v1"]),
        "-n",
        "audit-b",
        "-l",
        "app.kubernetes.io/name=built",
        "--not-selected",
    )
    assert code == 0 and "not selected" not in text  # the same: every pod is selected
    config = Path(str(configs["v1"]) + ".only-shop.yaml")
    config.write_text(
        configs["v1"]
        .read_text()
        .replace("spec:\n", "spec:\n  targets:\n  - name: nothing-here\n", 1)
    )
    code, text, err = audit(
        workloads, str(config), "-n", "audit-b", "-l", "app.kubernetes.io/name=built"
    )
    assert code == 0 and len(text.splitlines()) == 1, text  # only the heading
    code, text, err = audit(
        workloads,
        str(config),
        "-n",
        "audit-b",
        "-l",
        "app.kubernetes.io/name=built",
        "--not-selected",
    )
    assert code == 0 and text.splitlines()[1].split()[:4] == [
        "audit-b",
        "Deployment/built",
        "not",
        "selected",
    ], text


def test_restart_dry_run_then_restart(workloads: ControlPlane, configs: dict[str, Path]) -> None:
    plane = workloads
    names = (("shop", "audit-w"), ("late", "audit-w"), ("built", "audit-b"))
    before = {n: stored(plane, n, ns) for n, ns in names}
    code, report, err = audit(
        plane, str(configs["v2"]), "-A", "--restart", "--dry-run", "-o", "json"
    )
    found = rows(report)
    planned = {name for name, row in found.items() if row.get("restart") == "restart"}
    assert planned == {"Deployment/shop", "Deployment/late"}, found
    assert found["Deployment/shop"]["restart"] == "restart"  # stale, injected at admission
    assert found["Deployment/late"]["restart"] == "restart"  # missing
    assert "build time" in found["Deployment/built"]["restart"]
    assert "recreate it" in found["Pod/opted-out"]["restart"]
    assert "opt out" in found["Deployment/optout"]["restart"]  # missing, but by their choice
    for name in ("traversal", "same-uid", "disguise"):  # owners they claim are not theirs
        assert found[f"Pod/{name}"]["namespace"] == "audit-r"
        assert "recreate it" in found[f"Pod/{name}"]["restart"]
    after = {n: stored(plane, n, ns) for n, ns in names[:2]}
    for name in after:  # a dry run changes nothing
        assert after[name]["metadata"]["generation"] == before[name]["metadata"]["generation"]
    code, report, err = audit(
        plane,
        str(configs["v2"]),
        "-A",
        "--restart",
        "--batch-pause",
        "0",
        "--batch-size",
        "1",
        "-o",
        "json",
    )
    assert code == 1 and rows(report)["Deployment/shop"]["restart"] == "restarted", err
    assert "restarted Deployment/audit-w/late" in err
    for name, namespace in (("victim", "audit-v"), ("victim", "audit-r"), ("optout", "audit-w")):
        template = stored(plane, name, namespace)["spec"]["template"]
        assert "kubectl.kubernetes.io/restartedAt" not in str(template), (namespace, name)
    for name, namespace in (("shop", "audit-w"), ("late", "audit-w"), ("built", "audit-b")):
        now = stored(plane, name, namespace)
        old_template = copy.deepcopy(before[name]["spec"]["template"])
        new_template = copy.deepcopy(now["spec"]["template"])
        stamp = (new_template["metadata"].get("annotations") or {}).pop(
            "kubectl.kubernetes.io/restartedAt", None
        )
        if name == "built":
            assert stamp is None  # build time: not restarted
        else:
            assert stamp, name
            if not new_template["metadata"].get("annotations"):
                new_template["metadata"].pop("annotations", None)
        assert new_template == old_template, name  # nothing else changed


def test_a_name_cannot_disguise_the_table(
    workloads: ControlPlane, configs: dict[str, Path]
) -> None:
    code, text, err = audit(workloads, str(configs["v1"]), "-n", "audit-r")
    assert code == 1, err
    assert "\x1b" not in text and "\r" not in text, text
    assert [line.split()[1] for line in text.splitlines()[1:4]] == [
        "Pod/disguise",
        "Pod/same-uid",
        "Pod/traversal",
    ]


def list_requests(plane: ControlPlane) -> float:
    """The LISTs of pods the API server has answered (its own metrics)."""
    metrics = plane.kubectl("get", "--raw", "/metrics", check=True).stdout
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("apiserver_request_total{")
        and 'resource="pods"' in line
        and 'verb="LIST"' in line
    )


def test_lists_are_read_a_page_at_a_time(workloads: ControlPlane, configs: dict[str, Path]) -> None:
    _, whole, err = audit(workloads, str(configs["v1"]), "-n", "audit-w", "-o", "json")
    before = list_requests(workloads)
    _, paged, err = audit(
        workloads, str(configs["v1"]), "-n", "audit-w", "-o", "json", "--chunk-size", "1"
    )
    assert paged == whole, err
    pods = sum(row["pods"] for row in whole["workloads"])
    assert pods >= 5 and list_requests(workloads) - before >= pods  # one request per pod


def test_cluster_errors_are_one_line(configs: dict[str, Path], tmp_path: Path) -> None:
    broken = tmp_path / "kubeconfig"
    broken.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "gone",
                "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:9"}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "gone", "context": {"cluster": "c", "user": "u"}}],
            }
        )
    )
    command = [
        KRM_FN,
        "audit",
        str(configs["v1"]),
        "--kubeconfig",
        str(broken),
        "--context",
        "gone",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 3
    assert len(done.stderr.strip().splitlines()) == 1 and "gone" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    done = subprocess.run(
        [KRM_FN, "audit", str(configs["v1"]), "-n", "a", "-A"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2


def test_a_bad_config_names_its_file_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        (SIDECAR / "log-shipper.yaml").read_text().replace("  containers:", "  containerz:")
    )
    done = subprocess.run(
        [KRM_FN, "audit", str(bad), "-A"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert f"{bad}: spec.containerz" in done.stderr and "unknown field" in done.stderr, done.stderr
