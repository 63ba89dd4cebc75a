"""make bench, Argo CD: the krm-fn plugin against Argo CD's built-in kustomize.

Through the real repo-server: tests/argocd.py starts Argo CD on a control plane of tests/cluster.py.

- manifest generation for one app, uncached (`argocd app manifests` with noCache, which the
  repo-server runs from the Git checkout): the plugin (streamed to argocd-cmp-server, kustomize
  with krm-fn's exec plugin) vs the built-in kustomize with the same sidecar as a
  strategic-merge `patches:` entry;
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

APPS = 50
RUNS = 15
PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  template:
    spec:
      initContainers:
      - name: access-log
        image: busybox:1.36.1
        command: [tail, -n+1, -F, /logs/access.log]
        restartPolicy: Always
        volumeMounts:
        - {name: shop-logs, mountPath: /logs, readOnly: true}
      containers:
      - name: shop
        volumeMounts:
        - {name: shop-logs, mountPath: /var/log/shop}
      volumes:
      - name: shop-logs
        emptyDir: {sizeLimit: 512Mi}
"""


def write_apps(repo: Path) -> None:
    """apps/plugin (the log-shipper example) and apps/builtin (the same with a patch)."""
    example = ROOT / "kustomization-examples" / "sidecar-log-shipper"
    shutil.copytree(example, repo / "apps" / "plugin")
    builtin = repo / "apps" / "builtin"
    builtin.mkdir(parents=True)
    for name in ("deployment.yaml", "service.yaml"):
        shutil.copy(example / name, builtin)
    (builtin / "patch.yaml").write_text(PATCH)
    (builtin / "kustomization.yaml").write_text(
        "resources: [deployment.yaml, service.yaml]\npatches:\n- path: patch.yaml\n"
    )


def builtin_app(argo: Any, name: str) -> dict[str, Any]:
    """An Application of apps/builtin: Argo CD's own kustomize, no plugin."""
    app = argo.application(name, "apps/builtin", name, automated=False)
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

    with control_plane(work / "plane") as plane, argocd(plane, work / "argocd") as argo:
        write_apps(argo.repo)
        argo.commit("apps")
        plugin_names = [f"plugin-{i}" for i in range(APPS)]
        builtin_names = [f"builtin-{i}" for i in range(APPS)]
        apps = [argo.application(n, "apps/plugin", n, automated=False) for n in plugin_names]
        apps += [builtin_app(argo, n) for n in builtin_names]
        argo.apply(apps[0], apps[APPS])  # alone first: no other app's reconciliation meanwhile
        for name in (plugin_names[0], builtin_names[0]):
            argo.wait(name, lambda a: bool(a.get("status", {}).get("reconciledAt")), "reconciled")
        generations(argo, [plugin_names[0], builtin_names[0]])  # warm up
        plugin, builtin = generations(argo, [plugin_names[0], builtin_names[0]])
        argo.apply(*apps[1:APPS], *apps[APPS + 1 :])
        for name in plugin_names + builtin_names:
            argo.wait(name, lambda a: bool(a.get("status", {}).get("reconciledAt")), "reconciled")
        plugin_refresh = refresh_all(argo, plugin_names)
        builtin_refresh = refresh_all(argo, builtin_names)
    return [
        (
            "Argo CD: one app's manifests, uncached: krm-fn plugin vs built-in kustomize + patch",
            plugin,
            builtin,
            1.5,
        ),
        (
            f"Argo CD: hard refresh of {APPS} apps: krm-fn plugin vs built-in kustomize + patch",
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
