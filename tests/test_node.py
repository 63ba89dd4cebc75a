"""Pods run: the examples and the webhook on a real node (tests/node.py), seen from inside.

- a pod reaches a Service by name (CoreDNS, kube-proxy), and the images are what they say;
- an example injected at build time, and the same Deployment injected by krm-fn's webhook
  running as a pod (installed from charts/krm-fn-webhook, reached through its Service): both
  Ready, every injected container running, the sidecar streaming the app's log; and the same
  through `helm install` with krm-fn as its post-renderer;
- injected containers run as they claim: not root, a read-only root filesystem, no
  capabilities, seccomp on;
- a Job completes with its native sidecar, and never with the same sidecar as a plain
  container (what krm-fn warns about for targets before 1.29);
- `krm-fn audit` on the live pods: current, stale after the config changed, and `--restart`
  brings them back current through the webhook pod.

Each test works in namespaces of its own. A wait that runs out prints what the pods say
(statuses, events, logs: Node.explain).
"""

import copy
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from node import NODE_IP, Node, built, local, of_kind
from support import EXAMPLES, built_tool, krm_fn_command, run

from krm_fn.manifests import yamlio

SIDECAR = EXAMPLES / "sidecar-log-shipper"
CRONJOB = EXAMPLES / "cronjob-native-sidecar"
SHOP_CHART = Path(__file__).resolve().parent / "charts" / "shop"
WEBHOOK_LABEL = {"krm-fn.dev/webhook": "enabled"}


@pytest.fixture(autouse=True)
def own_namespaces(node: Node) -> Iterator[None]:
    """What a test made goes when it ends (the webhook's namespace stays for the module)."""
    yield
    node.forget(keep=("krm-fn",))


def test_a_pod_reaches_a_service_by_name(node: Node) -> None:
    namespace = node.namespace("node-dns")
    web = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {"name": "web", "image": "nginx:1.27.3", "ports": [{"containerPort": 80}]}
                    ]
                },
            },
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 8080, "targetPort": 80}]},
    }
    client = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "client"},
        "spec": {
            "restartPolicy": "OnFailure",
            "containers": [
                {
                    "name": "client",
                    "image": "busybox:1.36.1",
                    "command": [
                        "sh",
                        "-c",
                        "nslookup web.node-dns.svc.cluster.local && "
                        "wget -qO- http://web:8080/ && echo fetched-by-name",
                    ],
                }
            ],
        },
    }
    node.apply(namespace, local(web), service, local(client))
    node.wait(
        namespace,
        "the client fetched the Service by name",
        lambda: node.json("pod", "client", "-n", namespace)["status"].get("phase") == "Succeeded",
    )
    logs = node.kubectl("logs", "-n", namespace, "client").stdout
    cluster_ip = node.json("service", "web", "-n", namespace)["spec"]["clusterIP"]
    assert f"Address: {cluster_ip}" in logs and "nginx\nfetched-by-name" in logs, logs
    assert f"Server:\t\t{NODE_IP}" in logs  # the cluster's DNS, on the node's address


@pytest.mark.parametrize(
    ("image", "command", "expected"),
    [
        ("busybox:1.36.1", ["sh", "-c", "busybox | head -1"], "BusyBox v1"),
        ("nginx:1.27.3", ["sh", "-c", "nginx -T 2>&1 | grep -c 'load_module.*stream'"], "1"),
        (
            "redis:7.4.1-alpine",
            ["sh", "-c", "redis-server --daemonize yes && sleep 1 && redis-cli ping"],
            "PONG",
        ),
        ("alpine/git:2.45.2", ["--version"], "git version 2."),
    ],
)
def test_the_images_are_what_they_say(
    node: Node, image: str, command: list[str], expected: str
) -> None:
    namespace = node.namespace(f"node-image-{image.split(':')[0].replace('/', '-')}")
    container: dict[str, Any] = {"name": "c", "image": image, "imagePullPolicy": "IfNotPresent"}
    container["args" if command[0].startswith("--") else "command"] = command
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "check"},
        "spec": {"restartPolicy": "Never", "containers": [container]},
    }
    node.apply(namespace, pod)
    node.wait(
        namespace,
        f"{image} ran",
        lambda: (
            node.json("pod", "check", "-n", namespace)["status"].get("phase")
            in ("Succeeded", "Failed")
        ),
    )
    logs = node.kubectl("logs", "-n", namespace, "check").stdout
    assert expected in logs, node.explain(namespace)


@pytest.fixture(scope="module")
def webhook(node: Node, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """krm-fn's webhook as users run it: the chart, the project's image, the log shipper's config;
    TLS from `krm-fn webhook certs`. Yields the chart's values."""
    work = tmp_path_factory.mktemp("webhook-chart")
    namespace = node.namespace("krm-fn")
    ca = run(
        [
            krm_fn_command(),
            "webhook",
            "certs",
            "--service",
            "krm-fn-webhook",
            "--namespace",
            namespace,
            "--dir",
            str(work / "tls"),
        ]
    )
    assert ca.returncode == 0, ca.stderr
    node.kubectl(
        "create",
        "secret",
        "tls",
        "krm-fn-tls",
        "-n",
        namespace,
        f"--cert={work / 'tls' / 'tls.crt'}",
        f"--key={work / 'tls' / 'tls.key'}",
        check=True,
    )
    values = {
        "image": {"repository": "localhost/krm-fn", "tag": "0.1.0", "pullPolicy": "IfNotPresent"},
        "replicas": 1,
        "tls": {"certManager": False, "secretName": "krm-fn-tls", "caBundle": ca.stdout.strip()},
        "configs": {"log-shipper.yaml": yamlio.load((SIDECAR / "log-shipper.yaml").read_text())},
    }
    helm(node, work, "install", values)
    yield values
    run(
        [
            built_tool("helm"),
            "uninstall",
            "krm-fn",
            "-n",
            namespace,
            "--wait",
            f"--kubeconfig={node.kubeconfig}",
        ]
    )


def served_generation(node: Node) -> int:
    """The generation of configs the webhook pod serves (its /readyz, on the pod's address)."""
    import re
    import urllib.request

    [pod] = node.pods("krm-fn", "app.kubernetes.io/name=krm-fn-webhook")
    url = f"http://{pod['status']['podIP']}:8080/readyz"
    with urllib.request.urlopen(url, timeout=5) as answer:
        found = re.search(r"generation (\d+)", answer.read().decode())
    return int(found.group(1)) if found else 0


def helm(node: Node, work: Path, verb: str, values: dict[str, Any]) -> None:
    """`helm install|upgrade` of the webhook's chart, waiting for its pods (and, after an
    upgrade, for the webhook to serve the new configs: it reloads them from its volume)."""
    generation = served_generation(node) if verb == "upgrade" else 0
    (work / "values.yaml").write_text(yamlio.dump(values))
    chart = Path(__file__).resolve().parent.parent / "charts" / "krm-fn-webhook"
    done = run(
        [
            built_tool("helm"),
            verb,
            "krm-fn",
            str(chart),
            "-n",
            "krm-fn",
            "--wait",
            "--timeout=180s",
            f"--values={work / 'values.yaml'}",
            f"--kubeconfig={node.kubeconfig}",
        ],
        timeout=240,
    )
    assert done.returncode == 0, done.stderr + node.explain("krm-fn")
    if verb == "upgrade":
        node.wait(
            "krm-fn",
            "the webhook serving the new configs",
            lambda: served_generation(node) > generation,
        )


def shop(node: Node, namespace: str, resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The log shipper example's Deployment, applied and running: its pods."""
    node.apply(namespace, *resources)
    selector = "app.kubernetes.io/name=shop"
    node.wait(
        namespace, "the shop's pods running", lambda: node.all_running(namespace, selector, 2)
    )
    return node.pods(namespace, selector)


def app_log(node: Node, namespace: str, pod: str) -> str:
    return str(node.kubectl("logs", "-n", namespace, pod, "-c", "access-log").stdout)


def test_build_time_and_the_webhook_pod_give_the_same_running_pods(
    node: Node, webhook: dict[str, Any], plugin_home: Path
) -> None:
    deployment = of_kind(built(SIDECAR, plugin_home), "Deployment")
    at_build = shop(node, node.namespace("node-built"), [deployment])
    plain = local(yamlio.load((SIDECAR / "deployment.yaml").read_text()))
    namespace = node.namespace("node-admitted", WEBHOOK_LABEL)
    admitted = shop(node, namespace, [plain])
    configuration = node.json("mutatingwebhookconfiguration", "krm-fn")
    assert configuration["webhooks"][0]["clientConfig"]["service"]["name"] == "krm-fn-webhook"
    template = deployment["spec"]["template"]
    record = template["metadata"]["annotations"]["krm-fn.dev/injected"]
    for pod in at_build + admitted:  # the same injection, both ways
        assert pod["metadata"]["annotations"]["krm-fn.dev/injected"] == record
        names = [c["name"] for c in pod["spec"]["initContainers"]]
        assert names == [c["name"] for c in template["spec"]["initContainers"]] == ["access-log"]
    for pod in admitted:  # the sidecar streams what the app writes to its file
        name = pod["metadata"]["name"]
        node.exec(namespace, name, "shop", "wget", "-qO-", "http://127.0.0.1:8080/")

        def logged(pod_name: str = name) -> bool:
            return "response:200" in app_log(node, namespace, pod_name)

        node.wait(namespace, "the request in the sidecar's log", logged)
        assert "shop started" in app_log(node, namespace, name)


def test_helm_with_krm_fn_as_post_renderer_gives_the_same_running_pods(
    node: Node, plugin_home: Path, tmp_path: Path
) -> None:
    """`helm install --post-renderer krm-fn` (Helm 3, the command form) of a chart with the
    example's app: its pods carry the injection build time gives, and the sidecar streams."""
    deployment = of_kind(built(SIDECAR, plugin_home), "Deployment")
    namespace = node.namespace("node-helm")
    home = tmp_path / "helm"
    app = deployment["spec"]["template"]["spec"]["containers"][0]
    done = run(
        [
            built_tool("helm"),
            "install",
            "shop",
            str(SHOP_CHART),
            "-n",
            namespace,
            "--wait",
            "--timeout=120s",
            f"--kubeconfig={node.kubeconfig}",
            f"--set=image={app['image']}",
            f"--set-json=args={json.dumps(app['args'])}",
            "--set=migrate=false",
            "--post-renderer",
            krm_fn_command(),
            "--post-renderer-args=run",
            "--post-renderer-args=-q",
            f"--post-renderer-args={SIDECAR / 'log-shipper.yaml'}",
        ],
        env={
            "HOME": str(home),
            "PATH": "/usr/bin:/bin",
            "HELM_CACHE_HOME": str(home),
            "HELM_CONFIG_HOME": str(home),
            "HELM_DATA_HOME": str(home),
        },
        timeout=180,
    )
    assert done.returncode == 0, done.stderr + node.explain(namespace)
    [pod] = node.running(namespace, "app.kubernetes.io/instance=shop")
    template = deployment["spec"]["template"]
    record = template["metadata"]["annotations"]["krm-fn.dev/injected"]
    assert pod["metadata"]["annotations"]["krm-fn.dev/injected"] == record
    assert pod["spec"]["initContainers"][0]["name"] == "access-log"
    name = pod["metadata"]["name"]
    node.exec(namespace, name, "shop", "wget", "-qO-", "http://127.0.0.1:8080/")
    node.wait(
        namespace,
        "the request in the sidecar's log",
        lambda: "response:200" in app_log(node, namespace, name),
    )


def test_injected_containers_run_as_they_claim(node: Node, plugin_home: Path) -> None:
    deployment = of_kind(built(SIDECAR, plugin_home), "Deployment")
    namespace = node.namespace("node-claims")
    [pod, _] = shop(node, namespace, [deployment])
    seen = node.exec(
        namespace,
        pod["metadata"]["name"],
        "access-log",
        "sh",
        "-c",
        "id -u; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status;"
        " touch /probe 2>&1; echo touched=$?",
    )
    assert seen.returncode == 0, seen.stderr
    lines = seen.stdout.splitlines()
    status = dict(line.split(":\t") for line in lines if ":\t" in line)
    assert lines[0] == "65534"  # not root
    assert status == {
        "CapEff": "0000000000000000",
        "CapBnd": "0000000000000000",
        "NoNewPrivs": "1",
        "Seccomp": "2",
    }  # no capability; seccomp filtering
    assert "Read-only file system" in seen.stdout and "touched=1" in seen.stdout


def report_job(node: Node, namespace: str, cronjob: dict[str, Any]) -> None:
    """A Job of the nightly report CronJob, now (as `kubectl create job --from=cronjob/`)."""
    node.apply(namespace, cronjob)
    node.kubectl(
        "create", "job", "report", "-n", namespace, "--from=cronjob/nightly-report", check=True
    )


def job_pod(node: Node, namespace: str) -> dict[str, Any]:
    listed = node.pods(namespace, "job-name=report")
    return listed[0] if listed else {}


def report_finished(pod: dict[str, Any]) -> bool:
    statuses = pod.get("status", {}).get("containerStatuses", [])
    return any(s["name"] == "report" and "terminated" in s.get("state", {}) for s in statuses)


def test_a_job_completes_with_its_native_sidecar_and_never_with_a_plain_one(
    node: Node, plugin_home: Path, tmp_path: Path
) -> None:
    [cronjob] = built(CRONJOB, plugin_home)
    native = node.namespace("node-job-native")
    report_job(node, native, cronjob)
    node.wait(
        native,
        "the Job complete",
        lambda: any(
            c["type"] == "Complete" and c["status"] == "True"
            for c in node.json("job", "report", "-n", native)["status"].get("conditions", [])
        ),
    )
    logs = node.kubectl("logs", "-n", native, "job/report", "-c", "report").stdout
    assert "report written" in logs
    # the same sidecar for a target before 1.29: a plain container, which never exits
    example = Path(shutil.copytree(CRONJOB, tmp_path / "example"))
    config = example / "cloud-sql-proxy.yaml"
    config.write_text(
        config.read_text().replace('kubernetesVersion: "1.31"', 'kubernetesVersion: "1.28"')
    )
    warned = run([krm_fn_command(), "run", str(config), str(example / "cronjob.yaml")])
    assert warned.returncode == 0 and "keeps this pod from completing" in warned.stderr
    [plain] = built(example, plugin_home)
    containers = plain["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["report", "cloud-sql-proxy"]
    stuck = node.namespace("node-job-plain")
    report_job(node, stuck, plain)
    node.wait(stuck, "the report done", lambda: report_finished(job_pod(node, stuck)))
    import time

    time.sleep(10)  # the report is done; the proxy beside it never is
    pod = job_pod(node, stuck)
    assert pod["status"]["phase"] == "Running", node.explain(stuck)
    assert not node.json("job", "report", "-n", stuck)["status"].get("succeeded")


def dry_run_memory(node: Node, namespace: str) -> str:
    """The memory limit the webhook gives the shop's sidecar now (a pod created in dry run)."""
    template = yamlio.load((SIDECAR / "deployment.yaml").read_text())["spec"]["template"]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", **template["metadata"]},
        "spec": template["spec"],
    }
    done = node.kubectl(
        "create",
        "-n",
        namespace,
        "--dry-run=server",
        "-o",
        "json",
        "-f",
        "-",
        input=json.dumps(pod),
    )
    if done.returncode != 0:
        return ""
    sidecars = json.loads(done.stdout)["spec"].get("initContainers", [])
    return str(sidecars[0]["resources"]["limits"]["memory"]) if sidecars else ""


def audit(node: Node, namespace: str, *args: str, configs: Path) -> tuple[int, Any]:
    command = [
        str(Path(sys.executable).parent / "krm-fn"),
        "audit",
        str(configs),
        "-n",
        namespace,
        "--kubeconfig",
        str(node.kubeconfig),
        "--webhook",
        "krm-fn",
        "-o",
        "json",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    return done.returncode, json.loads(done.stdout) if done.stdout else done.stderr


def test_audit_on_live_pods_and_a_restart_through_the_webhook_pod(
    node: Node, webhook: dict[str, Any], tmp_path: Path
) -> None:
    namespace = node.namespace("node-audit", WEBHOOK_LABEL)
    shop(node, namespace, [local(yamlio.load((SIDECAR / "deployment.yaml").read_text()))])
    configs = tmp_path / "configs"
    configs.mkdir()
    config = copy.deepcopy(webhook["configs"]["log-shipper.yaml"])
    (configs / "log-shipper.yaml").write_text(yamlio.dump(config))
    code, report = audit(node, namespace, configs=configs)
    [row] = report["workloads"]
    assert code == 0 and row["state"] == "current" and row["counts"]["current"] == 2, report
    # the config changes: the sidecar gets more memory (an image the node has, still)
    config["spec"]["containers"][0]["resources"]["limits"]["memory"] = "48Mi"
    (configs / "log-shipper.yaml").write_text(yamlio.dump(config))
    code, report = audit(node, namespace, configs=configs)
    [row] = report["workloads"]
    assert code == 1 and row["state"] == "stale", report
    assert "initContainers access-log: changed" in row["configs"][0]["detail"]
    helm(node, tmp_path, "upgrade", {**webhook, "configs": {"log-shipper.yaml": config}})
    # every worker reloads on its own (within seconds): wait until a pod created now gets it
    node.wait(
        namespace,
        "the webhook injecting the new config",
        lambda: dry_run_memory(node, namespace) == "48Mi",
    )
    selector = "app.kubernetes.io/name=shop"
    before = {p["metadata"]["name"] for p in node.pods(namespace, selector)}
    code, report = audit(node, namespace, "--restart", "--batch-pause=0", configs=configs)
    assert report["workloads"][0]["restart"] == "restarted", report

    def replaced() -> bool:
        names = {p["metadata"]["name"] for p in node.live_pods(namespace, selector)}
        return node.all_running(namespace, selector, 2) and not names & before

    node.wait(namespace, "new pods, injected with the new config", replaced)
    for pod in node.live_pods(namespace, selector):
        [sidecar] = pod["spec"]["initContainers"]
        assert sidecar["resources"]["limits"]["memory"] == "48Mi"
    code, report = audit(node, namespace, configs=configs)
    assert code == 0 and report["workloads"][0]["state"] == "current", report
    helm(node, tmp_path, "upgrade", webhook)  # the chart as the other tests expect it
    node.wait(
        namespace,
        "the webhook injecting the first config again",
        lambda: dry_run_memory(node, namespace) == "32Mi",
    )
