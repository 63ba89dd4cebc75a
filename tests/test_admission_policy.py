"""Admission without a server: `krm-fn admission-policy` on the test control plane.

Every example whose configs compile: its pods created once in a namespace the compiled policy
serves and once in a namespace `krm-fn webhook` serves, and stored equal; the webhook and a
build-time run change nothing more in a pod the policy injected. Then what a policy must not do:
inject opted-out pods, pods of other namespaces, pods already injected, or a pod it cannot
inject exactly (the validating policy refuses it, with the reason).
"""

import contextlib
import difflib
import itertools
import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cluster import ControlPlane
from support import EXAMPLES
from webhooks import (
    KRM_FN,
    ca_bundle,
    configuration,
    pods_of,
    review,
    webhook_server,
    write_certs,
)

from krm_fn.configfiles import load_config_files
from krm_fn.engine.admission import admission_problem
from krm_fn.manifests import yamlio
from krm_fn.webhook.admission import answer

COMPILED = [
    "cronjob-native-sidecar",
    "download-model-s3",
    "elasticsearch-log-tailer",
    "elasticsearch-sysctl",
    "git-clone-httpd",
    "init-container-ordering",
    "pod-defaults-webhook-label",
    "redis-local-cache",
    "restricted-namespace",
    "sidecar-log-shipper",
    "wait-for-database",
]
REFUSED = {  # an example whose config does not compile, and what the error names
    "nginx-graceful-shutdown": "spec.terminationGracePeriodSeconds",
    "migration-before-app": "depends on the pod (initContainers[name=migrate].image changes",
    "config-reload-signal": "which only the webhook sees",  # it needs the pod's volume
    # the init container runs as the app's user
    "vault-secrets": "(initContainers[name=vault-secrets].securityContext.runAsUser changes",
}
COUNT = itertools.count()
TOKEN = re.compile(r"kube-api-access-[a-z0-9]{5}")


def split(example: Path) -> tuple[list[Path], list[dict[str, Any]]]:
    """The example's config files and its other resources."""
    configs, resources = [], []
    for path in sorted(example.glob("*.yaml")):
        if path.name == "expected.yaml":
            continue
        documents = [d for d in yamlio.load_all(path.read_text()) if isinstance(d, dict)]
        if any(str(d.get("apiVersion", "")).startswith("krm-fn.dev/") for d in documents):
            configs.append(path)
        elif all("kind" in d and d.get("kind") != "Kustomization" for d in documents):
            resources += documents
    return configs, resources


def policy(configs: list[Path], name: str, label: str, *extra: str) -> Any:
    return subprocess.run(
        [
            KRM_FN,
            "admission-policy",
            *map(str, configs),
            "--name",
            name,
            "--namespace-label",
            f"krm-fn.dev/admission-policy={label}",
            *extra,
        ],
        capture_output=True,
        text=True,
    )


def create(cluster: ControlPlane, namespace: str, pod: dict[str, Any]) -> Any:
    made = json.loads(json.dumps(pod))
    made["metadata"]["namespace"] = namespace
    return cluster.kubectl("create", "-o", "json", "-f", "-", input=json.dumps(made))


def comparable(pod: dict[str, Any]) -> dict[str, Any]:
    """A stored pod without what differs between any two stored pods."""
    pod = json.loads(TOKEN.sub("kube-api-access", json.dumps(pod)))
    for key in (
        "name",
        "uid",
        "resourceVersion",
        "creationTimestamp",
        "namespace",
        "managedFields",
    ):
        pod["metadata"].pop(key, None)
    pod.pop("status", None)
    return pod


def without_token(pod: dict[str, Any]) -> dict[str, Any]:
    """The pod without the service account token's volume and mounts."""
    spec = pod["spec"]
    spec["volumes"] = [v for v in spec.get("volumes", []) if v["name"] != "kube-api-access"]
    for key in ("containers", "initContainers"):
        for container in spec.get(key, []):
            mounts = container.get("volumeMounts", [])
            container["volumeMounts"] = [m for m in mounts if m["name"] != "kube-api-access"]
    return pod


def differences(actual: Any, expected: Any) -> str:
    """What differs, line by line, policy (-) against webhook (+)."""
    lines = [json.dumps(d, indent=1, sort_keys=True).splitlines() for d in (actual, expected)]
    return "\n".join(difflib.unified_diff(*lines, "policy", "webhook", lineterm=""))


@pytest.fixture
def both(cluster: ControlPlane, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """For an example: (policy namespace, webhook namespace, configs), policy and webhook on."""

    def start(example: Path, probe: dict[str, Any] | None = None) -> tuple[str, str, list[Path]]:
        configs, _ = split(example)
        # names and labels of this call alone: a policy or webhook of an earlier test, deleted,
        # stays in the API server's caches a moment, and one of the same name and selector
        # could be what a probe meets before the deletion takes it away
        number = next(COUNT)
        label = f"{example.name}-{number}"
        done = policy(configs, f"krm-fn-{label}", label, "-o", str(tmp_path / "policy.yaml"))
        assert done.returncode == 0, done.stderr
        cluster.kubectl("apply", "-f", str(tmp_path / "policy.yaml"), check=True)
        (tmp_path / "configs").mkdir()
        for path in configs:
            (tmp_path / "configs" / path.name).write_text(path.read_text())
        server = stack.enter_context(
            webhook_server(tmp_path / "configs", write_certs(tmp_path / "tls"), workers=1)
        )
        key = f"krm-fn.dev/webhook-{label}"
        hook = configuration(
            f"krm-fn-test-{label}",
            server.url,
            ca_bundle(server),
            label=key,
            reinvocationPolicy="IfNeeded",
        )
        cluster.kubectl("apply", "-f", "-", input=json.dumps(hook), check=True)
        cleanup.append(["delete", "mutatingwebhookconfiguration", f"krm-fn-test-{label}"])
        cleanup.append(["delete", "-f", str(tmp_path / "policy.yaml")])
        by_policy = cluster.namespace(f"policy-{label}", {"krm-fn.dev/admission-policy": label})
        by_webhook = cluster.namespace(f"webhook-{label}", {key: "enabled"})
        wait_for_policy(cluster, by_policy, probe or example_probe(example))
        return by_policy, by_webhook, configs

    cleanup: list[list[str]] = []
    with contextlib.ExitStack() as stack:
        yield start
        for command in cleanup:
            cluster.kubectl(*command)


def example_probe(example: Path) -> dict[str, Any] | None:
    """A pod of the example, which its policy injects (a plain pod may not be: a position
    naming an init container, targets), as a probe; None when the example has no pod."""
    for resource in split(example)[1]:
        for pod, _ in pods_of(resource):
            pod = json.loads(json.dumps(pod))
            pod["metadata"] = {**pod["metadata"], "name": "probe"}
            pod["metadata"].pop("generateName", None)
            pod["spec"].pop("serviceAccountName", None)  # not in the namespace yet
            return pod
    return None


def wait_for_policy(
    cluster: ControlPlane, namespace: str, probe: dict[str, Any] | None = None
) -> None:
    """The API server loads policies a moment after they are created: wait until it injects
    `probe` (a pod the mutating policy selects; default: a plain one). Only an injection shows
    the mutating policy loaded: a denial shows the validating one, which lets a pod the
    mutating policy has not injected yet pass."""
    probe = probe or {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe"},
        "spec": {"containers": [{"name": "probe", "image": "busybox:1.36.1"}]},
    }
    deadline = time.monotonic() + 30
    while True:
        done = cluster.kubectl(
            "create",
            "--dry-run=server",
            "-o",
            "json",
            "-n",
            namespace,
            "-f",
            "-",
            input=json.dumps(probe),
        )
        annotations = json.loads(done.stdout or "{}").get("metadata", {}).get("annotations", {})
        if "krm-fn.dev/injected" in annotations:
            return
        assert time.monotonic() < deadline, done.stderr
        time.sleep(0.3)


@pytest.mark.parametrize("name", COMPILED)
def test_the_policy_stores_the_pods_the_webhook_stores(
    cluster: ControlPlane, both: Any, name: str
) -> None:
    three_places_one_result(cluster, both, EXAMPLES / name)


def test_an_adapter_without_services_compiles(
    cluster: ControlPlane, both: Any, tmp_path: Path
) -> None:
    """The adapter example with what admission can do: no Service ports, no monitor."""
    example = tmp_path / "adapter-annotations"
    shutil.copytree(EXAMPLES / "elasticsearch-adapter-metrics", example)
    config = example / "adapter.yaml"
    config.write_text(
        config.read_text() + "  services: false\n  monitor: none\n  prometheusAnnotations: true\n"
    )
    three_places_one_result(cluster, both, example)


def three_places_one_result(cluster: ControlPlane, both: Any, example: Path) -> None:
    """The example's pods: the same stored through the policy, the webhook and build time."""
    by_policy, by_webhook, configs = both(example)
    _, resources = split(example)
    pods = [pod for resource in resources for pod, _ in pods_of(resource)]
    assert pods, example.name
    needed = [r for r in resources if r["kind"] in ("ServiceAccount", "ConfigMap", "Secret")]
    plain = cluster.namespace(f"{by_policy}-built")  # neither policy nor webhook
    needed += [  # the service accounts the pods run as, which the example takes as given
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account}}
        for account in {p["spec"].get("serviceAccountName", "default") for p in pods} - {"default"}
    ]
    for namespace in (by_policy, by_webhook, plain):
        for resource in needed:
            cluster.kubectl(
                "apply", "-n", namespace, "-f", "-", input=json.dumps(resource), check=True
            )
    config_set = load_config_files([(p.name, str(p)) for p in configs], admission_problem)
    for pod in pods:
        from_policy, from_webhook = (
            create(cluster, by_policy, pod),
            create(cluster, by_webhook, pod),
        )
        assert from_webhook.returncode == 0, from_webhook.stderr
        assert from_policy.returncode == 0, from_policy.stderr
        stored = json.loads(from_policy.stdout)
        assert "krm-fn.dev/injected" in stored["metadata"]["annotations"]
        expected = comparable(json.loads(from_webhook.stdout))
        assert comparable(stored) == expected, differences(comparable(stored), expected)
        # and krm-fn at build time gives the same pod: one config, three places, one result
        built = subprocess.run(
            [KRM_FN, "run", *(f"-c{c}" for c in configs), "-"],
            input=json.dumps(pod),
            capture_output=True,
            text=True,
        )
        assert built.returncode == 0, built.stderr
        from_build = create(cluster, plain, yamlio.load(built.stdout))
        assert from_build.returncode == 0, from_build.stderr
        # the API server adds the token's volume after the pod's own at creation, after the
        # injected ones at admission: compared without it
        expected = without_token(comparable(json.loads(from_build.stdout)))
        actual = without_token(comparable(stored))
        assert actual == expected, differences(actual, expected)
        # the webhook, asked again, has nothing to add
        again = answer(review(stored, by_policy), config_set).review["response"]
        assert again["allowed"] and "patch" not in again, again


def test_pods_of_a_deployment_come_out_injected(cluster: ControlPlane, both: Any) -> None:
    by_policy, by_webhook, _ = both(EXAMPLES / "sidecar-log-shipper")
    _, [deployment] = (
        split(EXAMPLES / "sidecar-log-shipper")[0],
        [r for r in split(EXAMPLES / "sidecar-log-shipper")[1] if r["kind"] == "Deployment"],
    )
    stored = {}
    for namespace in (by_policy, by_webhook):
        cluster.kubectl(
            "apply", "-n", namespace, "-f", "-", input=json.dumps(deployment), check=True
        )
        deadline = time.monotonic() + 60
        while True:
            found = json.loads(
                cluster.kubectl("get", "pods", "-n", namespace, "-o", "json").stdout
            )["items"]
            if len(found) == deployment["spec"]["replicas"]:
                break
            assert time.monotonic() < deadline, cluster.log_tail()
            time.sleep(0.3)
        stored[namespace] = found
    for made in stored.values():
        for pod in made:
            assert [c["name"] for c in pod["spec"]["initContainers"]] == ["access-log"]
            del pod["metadata"]["generateName"], pod["metadata"]["ownerReferences"]
            pod["metadata"]["labels"].pop("pod-template-hash")
    assert comparable(stored[by_policy][0]) == comparable(stored[by_webhook][0])
    # `krm-fn audit` reads the policy's pods as the webhook's: current
    config = EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml"
    done = subprocess.run(
        [
            KRM_FN,
            "audit",
            str(config),
            "-n",
            by_policy,
            "-o",
            "json",
            "--kubeconfig",
            str(cluster.kubeconfig),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    [row] = json.loads(done.stdout)["workloads"]
    assert (row["kind"], row["state"], row["counts"]["current"]) == ("Deployment", "current", 2)
    pod = stored[by_policy][0]
    # an update (a label) goes through untouched: the policy acts on creation only
    name = pod["metadata"]["name"]
    cluster.kubectl("label", "pod", name, "-n", by_policy, "touched=yes", check=True)
    after = json.loads(
        cluster.kubectl("get", "pod", name, "-n", by_policy, "-o", "json", check=True).stdout
    )
    assert after["spec"] == pod["spec"]
    assert after["metadata"]["annotations"] == pod["metadata"]["annotations"]


def test_what_the_policy_leaves_alone_and_refuses(cluster: ControlPlane, both: Any) -> None:
    by_policy, _, _ = both(EXAMPLES / "sidecar-log-shipper")
    _, resources = split(EXAMPLES / "sidecar-log-shipper")
    [(pod, _)] = pods_of(next(r for r in resources if r["kind"] == "Deployment"))
    # opted out: nothing
    opted = json.loads(json.dumps(pod))
    opted["metadata"]["annotations"] = {"krm-fn.dev/inject": "False"}
    done = create(cluster, by_policy, opted)
    assert done.returncode == 0, done.stderr
    assert "initContainers" not in json.loads(done.stdout)["spec"]
    # another namespace: nothing
    other = cluster.namespace("policy-not-selected", {"krm-fn.dev/admission-policy": "other"})
    done = create(cluster, other, pod)
    assert done.returncode == 0 and "initContainers" not in json.loads(done.stdout)["spec"]
    # injected once, then created again as it is stored: the same pod, nothing added
    first = json.loads(create(cluster, by_policy, pod).stdout)
    again = {k: first[k] for k in ("apiVersion", "kind", "spec")}
    again["metadata"] = {
        "generateName": "again-",
        "labels": first["metadata"]["labels"],
        "annotations": first["metadata"]["annotations"],
    }
    done = create(cluster, by_policy, again)
    assert done.returncode == 0, done.stderr
    assert comparable(json.loads(done.stdout))["spec"] == comparable(first)["spec"]
    # a conflict the webhook denies: the validating policy denies it too, saying why
    taken = json.loads(json.dumps(pod))
    taken["spec"]["containers"].append({"name": "access-log", "image": "busybox:1.36.1"})
    done = create(cluster, by_policy, taken)
    assert done.returncode != 0
    assert 'container name "access-log" is already used in this pod' in done.stderr
    # a record of other configs: refused, not silently left without the injection
    foreign = json.loads(json.dumps(pod))
    foreign["metadata"]["annotations"] = {"krm-fn.dev/injected": '{"Sidecar/other":{}}'}
    done = create(cluster, by_policy, foreign)
    assert done.returncode != 0 and "of other configs" in done.stderr


def test_the_default_container_annotation_is_followed_as_the_webhook_follows_it(
    cluster: ControlPlane, both: Any
) -> None:
    """The mounts go to, and the record names, the container the annotation names."""
    by_policy, by_webhook, _ = both(EXAMPLES / "sidecar-log-shipper")
    _, resources = split(EXAMPLES / "sidecar-log-shipper")
    [(pod, _)] = pods_of(next(r for r in resources if r["kind"] == "Deployment"))
    pod = json.loads(json.dumps(pod))
    app = pod["spec"]["containers"][0]["name"]
    pod["spec"]["containers"].insert(0, {"name": "helper", "image": "busybox:1.36.1"})
    pod["metadata"]["annotations"] = {"kubectl.kubernetes.io/default-container": app}
    stored = [create(cluster, namespace, pod) for namespace in (by_policy, by_webhook)]
    assert all(done.returncode == 0 for done in stored), [d.stderr for d in stored]
    policy_pod, webhook_pod = (comparable(json.loads(done.stdout)) for done in stored)
    helper, shop = policy_pod["spec"]["containers"][:2]
    assert "/var/log/shop" in [m["mountPath"] for m in shop.get("volumeMounts", [])]
    assert "/var/log/shop" not in [m["mountPath"] for m in helper.get("volumeMounts", [])]
    assert f'"{app}"' in policy_pod["metadata"]["annotations"]["krm-fn.dev/injected"]
    assert policy_pod == webhook_pod, differences(policy_pod, webhook_pod)


def wide_pod(name: str, count: int) -> dict[str, Any]:
    """A pod of `count` containers, with the init containers init-container-ordering names."""
    containers = [{"name": f"app-{i}", "image": "busybox:1.36.1"} for i in range(count)]
    init = [{"name": n, "image": "busybox:1.36.1"} for n in ("config", "migrate")]
    spec = {"containers": containers, "initContainers": init}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def test_a_pod_with_100_containers_is_injected(cluster: ControlPlane, both: Any) -> None:
    by_policy, _, _ = both(EXAMPLES / "init-container-ordering")
    pod = wide_pod("wide", 100)
    done = create(cluster, by_policy, pod)
    assert done.returncode == 0, done.stderr
    names = [c["name"] for c in json.loads(done.stdout)["spec"]["initContainers"]]
    assert names == ["config", "wait-for-postgres", "migrate"]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_configs_that_do_not_compile_say_why_and_write_nothing(name: str, tmp_path: Path) -> None:
    configs, _ = split(EXAMPLES / name)
    out = tmp_path / "policy.yaml"
    done = policy(configs, "x", "x", "-o", str(out))
    assert done.returncode == 1 and not out.exists()
    assert REFUSED[name] in done.stderr and configs[0].name in done.stderr
    assert "Traceback" not in done.stderr


def test_with_on_error_admit_a_conflict_is_admitted_unchanged(
    cluster: ControlPlane, tmp_path: Path
) -> None:
    """As the webhook: a pod the configs cannot apply to is admitted without the injection."""
    config = tmp_path / "log-shipper.yaml"
    text = (EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml").read_text()
    config.write_text(text.replace("spec:\n", "spec:\n  onError: admit\n", 1))
    done = policy([config], "krm-fn-admit", "admit", "-o", str(tmp_path / "policy.yaml"))
    assert done.returncode == 0, done.stderr
    cluster.kubectl("apply", "-f", str(tmp_path / "policy.yaml"), check=True)
    try:
        namespace = cluster.namespace("policy-admit", {"krm-fn.dev/admission-policy": "admit"})
        wait_for_policy(cluster, namespace)
        [(pod, _)] = pods_of(
            next(r for r in split(EXAMPLES / "sidecar-log-shipper")[1] if r["kind"] == "Deployment")
        )
        pod["spec"]["containers"].append({"name": "access-log", "image": "busybox:1.36.1"})
        done = create(cluster, namespace, pod)
        assert done.returncode == 0, done.stderr
        found = json.loads(done.stdout)
        assert "initContainers" not in found["spec"]
        assert "krm-fn.dev/injected" not in found["metadata"].get("annotations", {})
    finally:
        cluster.kubectl("delete", "-f", str(tmp_path / "policy.yaml"))
    # configs that disagree on it cannot share one policy
    other = tmp_path / "other.yaml"
    other.write_text((EXAMPLES / "wait-for-database" / "wait-for.yaml").read_text())
    done = policy([config, other], "x", "x")
    assert done.returncode == 1 and "disagree on onError" in done.stderr, done.stderr


HOSTILE = [
    '" + object.metadata.name + "',
    "') || true || ('",
    '\\" ] } }, JSONPatch{op: "remove", path: "/spec"}',
    "line\nbreak\ttab \u2028 ✓ 😀 \\u0041",
    "${HOME} $(id) `id`",
]


def test_hostile_values_come_out_as_they_were_written(
    cluster: ControlPlane, both: Any, tmp_path: Path
) -> None:
    """Config values are CEL string literals: nothing in them runs, all of it arrives."""
    example = tmp_path / "hostile"
    example.mkdir()
    config = {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": "Sidecar",
        "metadata": {"name": "hostile", "labels": {"x": "y"}},
        "spec": {
            "containers": [
                {
                    "name": "agent",
                    "image": "busybox:1.36.1",
                    "command": ["sh", "-c", "sleep 3600"],
                    "args": HOSTILE,
                    "env": [{"name": f"V{i}", "value": v} for i, v in enumerate(HOSTILE)],
                }
            ],
        },
    }
    (example / "hostile.yaml").write_text(yamlio.dump(config))
    by_policy, by_webhook, _ = both(example)
    [(pod, _)] = pods_of(
        next(r for r in split(EXAMPLES / "sidecar-log-shipper")[1] if r["kind"] == "Deployment")
    )
    made = {}
    for namespace in (by_policy, by_webhook):
        done = create(cluster, namespace, pod)
        assert done.returncode == 0, done.stderr
        made[namespace] = json.loads(done.stdout)
    [agent] = [c for c in made[by_policy]["spec"]["initContainers"] if c["name"] == "agent"]
    assert agent["args"] == HOSTILE
    assert [e["value"] for e in agent["env"]] == HOSTILE
    expected = comparable(made[by_webhook])
    assert comparable(made[by_policy]) == expected, differences(
        comparable(made[by_policy]), expected
    )


def test_the_example_installs_and_leaves_the_pods_built_with_it_alone(
    cluster: ControlPlane,
) -> None:
    """kustomization-examples/admission-policy applied as built: the Deployment's pods, injected
    at build time, pass the policy untouched; a pod nobody rendered is injected by it."""
    built = yamlio.load_all((EXAMPLES / "admission-policy" / "expected.yaml").read_text())
    text = json.dumps(built).replace('"name": "shop"', '"name": "policy-example"')
    resources = [r for r in json.loads(text) if r["kind"] != "Deployment"]
    [deployment] = [r for r in built if r["kind"] == "Deployment"]
    deployment["metadata"]["namespace"] = "policy-example"
    for resource in resources:
        if resource["kind"].endswith("Policy") or resource["kind"].endswith("Binding"):
            resource["metadata"]["name"] = "krm-fn-example"
            if "policyName" in resource["spec"]:
                resource["spec"]["policyName"] = "krm-fn-example"
    namespace = "policy-example"
    cluster.kubectl("apply", "-f", "-", input=yamlio.dump_all(resources), check=True)
    try:
        wait_for_policy(cluster, namespace)
        cluster.kubectl(
            "apply", "-n", namespace, "-f", "-", input=json.dumps(deployment), check=True
        )
        deadline = time.monotonic() + 60
        while True:
            found = json.loads(
                cluster.kubectl(
                    "get",
                    "pods",
                    "-n",
                    namespace,
                    "-l",
                    "app.kubernetes.io/name=shop",
                    "-o",
                    "json",
                ).stdout
            )["items"]
            if len(found) == deployment["spec"]["replicas"]:
                break
            events = cluster.kubectl("get", "events", "-n", namespace).stdout
            assert time.monotonic() < deadline, events
            time.sleep(0.3)
        template = deployment["spec"]["template"]
        for pod in found:
            assert [c["name"] for c in pod["spec"]["initContainers"]] == ["access-log"]
            record = pod["metadata"]["annotations"]["krm-fn.dev/injected"]
            assert record == template["metadata"]["annotations"]["krm-fn.dev/injected"]
        [(bare, _)] = pods_of(
            next(r for r in split(EXAMPLES / "admission-policy")[1] if r["kind"] == "Deployment")
        )
        done = create(cluster, namespace, bare)
        assert done.returncode == 0, done.stderr
        assert [c["name"] for c in json.loads(done.stdout)["spec"]["initContainers"]] == [
            "access-log"
        ]
    finally:
        policies = [r for r in resources if r["kind"] != "Namespace"]
        cluster.kubectl("delete", "-f", "-", input=yamlio.dump_all(policies))


def test_what_explain_says_of_each_kind_is_what_the_compiler_does() -> None:
    """Each kind's note (its FACTS, shown by `krm-fn explain`) against the examples above."""
    from krm_fn.engine.config import facts, load_config

    def kinds(example: Path) -> set[str]:
        return {i.kind for c in split(example)[0] for i in load_config(yamlio.load(c.read_text()))}

    compiled = {kind for name in COMPILED for kind in kinds(EXAMPLES / name)}
    # a refused example's kinds but those that compile elsewhere (migration waits for its DB)
    refused = {kind for name in REFUSED for kind in kinds(EXAMPLES / name)} - compiled
    assert len(compiled) >= 9 and len(refused) >= 4
    for kind in compiled | {"Adapter"}:  # Adapter: test_an_adapter_without_services_compiles
        assert facts(kind).admission_policy.startswith("compiles"), kind
    for kind in refused:
        assert facts(kind).admission_policy.startswith("does not compile: "), kind


def owned(name: str, kind: str, owner: str, **labels: str) -> dict[str, Any]:
    """The log-shipper example's pod, named, with labels, made by a controller (or none)."""
    [(pod, _)] = pods_of(
        next(r for r in split(EXAMPLES / "sidecar-log-shipper")[1] if r["kind"] == "Deployment")
    )
    meta = {"name": name, "labels": labels}
    if kind:
        api = {"ReplicaSet": "apps/v1", "Job": "batch/v1"}[kind]
        meta["ownerReferences"] = [
            {"apiVersion": api, "kind": kind, "name": owner, "uid": "u", "controller": True}
        ]
    return {**pod, "metadata": meta}


def test_targets_select_the_pods_the_webhook_selects(
    cluster: ControlPlane, both: Any, tmp_path: Path
) -> None:
    """Targets become match conditions: by the pod's controller, the Deployment or CronJob its
    name tells, and selectors on the pod's labels; the same pods injected as by the webhook."""
    example = tmp_path / "targeted"
    example.mkdir()
    config = yamlio.load((EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml").read_text())
    config["spec"]["targets"] = [
        {"kind": "Deployment", "name": "shop|store"},
        {"group": "batch", "kind": "CronJob", "name": "nightly"},
        {"kind": "Pod", "labelSelector": "team in (a,b),!skip"},
    ]
    (example / "log-shipper.yaml").write_text(yamlio.dump(config))
    by_policy, by_webhook, _ = both(example, owned("probe", "", "", team="a"))
    hashed = {"pod-template-hash": "7d9c4"}
    cases = {  # pod -> whether a target selects it
        "by-deployment": (owned("a1", "ReplicaSet", "shop-7d9c4", **hashed), True),
        "other-deployment": (owned("a2", "ReplicaSet", "shopping-7d9c4", **hashed), False),
        "hash-not-in-name": (owned("a3", "ReplicaSet", "shop-abcde", **hashed), False),
        "by-cronjob": (owned("b1", "Job", "nightly-29390400"), True),
        "by-job-only": (owned("b2", "Job", "nightly"), False),
        "by-labels": (owned("c1", "", "", team="b"), True),
        "labels-but-skip": (owned("c2", "", "", team="a", skip="yes"), False),
        "no-labels": (owned("c3", "", ""), False),
    }
    for case, (pod, selected) in cases.items():
        made = {}
        for namespace in (by_policy, by_webhook):
            done = create(cluster, namespace, pod)
            assert done.returncode == 0, f"{case}: {done.stderr}"
            made[namespace] = json.loads(done.stdout)
        injected = "krm-fn.dev/injected" in made[by_policy]["metadata"].get("annotations", {})
        assert injected == selected, case
        expected = comparable(made[by_webhook])
        assert comparable(made[by_policy]) == expected, (
            case,
            differences(comparable(made[by_policy]), expected),
        )


def test_configs_with_different_targets_are_compiled_apart(tmp_path: Path) -> None:
    first = yamlio.load((EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml").read_text())
    second = yamlio.load((EXAMPLES / "wait-for-database" / "wait-for.yaml").read_text())
    first["spec"]["targets"] = [{"kind": "Deployment", "name": "shop"}]
    paths = []
    for index, config in enumerate((first, second)):
        paths.append(tmp_path / f"{index}.yaml")
        paths[-1].write_text(yamlio.dump(config))
    out = tmp_path / "policy.yaml"
    done = policy(paths, "x", "x", "-o", str(out))
    assert done.returncode == 1 and not out.exists()
    assert "select different targets: compile them apart" in done.stderr


def test_a_bundle_compiles_as_its_patterns_do(
    cluster: ControlPlane, both: Any, tmp_path: Path
) -> None:
    """The all-workload-kinds bundle (PodDefaults, InitContainer, Sidecar...) without its
    podTemplatePaths (which mean nothing at admission), on the log-shipper example's pods."""
    example = tmp_path / "bundle"
    example.mkdir()
    bundle = yamlio.load((EXAMPLES / "all-workload-kinds" / "platform.yaml").read_text())
    del bundle["spec"]["podTemplatePaths"]
    (example / "platform.yaml").write_text(yamlio.dump(bundle))
    shutil.copy(EXAMPLES / "sidecar-log-shipper" / "deployment.yaml", example)
    three_places_one_result(cluster, both, example)


def test_a_pod_the_webhook_finds_too_large_is_refused_too(cluster: ControlPlane, both: Any) -> None:
    by_policy, by_webhook, _ = both(EXAMPLES / "init-container-ordering")
    pod = wide_pod("huge", 1001)
    said = {
        by_policy: "the pod has more containers than the webhook answers (1,000)",
        by_webhook: "krm-fn answers pods with at most 1,000",
    }
    for namespace, message in said.items():
        done = create(cluster, namespace, pod)
        assert done.returncode != 0 and message in done.stderr, done.stderr
