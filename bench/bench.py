"""make bench: krm-fn's cost next to the tools that run it, as ratios (no wall-clock asserts).

1. start-up: kubectl kustomize of the demo example with the krm-fn plugin vs without it;
2. kpt fn eval --exec krm-fn vs kpt fn eval --exec cat (a no-op KRM function);
3. throughput: krm-fn on a ResourceList of N Deployments vs kubectl kustomize of the same files.
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "kustomization-examples" / "sidecar-log-shipper"
KRM_FN = str(Path(sys.executable).parent / "krm-fn")
RUNS = int(os.environ.get("BENCH_RUNS", "7"))
SIZE = int(os.environ.get("BENCH_DEPLOYMENTS", "1000"))


def timed(cmd: list[str], stdin: bytes = b"", env: dict[str, str] | None = None) -> float:
    """Median wall time of a command over RUNS runs."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run(cmd, input=stdin, capture_output=True, check=True, env=env)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def row(name: str, ours: float, base: float) -> None:
    """One Markdown table row."""
    print(f"| {name} | {ours * 1000:8.1f} ms | {base * 1000:8.1f} ms | {ours / base:5.2f}x |")


def main() -> None:
    """Run the three comparisons."""
    work = Path(tempfile.mkdtemp(prefix="krm-fn-bench-"))
    plugins = work / "plugins"
    subprocess.run([KRM_FN, "install-plugins", str(plugins)], check=True, capture_output=True)
    env = {**os.environ, "KUSTOMIZE_PLUGIN_HOME": str(plugins)}

    plain = work / "plain"
    shutil.copytree(DEMO, plain)
    (plain / "kustomization.yaml").write_text("resources: [deployment.yaml, service.yaml]\n")

    print("| what | with krm-fn | baseline | ratio |\n|---|---|---|---|")
    row(
        "kubectl kustomize, demo example (plugin vs none)",
        timed(["kubectl", "kustomize", "--enable-alpha-plugins", str(DEMO)], env=env),
        timed(["kubectl", "kustomize", str(plain)]),
    )

    pkg = work / "pkg"
    pkg.mkdir()
    shutil.copy(DEMO / "deployment.yaml", pkg)
    config = str(DEMO / "log-shipper.yaml")
    row(
        "kpt fn eval --exec (krm-fn vs cat)",
        timed(["kpt", "fn", "eval", str(pkg), "--exec", KRM_FN, "--fn-config", config]),
        timed(["kpt", "fn", "eval", str(pkg), "--exec", "cat", "--fn-config", config]),
    )

    deployment = yaml.safe_load((DEMO / "deployment.yaml").read_text())
    items = []
    for index in range(SIZE):
        item = yaml.safe_load(yaml.safe_dump(deployment))
        item["metadata"]["name"] = f"shop-{index}"
        items.append(item)
    big = work / "big"
    big.mkdir()
    (big / "all.yaml").write_text(yaml.dump_all(items, Dumper=yaml.CSafeDumper))
    (big / "kustomization.yaml").write_text("resources: [all.yaml]\n")
    resource_list = yaml.dump(
        {
            "apiVersion": "config.kubernetes.io/v1",
            "kind": "ResourceList",
            "items": items,
            "functionConfig": yaml.safe_load(Path(config).read_text()),
        },
        Dumper=yaml.CSafeDumper,
    ).encode()
    row(
        f"{SIZE} Deployments: krm-fn ResourceList vs kubectl kustomize build",
        timed([KRM_FN], stdin=resource_list),
        timed(["kubectl", "kustomize", str(big)]),
    )
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
