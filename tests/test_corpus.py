"""Real-world manifests nobody on this project wrote (../shared/corpus)."""

import copy

import pytest
from support import CORPUS, IN_CI, schema_errors

from krm_fn import yamlio
from krm_fn.cli import transform

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
    assert again == items


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
