"""Several krm-fn configs in one pipeline (kpt render mutators, kustomize transformers)."""

import copy
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES

from krm_fn.framework import transform
from krm_fn.manifests import yamlio

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "initContainers": [{"name": "setup", "image": "busybox:1.36"}],
                "containers": [{"name": "app", "image": "nginx:1.27"}],
            },
        },
    },
}


def config(kind: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "krm-fn.dev/v1alpha1",
        "kind": kind,
        "metadata": {"name": name},
        "spec": spec,
    }


SHARED_VOLUME = {"name": "shared", "emptyDir": {}}
FIRST = config(
    "InitContainer",
    "first",
    {
        "position": "last",
        "initContainers": [{"name": "a", "image": "busybox:1.36"}],
        "volumes": [SHARED_VOLUME],
    },
)
SECOND = config(
    "Sidecar",
    "second",
    {
        "position": "last",
        "containers": [{"name": "b", "image": "busybox:1.36"}],
        "volumes": [SHARED_VOLUME],
    },
)
THIRD = config(
    "PodDefaults", "third", {"appContainers": ["*"], "env": [{"name": "X", "value": "1"}]}
)


def pipeline(items: list[Any]) -> list[Any]:
    for step in (FIRST, SECOND, THIRD):
        results = transform(step, items)
        assert not [r for r in results if r.severity == "error"], results
    return items


def pod_spec(items: list[Any]) -> dict[str, Any]:
    spec: dict[str, Any] = items[0]["spec"]["template"]["spec"]
    return spec


def test_a_pipeline_run_again_on_its_output_converges() -> None:
    once = pipeline([copy.deepcopy(DEPLOYMENT)])
    twice = pipeline(copy.deepcopy(once))
    assert yamlio.dump_all(twice) == yamlio.dump_all(once)
    spec = pod_spec(once)
    assert [c["name"] for c in spec["initContainers"]] == ["setup", "a", "b"]
    assert spec["volumes"] == [SHARED_VOLUME]  # shared, not duplicated


def test_each_config_removes_only_its_own_injection() -> None:
    items = pipeline([copy.deepcopy(DEPLOYMENT)])
    shrunk = copy.deepcopy(SECOND)
    shrunk["spec"]["containers"] = [{"name": "c", "image": "busybox:1.36"}]
    transform(shrunk, items)
    spec = pod_spec(items)
    assert [c["name"] for c in spec["initContainers"]] == ["setup", "a", "c"]
    assert spec["containers"][0]["env"] == [{"name": "X", "value": "1"}]


def test_a_changed_position_moves_the_injection() -> None:
    items = pipeline([copy.deepcopy(DEPLOYMENT)])
    moved = copy.deepcopy(FIRST)
    moved["spec"]["position"] = "first"
    transform(moved, items)
    assert [c["name"] for c in pod_spec(items)["initContainers"]] == ["a", "setup", "b"]


@pytest.mark.parametrize(
    "example",
    [
        "elasticsearch-ambassador-tls",
        "elasticsearch-adapter-metrics",
        "elasticsearch-log-tailer",
        "elasticsearch-hardened",
        "all-workload-kinds",
    ],
)
def test_opting_out_puts_every_workload_and_service_back_exactly(example: str) -> None:
    directory = EXAMPLES / example
    kustomization = yamlio.load((directory / "kustomization.yaml").read_text())
    original = [
        d
        for name in kustomization["resources"]
        for d in yamlio.load_all((directory / name).read_text())
    ]
    [config_file] = kustomization["transformers"]
    config = yamlio.load((directory / config_file).read_text())
    items = copy.deepcopy(original)
    assert not [r for r in transform(config, items) if r.severity == "error"]
    assert items != original
    for item in items:
        if item["kind"] != "Service" and "generated-by" not in str(item["metadata"]):
            item["metadata"].setdefault("annotations", {})["krm-fn.dev/inject"] = "false"
    results = transform(config, items)
    assert not [r for r in results if r.severity == "error"]
    for item in items:
        item["metadata"].get("annotations", {}).pop("krm-fn.dev/inject", None)
        if item["metadata"].get("annotations") == {}:
            del item["metadata"]["annotations"]
    assert items == original


def test_configs_run_in_order_on_a_stream_as_krm_fn_run_does(tmp_path: Path) -> None:
    """framework.run_configs (Argo CD's charts): the configs' files in order, what they generate
    in the output; a config's error names its file and field on stderr, and nothing is output."""
    import io

    from krm_fn.framework import run_configs

    example = EXAMPLES / "elasticsearch-ambassador-tls"
    stream = (example / "deployment.yaml").read_text()
    shipper = str(EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml")
    stderr = io.StringIO()
    output, code = run_configs([str(example / "ambassador.yaml"), shipper], stream, stderr)
    assert code == 0, stderr.getvalue()
    [deployment, config_map] = yamlio.load_all(output)
    assert config_map["kind"] == "ConfigMap"  # the ambassador's nginx config
    spec = deployment["spec"]["template"]["spec"]
    names = [c["name"] for c in spec["containers"] + spec.get("initContainers", [])]
    assert "access-log" in names and len(names) == 3  # the app, nginx, the log shipper
    bad = tmp_path / "bad.yaml"
    bad.write_text(Path(shipper).read_text().replace("spec:\n", "spec:\n  colour: red\n", 1))
    output, code = run_configs([str(bad), shipper], stream, stderr := io.StringIO())
    assert (output, code) == ("", 1)
    assert f"{bad}: Sidecar/log-shipper spec.colour: unknown field" in stderr.getvalue()
