"""Exact output: a second run changes nothing, and undoing gives back the file byte for byte.

Chains of configs, `krm-fn run --in-place` twice, CRLF files with comments, inject then uninject
(docs/engine.md, "Trust").
"""

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, SHIPPER_CONFIG, corpus_file, krm_fn

from krm_fn.framework import transform
from krm_fn.manifests import yamlio

CHAINED = {
    "Sidecar": "sidecar-log-shipper/log-shipper.yaml",
    "PodDefaults": "pod-defaults-webhook-label/defaults.yaml",
    "GracefulShutdown": "nginx-graceful-shutdown/graceful-shutdown.yaml",
    "Ambassador": "elasticsearch-ambassador-tls/ambassador.yaml",
    "LocalCache": "redis-local-cache/local-cache.yaml",
}


CHAIN_INPUTS = {
    "elasticsearch": ["elasticsearch-ambassador-tls/deployment.yaml"],
    "corpus": ["microservices-demo.yaml", "argocd-repo-server-deployment.yaml"],
}


def chained_config(kind: str) -> dict[str, Any]:
    config: dict[str, Any] = yamlio.load((EXAMPLES / CHAINED[kind]).read_text())
    config["spec"].pop("targets", None)
    if kind == "LocalCache":
        config["spec"]["targets"] = [{"labelSelector": "app!=redis-cart"}]  # has 6379 itself
    return config


def chain_inputs(name: str) -> list[Any]:
    if name == "corpus":
        return [d for f in CHAIN_INPUTS[name] for d in yamlio.load_all(corpus_file(f).read_text())]
    return [d for f in CHAIN_INPUTS[name] for d in yamlio.load_all((EXAMPLES / f).read_text())]


def chains(kinds: list[str]) -> list[tuple[str, ...]]:
    return [c for n in (2, 3, 4) for c in itertools.permutations(kinds, n)]


CRLF_FILE = (
    "# the shop, as a Windows editor saved it\r\n"
    "apiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n  name: shop # the shop\r\n"
    "  labels: {app: shop}\r\nspec:\r\n  selector:\r\n    matchLabels: {app: shop}\r\n"
    "  template:\r\n    metadata:\r\n      labels: {app: shop}\r\n    spec:\r\n"
    "      # the app\r\n      containers:\r\n      - name: app\r\n        image: nginx:1.27\r\n"
    "---\r\n# untouched\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\n"
)


HAND_WRITTEN = """\
# A hand-written manifest, trailing spaces and all\x20\x20
apiVersion: apps/v1
kind: Deployment
metadata:
    name: shop
    labels: { app: shop }\x20\x20\x20

spec:
    selector:
        matchLabels: {app: shop}
    template:
        metadata:
            labels:   {app:  shop}
        spec:
            containers:
              - name: app
                image: nginx:1.27
                ports: [ {containerPort: 9200, name: http}, {containerPort: 9300}  ]
                command: [ "sh" ,  "-c" , "exec nginx" ]
                args:
                  - a long plain scalar
                    folded over two lines
                resources:
                    limits :
                        memory: 64Mi


                env:
                  - {name: A, value: "1"}   # keep me
            # a trailing comment block
            # of two lines
---
apiVersion: v1
kind: Service
metadata: {name: shop, labels: {app: shop}}
spec:
  selector: {app: shop}
  ports: [{port: 9200,   targetPort: 9200}]
---
"""


ROUND_TRIP_CONFIGS = [
    "sidecar-log-shipper/log-shipper.yaml",
    "pod-defaults-webhook-label/defaults.yaml",
    "nginx-graceful-shutdown/graceful-shutdown.yaml",
    "elasticsearch-ambassador-tls/ambassador.yaml",
    "elasticsearch-log-tailer/log-tailer.yaml",
    "redis-local-cache/local-cache.yaml",
]


@pytest.mark.parametrize(
    ("inputs", "kinds"),
    [
        ("elasticsearch", ["Sidecar", "PodDefaults", "GracefulShutdown", "Ambassador"]),
        ("corpus", ["Sidecar", "PodDefaults", "GracefulShutdown", "LocalCache"]),
    ],
)
def test_every_chain_of_separate_configs_is_exact_on_a_second_pass(
    inputs: str, kinds: list[str]
) -> None:
    for chain in chains(kinds):
        items = chain_inputs(inputs)
        for kind in chain:
            results = transform(chained_config(kind), items)
            assert not [r for r in results if r.severity == "error"], (chain, results)
        first = yamlio.dump_all(items)
        again = yamlio.load_all(first)
        for kind in chain:
            results = transform(chained_config(kind), again)
            news = [
                r.message for r in results if r.severity == "info" and "unchanged" not in r.message
            ]
            assert not news, (chain, kind, news)  # each step: unchanged, not added again
        assert yamlio.dump_all(again) == first, chain


def test_a_chain_through_krm_fn_run_in_place_twice_leaves_the_files_alone(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    for name in CHAIN_INPUTS["elasticsearch"]:
        shutil.copy(EXAMPLES / name, package / Path(name).name)
    configs = []
    for kind in ("PodDefaults", "Sidecar", "Ambassador", "GracefulShutdown"):
        path = tmp_path / f"{kind}.yaml"
        path.write_text(yamlio.dump(chained_config(kind)))
        configs.append(path)
    for config in configs:
        assert krm_fn("run", "-q", "--in-place", str(config), str(package))[0] == 0
    first = {p.name: p.read_bytes() for p in package.iterdir()}
    for config in configs:
        code, _, err = krm_fn("run", "--in-place", str(config), str(package))
        assert code == 0 and "unchanged" in err, err
    assert {p.name: p.read_bytes() for p in package.iterdir()} == first


def test_a_crlf_file_keeps_its_line_endings_and_comments_and_comes_back(tmp_path: Path) -> None:
    path = tmp_path / "app.yaml"
    path.write_bytes(CRLF_FILE.encode())
    config = str(SHIPPER_CONFIG)
    code, _, err = krm_fn("run", "-q", "--in-place", config, str(path))
    assert code == 0, err
    text = path.read_bytes().decode()
    assert text.count("\n") == text.count("\r\n") > CRLF_FILE.count("\n")  # every line CRLF
    for comment in ("# the shop, as a Windows editor saved it", "# the shop", "# the app"):
        assert comment in text
    assert text.endswith(
        "---\r\n# untouched\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {name: c}\r\n"
    )
    assert krm_fn("uninject", "-q", "--in-place", str(path))[0] == 0
    assert path.read_bytes() == CRLF_FILE.encode()


@pytest.mark.parametrize("config", ROUND_TRIP_CONFIGS)
def test_inject_then_uninject_gives_back_a_hand_written_file_byte_for_byte(
    config: str, tmp_path: Path
) -> None:
    document = yamlio.load((EXAMPLES / config).read_text())
    document["spec"].pop("targets", None)
    path, settings = tmp_path / "app.yaml", tmp_path / "config.yaml"
    settings.write_text(yamlio.dump(document))
    path.write_text(HAND_WRITTEN)
    code, _, err = krm_fn("run", "-q", "--in-place", str(settings), str(path))
    assert code == 0, err
    injected = path.read_text()
    assert injected != HAND_WRITTEN
    kept = [line for line in HAND_WRITTEN.splitlines() if line in injected.splitlines()]
    assert (
        "            # a trailing comment block" in kept and "                    limits :" in kept
    )
    assert krm_fn("uninject", "-q", "--in-place", str(path))[0] == 0
    assert path.read_text() == HAND_WRITTEN
    code, out, _ = krm_fn("uninject", "-q", "-", stdin=injected)  # stdout: the last `---` too
    assert code == 0 and out == HAND_WRITTEN
