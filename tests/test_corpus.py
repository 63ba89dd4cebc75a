"""Real-world manifests nobody on this project wrote (../shared/corpus), through every pattern."""

import copy
from typing import Any

import pytest
from support import CORPUS, EXAMPLES, IN_CI, schema_errors

from krm_fn import yamlio
from krm_fn.config import KINDS
from krm_fn.core import GENERATED_BY, transform
from krm_fn.reference import EXAMPLES as KIND_EXAMPLES

if not CORPUS.exists():
    if IN_CI:
        raise RuntimeError(f"{CORPUS} is missing; CI always has it")
    pytest.skip("../shared/corpus is not next to this clone", allow_module_level=True)

BUNDLE = {
    "apiVersion": "krm-fn.dev/v1alpha1",
    "kind": "PodPatterns",
    "metadata": {"name": "platform"},
    "spec": {
        "appContainers": ["*"],
        "patterns": [
            {
                "kind": "PodDefaults",
                "spec": {"labels": {"team": "shop"}, "env": [{"name": "TZ", "value": "UTC"}]},
            },
            {
                "kind": "InitContainer",
                "spec": {
                    "position": "first",
                    "initContainers": [{"name": "wait", "image": "busybox:1.36"}],
                },
            },
            {
                "kind": "Sidecar",
                "spec": {"containers": [{"name": "agent", "image": "busybox:1.36"}]},
            },
        ],
    },
}


def test_microservices_demo_every_deployment_injected_once() -> None:
    items = yamlio.load_all((CORPUS / "microservices-demo.yaml").read_text())
    original = copy.deepcopy(items)
    results = transform(BUNDLE, items)
    assert not [r for r in results if r.severity == "error"]
    deployments = [i for i in items if i["kind"] == "Deployment"]
    assert len(deployments) == 12
    for deployment in deployments:
        spec = deployment["spec"]["template"]["spec"]
        names = [c["name"] for c in spec["initContainers"]]
        assert names[:2] == ["wait", "agent"]  # both `first`: in the order of the bundle
        assert names.count("agent") == 1
        assert all({"name": "TZ", "value": "UTC"} in c["env"] for c in spec["containers"])
    assert [i for i in items if i["kind"] != "Deployment"] == [
        i for i in original if i["kind"] != "Deployment"
    ]
    assert schema_errors(items, "1.33") == []
    again = copy.deepcopy(items)
    transform(BUNDLE, again)
    assert yamlio.dump_all(again) == yamlio.dump_all(items), "a second run changed the bytes"


def test_argocd_repo_server_keeps_its_own_init_containers_and_volumes() -> None:
    [deployment] = yamlio.load_all((CORPUS / "argocd-repo-server-deployment.yaml").read_text())
    before = copy.deepcopy(deployment["spec"]["template"]["spec"])
    results = transform(BUNDLE, [deployment])
    assert not [r for r in results if r.severity == "error"]
    spec = deployment["spec"]["template"]["spec"]
    names = [c["name"] for c in spec["initContainers"]]
    assert names[:2] == ["wait", "agent"]
    assert names[2:] == [c["name"] for c in before["initContainers"]]
    assert spec["volumes"] == before["volumes"]
    assert schema_errors([deployment], "1.33") == []


# What each kind's documented example needs to apply to the corpus rather than to its own example.
ADAPTED: dict[str, dict[str, Any]] = {
    "InitContainer": {"position": "first"},  # the corpus has no `migrate` to go before
    # the repo-server's ConfigMap volume; the other workloads have none to watch
    "ConfigReloader": {"watch": ["gpg-keys"], "targets": [{"name": "argocd-repo-server"}]},
    "LocalCache": {"targets": [{"labelSelector": "app!=redis-cart"}]},  # redis-cart has 6379
}
BUDGET = {
    "maxRequests": {"cpu": "8", "memory": "8Gi"},
    "allowInitDominance": True,  # the example's download needs 2 CPUs; the apps ask for less
}
CHANGED = {"ConfigReloader": 1, "LocalCache": 12}  # workloads changed; 13 for the rest


def corpus() -> list[dict[str, Any]]:
    return [
        item
        for name in ("microservices-demo.yaml", "argocd-repo-server-deployment.yaml")
        for item in yamlio.load_all((CORPUS / name).read_text())
    ]


def corpus_config(kind: str) -> dict[str, Any]:
    """The kind's example config, with its targets dropped so that it applies to everything."""
    folder = EXAMPLES / KIND_EXAMPLES[kind]
    kustomization = yamlio.load((folder / "kustomization.yaml").read_text())
    config: dict[str, Any] = yamlio.load((folder / kustomization["transformers"][0]).read_text())
    specs = [config["spec"], *(p["spec"] for p in config["spec"].get("patterns", []))]
    for spec in specs:
        spec.pop("targets", None)
    for pattern in config["spec"].get("patterns", []):
        if pattern["kind"] == "PodResources":
            pattern["spec"] = BUDGET  # the example's budget is the example's error (and the
            # corpus has containers without limits: no budget on limits)
    specs[0].update(ADAPTED.get(kind, {}))
    return config


@pytest.mark.parametrize("kind", KINDS)
def test_every_pattern_on_the_corpus_is_valid_loses_nothing_and_is_stable(kind: str) -> None:
    original = corpus()
    items = copy.deepcopy(original)
    config = corpus_config(kind)
    results = transform(config, items)
    assert [r.to_text() for r in results if r.severity == "error"] == []

    workloads = [i for i in original if i["kind"] == "Deployment"]
    changed = [
        a for a, b in zip(items, original, strict=False) if a != b and a["kind"] != "Service"
    ]
    assert len(changed) == CHANGED.get(kind, len(workloads))
    assert [(i["kind"], i["metadata"]["name"]) for i in items[: len(original)]] == [
        (i["kind"], i["metadata"]["name"]) for i in original
    ], "every input resource is still there, in its place"
    for before, after in zip(original, items, strict=False):
        if before["kind"] not in ("Deployment", "Service"):
            assert after == before
    added = items[len(original) :]
    assert all(GENERATED_BY in i["metadata"]["annotations"] for i in added)
    assert schema_errors(items, "1.33") == []

    again = copy.deepcopy(items)
    transform(config, again)
    assert yamlio.dump_all(again) == yamlio.dump_all(items), "a second run changed the bytes"
