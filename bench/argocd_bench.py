"""make bench, Argo CD: the krm-fn plugin against Argo CD's built-in kustomize.

Through the real repo-server: tests/argocd.py starts Argo CD on a control plane of tests/cluster.py.

- manifest generation for one app, uncached (`argocd app manifests` with noCache, which the
  repo-server runs from the Git checkout), for each shape of bench.py's rows: the plugin
  (streamed to argocd-cmp-server, kustomize with krm-fn's exec plugin, bench/sidecar.yaml) vs
  the built-in kustomize with the same sidecar as a strategic-merge `patches:` entry
  (bench/patch.yaml);
- a hard refresh of 50 such apps at once, until every one is reconciled again: plugin apps vs
  built-in apps.
"""

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from shapes import SHAPES

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

APPS = 50
RUNS = 15
BENCH = ROOT / "bench"
# The floor of any config-management plugin: one that runs the same kustomize build as Argo CD's
# built-in, with the same patch, through the same sidecar protocol (a cmp-server of its own).
FLOOR_PLUGIN = "kustomize-floor"
FLOOR_PLUGIN_YAML = f"""\
apiVersion: argoproj.io/v1alpha1
kind: ConfigManagementPlugin
metadata:
  name: {FLOOR_PLUGIN}
spec:
  generate:
    command: [kustomize, build, .]
"""


def write_apps(repo: Path) -> None:
    """An app of each kind for each shape: apps/plugin-SHAPE and apps/builtin-SHAPE.

    The plugin's has bench/sidecar.yaml as a transformer, the built-in's bench/patch.yaml as a
    `patches:` entry.
    """
    for shape, deployment in SHAPES.items():
        plugin, builtin = repo / "apps" / f"plugin-{shape}", repo / "apps" / f"builtin-{shape}"
        for folder in (plugin, builtin):
            folder.mkdir(parents=True)
            shutil.copy(BENCH / deployment, folder / "deployment.yaml")
        shutil.copy(BENCH / "sidecar.yaml", plugin)
        (plugin / "kustomization.yaml").write_text(
            "resources: [deployment.yaml]\ntransformers: [sidecar.yaml]\n"
        )
        shutil.copy(BENCH / "patch.yaml", builtin)
        patches = "patches:\n- path: patch.yaml\n  target: {kind: Deployment}\n"
        (builtin / "kustomization.yaml").write_text(f"resources: [deployment.yaml]\n{patches}")


def plugin_app(argo: Any, name: str, shape: str = "42-line") -> dict[str, Any]:
    """An Application of apps/plugin-SHAPE: the krm-fn plugin."""
    return dict(argo.application(name, f"apps/plugin-{shape}", name, automated=False))


def floor_app(argo: Any, name: str, shape: str) -> dict[str, Any]:
    """An Application of apps/builtin-SHAPE through the floor plugin."""
    app = argo.application(name, f"apps/builtin-{shape}", name, automated=False)
    app["spec"]["source"]["plugin"] = {"name": FLOOR_PLUGIN}
    return dict(app)


def builtin_app(argo: Any, name: str, shape: str = "42-line") -> dict[str, Any]:
    """An Application of apps/builtin-SHAPE: Argo CD's own kustomize, no plugin."""
    app = argo.application(name, f"apps/builtin-{shape}", name, automated=False)
    del app["spec"]["source"]["plugin"]
    return dict(app)


def generations(argo: Any, names: list[str]) -> list[float]:
    """Median seconds of one uncached manifest generation of each app, taken in turns."""
    times: list[list[float]] = [[] for _ in names]
    for _ in range(RUNS):
        for name, taken in zip(names, times, strict=True):
            start = time.perf_counter()
            argo.request("GET", f"/api/v1/applications/{name}/manifests?noCache=true")
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


def refresh_all(argo: Any, names: list[str]) -> float:
    """Seconds from a hard refresh of every app until each is reconciled again."""
    before = {n: argo.get(n)["status"].get("reconciledAt", "") for n in names}
    time.sleep(1.1)  # reconciledAt has a resolution of seconds
    start = time.perf_counter()
    for name in names:
        argo.refresh(name, hard=True)
    for name in names:
        argo.wait(
            name,
            lambda a, n=name: (
                a.get("status", {}).get("reconciledAt", "") > before[n]
                and "argocd.argoproj.io/refresh" not in a["metadata"].get("annotations", {})
            ),
            "refreshed",
            seconds=600,
        )
    return time.perf_counter() - start


def run(work: Path) -> list[tuple[str, float, float, float | None]]:
    """(what, krm-fn plugin, built-in kustomize, target ratio) rows."""
    from argocd import argocd
    from cluster import control_plane

    floor = {FLOOR_PLUGIN: FLOOR_PLUGIN_YAML}
    with control_plane(work / "plane") as plane, argocd(plane, work / "argocd", floor) as argo:
        write_apps(argo.repo)
        argo.commit("apps")
        plugin_names = [f"plugin-{i}" for i in range(APPS)]
        builtin_names = [f"builtin-{i}" for i in range(APPS)]
        apps = [plugin_app(argo, n) for n in plugin_names]
        apps += [builtin_app(argo, n) for n in builtin_names]
        alone = []  # one app of each kind and shape, alone first: no other app's reconciliation
        for shape in SHAPES:
            alone += [f"plugin-alone-{shape}", f"builtin-alone-{shape}", f"floor-alone-{shape}"]
            apps.append(plugin_app(argo, alone[-3], shape))
            apps.append(builtin_app(argo, alone[-2], shape))
            apps.append(floor_app(argo, alone[-1], shape))
        argo.apply(*apps[2 * APPS :])
        for name in alone:
            argo.wait(name, lambda a: bool(a.get("status", {}).get("reconciledAt")), "reconciled")
        generations(argo, alone)  # warm up
        generated = dict(zip(alone, generations(argo, alone), strict=True))
        argo.apply(*apps[: 2 * APPS])
        for name in plugin_names + builtin_names:
            argo.wait(name, lambda a: bool(a.get("status", {}).get("reconciledAt")), "reconciled")
        plugin_refresh = refresh_all(argo, plugin_names)
        builtin_refresh = refresh_all(argo, builtin_names)
    rows = []
    for shape in SHAPES:
        ours, builtin, plugin_floor = (
            generated[f"{k}-alone-{shape}"] for k in ("plugin", "builtin", "floor")
        )
        rows += [
            (
                f"Argo CD: one app's manifests, uncached, a {shape} Deployment: krm-fn plugin vs "
                "built-in kustomize + patch",
                ours,
                builtin,
                1.5,
            ),
            (
                f"context: Argo CD, a {shape} Deployment: the floor of any plugin (one running the "
                "same kustomize build + patch) vs built-in",
                plugin_floor,
                builtin,
                None,
            ),
        ]
    return [
        *rows,
        (
            f"Argo CD: hard refresh of {APPS} apps, 42-line: krm-fn plugin vs built-in kustomize"
            " + patch",
            plugin_refresh,
            builtin_refresh,
            None,
        ),
    ]


if __name__ == "__main__":
    directory = Path(tempfile.mkdtemp(prefix="krm-fn-argocd-bench-"))
    try:
        for what, ours, base, target in run(directory):
            print(
                f"{what}: {ours * 1000:.0f} ms vs {base * 1000:.0f} ms = {ours / base:.2f}x"
                f" (target {target})"
            )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
