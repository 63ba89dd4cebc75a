"""Real-world manifests nobody on this project wrote (tests/corpus.toml), through every pattern."""

import copy
import functools
import hashlib
import http.server
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, ROOT, corpus_file, schema_errors

from krm_fn.engine.config import example
from krm_fn.engine.generated import GENERATED_BY
from krm_fn.framework import transform
from krm_fn.kinds import KINDS
from krm_fn.manifests import yamlio

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
    items = yamlio.load_all(corpus_file("microservices-demo.yaml").read_text())
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
    [deployment] = yamlio.load_all(corpus_file("argocd-repo-server-deployment.yaml").read_text())
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
    # a proxy goes only on a port the app declares (or on an app that declares none)
    "Ambassador": {
        "inbound": {"port": 8080, "appPort": 8089, "tls": {"secretName": "frontend-tls"}},
        "targets": [{"name": "frontend|recommendationservice|emailservice|loadgenerator"}],
    },
}
BUDGET = {
    "maxRequests": {"cpu": "8", "memory": "8Gi"},
    "allowInitDominance": True,  # the example's download needs 2 CPUs; the apps ask for less
}
CHANGED = {
    "ConfigReloader": 1,
    "LocalCache": 12,
    "Ambassador": 4,
}  # workloads changed; 13 for the rest


def corpus() -> list[dict[str, Any]]:
    return [
        item
        for name in ("microservices-demo.yaml", "argocd-repo-server-deployment.yaml")
        for item in yamlio.load_all(corpus_file(name).read_text())
    ]


def corpus_config(kind: str) -> dict[str, Any]:
    """The kind's example config, with its targets dropped so that it applies to everything."""
    folder = EXAMPLES / example(kind)
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


def corpus_entries() -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = tomllib.loads((ROOT / "tests" / "corpus.toml").read_text())[
        "file"
    ]
    return entries


def test_the_corpus_read_is_the_one_pinned_with_its_source_and_license() -> None:
    for entry in corpus_entries():
        data = corpus_file(entry["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]
        assert data.startswith(entry["header"].encode() + b"\n")
        assert entry["license"] in entry["header"] and entry["commit"][:9] in entry["header"]


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback server standing in for raw.githubusercontent.com: (its URL, its files)."""
    served = tmp_path / "served"
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()


def fetch_corpus(*args: str) -> subprocess.CompletedProcess[str]:
    script = ROOT / "scripts" / "corpus.py"
    return subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=False
    )


def test_make_corpus_fetches_the_pinned_upstream_files_and_refuses_others(
    upstream: tuple[str, Path], tmp_path: Path
) -> None:
    """Without ../shared (the release workflow): each file from its commit, checked by hash."""
    url, served = upstream
    for entry in corpus_entries():  # upstream has the file without the `# Source:` line
        project = entry["repository"].removeprefix("https://github.com/")
        path = served / "raw.githubusercontent.com" / project / entry["commit"] / entry["path"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(corpus_file(entry["name"]).read_bytes().split(b"\n", 1)[1])
    dest, nowhere = tmp_path / "corpus", tmp_path / "no-shared"
    args = ["--dest", str(dest), "--local", str(nowhere), "--url-base", url]
    done = fetch_corpus(*args)
    assert done.returncode == 0, done.stderr
    for entry in corpus_entries():
        assert (dest / entry["name"]).read_bytes() == corpus_file(entry["name"]).read_bytes()
        assert f"{entry['name']} from https://raw.githubusercontent.com/" in done.stdout
    again = fetch_corpus(*args)  # already there: nothing fetched, nothing said
    assert again.returncode == 0 and again.stdout == ""

    first = corpus_entries()[0]
    (dest / first["name"]).unlink()
    project = first["repository"].removeprefix("https://github.com/")
    tampered = served / "raw.githubusercontent.com" / project / first["commit"] / first["path"]
    tampered.write_bytes(tampered.read_bytes() + b"# one more line\n")
    refused = fetch_corpus(*args)
    assert refused.returncode == 1
    assert f"corpus: {first['name']} from https://raw.githubusercontent.com/" in refused.stderr
    assert f"tests/corpus.toml pins {first['sha256']}" in refused.stderr
    written = sorted(p.name for p in dest.iterdir())
    assert written == sorted(e["name"] for e in corpus_entries()[1:])  # nothing for it
