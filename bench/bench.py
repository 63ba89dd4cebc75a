"""make bench: krm-fn's cost next to what it is measured against, side by side in one run.

Medians of several runs, reported as ratios (never asserted in tests). The table is printed and
written between the markers in docs/performance.md, with the machine and the tool versions.

- start-up: krm-fn on a 10-item ResourceList vs `python -c "import yaml"` (same interpreter);
- the function alone on N realistic Deployments vs the floor: a PyYAML C round trip of the stream;
- end to end: kubectl kustomize with krm-fn (legacy exec plugin) injecting a sidecar and a volume
  vs the same injection as a builtin strategic-merge `patches:` entry; kpt fn eval --exec krm-fn vs
  --exec cat;
- peak memory at the largest N;
- Argo CD (bench/argocd_bench.py): one app's manifests through the repo-server and the krm-fn
  plugin vs Argo CD's built-in kustomize with the sidecar as a patch, and a hard refresh of 50;
- audit (bench/audit_bench.py): `krm-fn audit -A` over 2,000 pods vs `kubectl get pods -A -o json`;
- admission (bench/admission_bench.py): pod creates on the API server with the admission policy,
  with the webhook and with no injection: per pod and the latency at p50 and p99.
BENCH_RUNS (default 5) and BENCH_SIZES (default 100,1000,10000) change how much is measured.
"""

import datetime
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from shapes import SHAPES

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
REPORT = ROOT / "docs" / "performance.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"
PYTHON = sys.executable
KRM_FN = str(Path(PYTHON).parent / "krm-fn")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100,1000,10000").split(",")]
NOOP = ("krm-fn.dev/v1alpha1", "BenchNoop")
PYDANTIC_MODEL = (
    "from pydantic import BaseModel\nclass M(BaseModel):\n    x: int\nM.model_validate({'x': 1})\n"
)


@dataclass
class Row:
    """One line of the table: krm-fn's figure, the baseline's, and the target ratio if any."""

    what: str
    ours: float
    base: float
    target: float | None = None
    unit: str = "s"

    def markdown(self) -> str:
        """The row as Markdown."""
        ratio = self.ours / self.base
        if self.target is None:
            verdict = "(context)"
        else:
            verdict = f"≤ {self.target:g}x: " + ("**met**" if ratio <= self.target else "not met")
        return (
            f"| {self.what} | {_figure(self.ours, self.unit)} | {_figure(self.base, self.unit)} "
            f"| {ratio:.2f}x | {verdict} |"
        )


def _figure(value: float, unit: str) -> str:
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"


def measure(
    cmd: list[str], stdin: Path | None = None, env: dict[str, str] | None = None, runs: int = RUNS
) -> tuple[float, float]:
    """Median wall time (s) and largest peak RSS (MB) of a command over runs."""
    return interleaved([(cmd, stdin, env)], runs)[0]


Command = tuple[list[str], Path | None, dict[str, str] | None]  # argv, stdin file, environment


def interleaved(commands: list[Command], runs: int = RUNS) -> list[tuple[float, float]]:
    """Median wall time (s) and largest peak RSS (MB) of each command, their runs alternating.

    One run of each in turn, so that a noisy minute weighs on all of them alike.
    """
    times: list[list[float]] = [[] for _ in commands]
    peaks: list[list[float]] = [[] for _ in commands]
    for _ in range(runs):
        for index, (cmd, stdin, env) in enumerate(commands):
            elapsed, peak = _once(cmd, stdin, env)
            times[index].append(elapsed)
            peaks[index].append(peak)
    return [(statistics.median(t), max(p)) for t, p in zip(times, peaks, strict=True)]


def _once(cmd: list[str], stdin: Path | None, env: dict[str, str] | None) -> tuple[float, float]:
    with open(stdin or os.devnull, "rb") as source:
        start = _now()
        process = subprocess.Popen(
            cmd, stdin=source, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env
        )
        assert process.stderr is not None
        error = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = _now() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({code}): {error.decode()}")
    return elapsed, usage.ru_maxrss / 1024


def _now() -> float:
    return time.perf_counter()


def deployments(count: int, shape: str = "42-line") -> list[dict[str, Any]]:
    """Copies of the shape's Deployment (bench/), each with its own name."""
    template = yaml.safe_load((BENCH / SHAPES[shape]).read_text())
    items = []
    for index in range(count):
        item = yaml.safe_load(yaml.safe_dump(template))
        item["metadata"]["name"] = f"shop-{index}"
        items.append(item)
    return items


def commented_manifests(folder: Path, count: int) -> tuple[Path, Path]:
    """Deployments in one file, and the same with a comment at the end of every 5th line."""
    plain = "---\n".join(yaml.safe_dump(item, sort_keys=False) for item in deployments(count))
    lines = plain.split("\n")
    commented = [
        f"{line}  # note" if index % 5 == 2 and line.strip() and line != "---" else line
        for index, line in enumerate(lines)
    ]
    (folder / "plain.yaml").write_text(plain)
    (folder / "commented.yaml").write_text("\n".join(commented))
    return folder / "plain.yaml", folder / "commented.yaml"


def write_inputs(work: Path, count: int, shape: str = "42-line") -> Path:
    """A ResourceList, a kustomization for krm-fn and one with the builtin patch; return the dir."""
    folder = work / shape / str(count)
    items = deployments(count, shape)
    config = yaml.safe_load((BENCH / "sidecar.yaml").read_text())
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": config,
    }
    for sub in ("krm-fn", "patch", "kpt", "noop"):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "deployments.yaml").write_text(
            yaml.dump_all(items, Dumper=yaml.CSafeDumper)
        )
    (folder / "resource-list.yaml").write_text(yaml.dump(resource_list, Dumper=yaml.CSafeDumper))
    shutil.copy(BENCH / "sidecar.yaml", folder / "krm-fn")
    (folder / "krm-fn" / "kustomization.yaml").write_text(
        "resources: [deployments.yaml]\ntransformers: [sidecar.yaml]\n"
    )
    (folder / "noop" / "noop.yaml").write_text(
        f"apiVersion: {NOOP[0]}\nkind: {NOOP[1]}\nmetadata: {{name: noop}}\n"
    )
    (folder / "noop" / "kustomization.yaml").write_text(
        "resources: [deployments.yaml]\ntransformers: [noop.yaml]\n"
    )
    shutil.copy(BENCH / "patch.yaml", folder / "patch")
    (folder / "patch" / "kustomization.yaml").write_text(
        "resources: [deployments.yaml]\n"
        "patches:\n- path: patch.yaml\n  target: {kind: Deployment}\n"
    )
    return folder


def sized_rows(work: Path, shape: str, count: int, plugin_env: dict[str, str]) -> list[Row]:
    """The rows of one shape and size: the function alone, kubectl kustomize, kpt."""
    rows: list[Row] = []
    folder = write_inputs(work, count, shape)
    extra = shape == "42-line"  # context rows: on one shape
    runs = RUNS if count < 10_000 else max(1, RUNS // 2)
    ours, ours_peak = measure([KRM_FN], folder / "resource-list.yaml", runs=runs)
    floor, floor_peak = measure(
        [PYTHON, str(BENCH / "yaml_floor.py")], folder / "resource-list.yaml", runs=runs
    )
    rows.append(
        Row(
            f"function alone, {count:,} {shape} Deployments, vs PyYAML C load + dump",
            ours,
            floor,
            1.3 if count >= 1000 else None,
        )
    )
    if count == max(SIZES) and extra:
        rows.append(
            Row(
                f"context: {count:,} Deployments vs the same floor with the collector off",
                ours,
                measure(
                    [PYTHON, str(BENCH / "yaml_floor.py"), "--no-gc"],
                    folder / "resource-list.yaml",
                    runs=runs,
                )[0],
            )
        )
        rows.append(
            Row(
                f"peak memory, {count:,} Deployments, vs PyYAML C load + dump",
                ours_peak,
                floor_peak,
                unit="MB",
            )
        )
    if count == 1000 and extra:
        styled = folder / "resource-list-styled.yaml"  # leaf collections in flow style
        styled.write_text(
            yaml.dump(
                yaml.load((folder / "resource-list.yaml").read_text(), Loader=yaml.CSafeLoader),
                Dumper=yaml.CSafeDumper,
                default_flow_style=None,
            )
        )
        cost = [PYTHON, str(BENCH / "style_cost.py")]
        rows.append(
            Row(
                f"context: keeping quotes and flow styles, {count:,} Deployments: krm-fn's"
                " YAML read and write with styles vs without",
                measure([*cost, "--styles"], styled, runs=runs)[0],
                measure(cost, styled, runs=runs)[0],
            )
        )
        plain, commented = commented_manifests(folder, count)
        command = [KRM_FN, "run", "-q", str(BENCH / "sidecar.yaml")]
        (with_comments, _), (without, _) = interleaved(
            [([*command, str(commented)], None, None), ([*command, str(plain)], None, None)],
            runs=runs,
        )
        rows.append(
            Row(
                f"context: krm-fn run, {count:,} Deployments, a comment every fifth line:"
                " comments carried over vs none in the files",
                with_comments,
                without,
            )
        )
    if count <= 1000:
        build = ["kubectl", "kustomize", "--enable-alpha-plugins"]
        (patch, _), (noop, _), (krm_fn, _) = interleaved(
            [
                (["kubectl", "kustomize", str(folder / "patch")], None, None),
                ([*build, str(folder / "noop")], None, plugin_env),
                ([*build, str(folder / "krm-fn")], None, plugin_env),
            ],
            runs=runs,
        )
        rows.append(
            Row(
                f"context: kubectl kustomize, {count:,} {shape} Deployments: a no-op exec plugin"
                " (`cat`) vs builtin `patches:`",
                noop,
                patch,
            )
        )
        rows.append(
            Row(
                f"kubectl kustomize, {count:,} {shape} Deployments: krm-fn vs builtin `patches:`",
                krm_fn,
                patch,
                {100: 1.2, 1000: 1.6}.get(count),
            )
        )
    if count == 100:
        kpt = ["kpt", "fn", "eval", str(folder / "kpt"), "-o", "stdout"]
        config = ["--fn-config", str(BENCH / "sidecar.yaml")]
        rows.append(
            Row(
                f"kpt fn eval, {count:,} {shape} Deployments: --exec krm-fn vs --exec cat",
                measure([*kpt, "--exec", KRM_FN, *config], runs=runs)[0],
                measure([*kpt, "--exec", "cat", *config], runs=runs)[0],
            )
        )
    return rows


def run(work: Path) -> list[Row]:
    """Every comparison, in one run."""
    # krm-fn as installed: bytecode compiled (pip does it; a fresh clone, where
    # PYTHONDONTWRITEBYTECODE is set, would otherwise compile at every start)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "krm_fn")], check=True)
    plugins = work / "plugins"
    subprocess.run([KRM_FN, "install-plugins", str(plugins)], check=True, capture_output=True)
    noop = plugins / NOOP[0] / NOOP[1].lower() / NOOP[1]  # what any exec plugin costs kustomize
    noop.parent.mkdir(parents=True)
    noop.write_text("#!/bin/sh\nexec cat\n")
    noop.chmod(0o755)
    plugin_env = {**os.environ, "KUSTOMIZE_PLUGIN_HOME": str(plugins)}
    small = write_inputs(work, 10)
    startup_runs = max(3 * RUNS, 15)
    startup, import_yaml = interleaved(
        [
            ([KRM_FN], small / "resource-list.yaml", None),
            ([PYTHON, "-c", "import yaml"], None, None),
        ],
        runs=startup_runs,
    )
    rows = [
        Row(
            "start-up: krm-fn, 10 Deployments, vs `python -c 'import yaml'`",
            startup[0],
            import_yaml[0],
            3.0,
        ),
        Row(
            "context: pydantic alone (import, one model, one validation) vs `import yaml`",
            measure([PYTHON, "-c", PYDANTIC_MODEL], runs=startup_runs)[0],
            measure([PYTHON, "-c", "import yaml"], runs=startup_runs)[0],
        ),
    ]
    for shape in SHAPES:
        for count in SIZES:
            rows += sized_rows(work, shape, count, plugin_env)
    return rows


def versions() -> str:
    """The machine and the versions of what was measured."""
    import pydantic

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    kustomize = subprocess.run(
        ["kubectl", "version", "--client"], capture_output=True, text=True, check=False
    ).stdout
    kpt = subprocess.run(["kpt", "version"], capture_output=True, text=True, check=False).stdout
    libyaml = getattr(yaml, "__with_libyaml__", False)
    tools = " ".join(re.findall(r"(?:Client|Kustomize) Version: \S+", kustomize))
    return (
        f"Measured {datetime.date.today()} on {platform.machine()}, {os.cpu_count()} cores "
        f"({cpu}), {platform.system()} {platform.release()}; Python {platform.python_version()}, "
        f"PyYAML {yaml.__version__} (libyaml: {libyaml}), pydantic {pydantic.VERSION}, "
        f"kubectl {tools}, "
        f"kpt {kpt.strip()}. Medians of {RUNS} runs (start-up: {max(3 * RUNS, 15)}; "
        f"10,000 Deployments: {max(1, RUNS // 2)}), start-up and kustomize runs interleaved with "
        "their baselines; peak memory is the largest RSS of those runs."
    )


def main() -> None:
    """Measure, print the table, and write it into docs/performance.md."""
    import admission_bench
    import argocd_bench
    import audit_bench
    import webhook_bench

    work = Path(tempfile.mkdtemp(prefix="krm-fn-bench-"))
    try:
        rows = run(work)
        rows += [Row(*row) for row in argocd_bench.run(work / "argocd")]
        rows += [Row(*row) for row in audit_bench.run(work / "audit")]
        rows += [Row(*row) for row in admission_bench.run(work / "admission")]
        webhook = webhook_bench.run(work / "webhook")
    finally:
        shutil.rmtree(work)
    table = "\n".join(
        [
            "| what | krm-fn | baseline | ratio | target |",
            "|---|---:|---:|---:|---|",
            *(row.markdown() for row in rows),
        ]
    )
    table += "\n\n" + "\n".join(webhook)
    print(table)
    section = f"{BEGIN}\n{versions()}\n\n{table}\n{END}"
    report = REPORT.read_text() if REPORT.exists() else f"# Performance\n\n{BEGIN}\n{END}\n"
    start, end = report.index(BEGIN), report.index(END) + len(END)
    REPORT.write_text(report[:start] + section + report[end:])
    print(f"\nwritten to {REPORT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
