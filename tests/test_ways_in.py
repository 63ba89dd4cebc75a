"""The same configs through every way in for files: `krm-fn run`, kubectl kustomize, kpt.

A new user's four jobs give the same result through each; warnings kustomize hides can fail the
build; kpt reads an ordinary kustomize directory.
"""

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import (
    SHIPPER_CONFIG,
    SHIPPER_DEPLOYMENT,
    graceful_shutdown,
    krm_fn,
    krm_fn_command,
    run,
    shipper,
    team_labels,
    tool,
    write_documents,
)

from krm_fn.manifests import yamlio


def plugin_kustomization(tmp_path: Path, config: dict[str, Any]) -> Path:
    folder = tmp_path / "app"
    folder.mkdir(parents=True)
    (folder / "deployment.yaml").write_text(SHIPPER_DEPLOYMENT.read_text())
    write_documents(folder / "sidecar.yaml", [config])
    (folder / "kustomization.yaml").write_text(
        "resources: [deployment.yaml]\ntransformers: [sidecar.yaml]\n"
    )
    code, _, err = krm_fn("install-plugins", str(tmp_path / "plugins"))
    assert code == 0, err
    return folder


def kubectl_kustomize(folder: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "KUSTOMIZE_PLUGIN_HOME": str(folder.parent / "plugins"), **env}
    return run(
        [tool("kubectl"), "kustomize", "--enable-alpha-plugins", str(folder)],
        env=environment,
        timeout=120,
    )


def kpt_eval(package: Path) -> Any:
    """`kpt fn eval PACKAGE --exec krm-fn --fn-config CONFIG`, as a user runs it."""
    command = [tool("kpt"), "fn", "eval", str(package), "--exec", krm_fn_command()]
    return run([*command, "--fn-config", str(SHIPPER_CONFIG)], timeout=120)


FLASK = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: flask
  namespace: shop
spec:
  selector:
    matchLabels: {app: flask}
  template:
    metadata:
      labels: {app: flask}
    spec:
      containers:
      - name: app
        image: ghcr.io/example/flask-app:1.4.2
        ports:
        - {name: http, containerPort: 5000}
        readinessProbe:
          httpGet: {path: /healthz, port: 5000}
---
apiVersion: v1
kind: Service
metadata:
  name: flask
  namespace: shop
spec:
  selector: {app: flask}
  ports:
  - {port: 443, targetPort: 5000}
"""


ORDERS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
  namespace: shop
spec:
  selector:
    matchLabels: {app: orders}
  template:
    metadata:
      labels: {app: orders}
    spec:
      securityContext: {runAsUser: 1000, runAsGroup: 1000}
      containers:
      - name: api
        image: ghcr.io/example/orders-api:3.2.0
        envFrom:
        - secretRef: {name: orders-db}
"""


JOBS = {
    "log-shipping sidecar": (
        [yamlio.load(SHIPPER_CONFIG.read_text())],
        SHIPPER_DEPLOYMENT.read_text(),
    ),
    "TLS ambassador for a Flask app": (
        [
            {
                "apiVersion": "krm-fn.dev/v1alpha1",
                "kind": "Ambassador",
                "metadata": {"name": "tls"},
                "spec": {
                    "inbound": {"port": 5000, "appPort": 5001, "tls": {"secretName": "flask-tls"}},
                    "appArgs": ["--port=5001", "--host=127.0.0.1"],
                },
            }
        ],
        FLASK,
    ),
    "wait-for plus migration": (
        [
            {
                "apiVersion": "krm-fn.dev/v1alpha1",
                "kind": "PodPatterns",
                "metadata": {"name": "orders"},
                "spec": {
                    "patterns": [
                        {
                            "kind": "WaitFor",
                            "spec": {
                                "containerName": "wait-for-db",
                                "tcp": ["orders-db.databases.svc:5432"],
                            },
                        },
                        {
                            "kind": "Migration",
                            "spec": {
                                "command": ["/app/orders-api", "migrate", "up"],
                                "position": {"after": "wait-for-db"},
                            },
                        },
                    ]
                },
            }
        ],
        ORDERS,
    ),
    "graceful shutdown plus namespace defaults": ([graceful_shutdown(), team_labels()], ORDERS),
}


def normalized(stream: str) -> list[Any]:
    """Documents without what kustomize and kpt add or drop of their own, in a stable order."""
    documents = [
        d for d in yamlio.load_all(stream) if not str(d.get("apiVersion")).startswith("krm-fn.dev/")
    ]
    for document in documents:
        annotations = document.get("metadata", {}).get("annotations", {})
        for key in [
            k
            for k in annotations
            if k.startswith(("config.kubernetes.io/", "internal.config.kubernetes.io/"))
        ]:
            del annotations[key]
        if annotations == {} and "annotations" in document.get("metadata", {}):
            del document["metadata"]["annotations"]
    return sorted(documents, key=lambda d: (d["kind"], d["metadata"]["name"]))


def test_a_warning_kubectl_kustomize_hides_fails_the_build_with_fail_on_warnings(
    tmp_path: Path,
) -> None:
    typo = [{"kind": "Deployment", "name": "shpo"}]
    quiet = kubectl_kustomize(plugin_kustomization(tmp_path / "a", shipper(targets=typo)))
    assert quiet.returncode == 0 and "matched no workload" not in quiet.stderr  # kustomize hides it
    strict = shipper(targets=typo, failOnWarnings=True)
    failed = kubectl_kustomize(plugin_kustomization(tmp_path / "b", strict))
    assert failed.returncode == 1 and failed.stdout == ""
    assert 'Sidecar "log-shipper" matched no workload' in failed.stderr
    assert "failOnWarnings" in failed.stderr
    everywhere = kubectl_kustomize(
        plugin_kustomization(tmp_path / "c", shipper(targets=typo)), KRM_FN_FAIL_ON_WARNINGS="true"
    )
    assert everywhere.returncode == 1 and "matched no workload" in everywhere.stderr


def test_kpt_on_an_ordinary_kustomize_directory(tmp_path: Path) -> None:
    package = tmp_path / "app"
    package.mkdir()
    (package / "deployment.yaml").write_text(SHIPPER_DEPLOYMENT.read_text())
    kustomization = "resources: [deployment.yaml]\nnamespace: shop\n"
    (package / "kustomization.yaml").write_text(kustomization)
    done = kpt_eval(package)
    assert done.returncode == 0, done.stderr
    assert (package / "kustomization.yaml").read_text() == kustomization
    assert "access-log" in (package / "deployment.yaml").read_text()
    (package / "broken.yaml").write_text("- not\n- a resource\n")
    done = kpt_eval(package)
    assert done.returncode != 0


@pytest.mark.parametrize("job", JOBS)
def test_a_new_users_four_jobs_work_first_time_through_every_way_in(
    job: str, tmp_path: Path
) -> None:
    configs, manifests = JOBS[job]
    paths = [write_documents(tmp_path / f"config-{i}.yaml", [c]) for i, c in enumerate(configs)]
    (tmp_path / "app.yaml").write_text(manifests)
    args = [a for p in paths for a in ("-c", str(p))]
    code, by_run, err = krm_fn("run", "--fail-on-warnings", *args, str(tmp_path / "app.yaml"))
    assert code == 0 and "warning" not in err and "error" not in err, err
    assert by_run != manifests
    # kubectl kustomize with the legacy exec plugins, the configs as its transformers
    folder = tmp_path / "kustomize"
    folder.mkdir()
    (folder / "app.yaml").write_text(manifests)
    for path in paths:
        (folder / path.name).write_text(path.read_text())
    (folder / "kustomization.yaml").write_text(
        "resources: [app.yaml]\ntransformers: [" + ", ".join(p.name for p in paths) + "]\n"
    )
    assert krm_fn("install-plugins", str(tmp_path / "plugins"))[0] == 0
    built = kubectl_kustomize(folder, KRM_FN_FAIL_ON_WARNINGS="true")
    assert built.returncode == 0, built.stderr
    # kpt fn eval --exec, one config after the other, in place on a package
    package = tmp_path / "package"
    package.mkdir()
    (package / "app.yaml").write_text(manifests)
    for path in paths:
        done = run(
            [
                tool("kpt"),
                "fn",
                "eval",
                str(package),
                "--exec",
                krm_fn_command(),
                "--fn-config",
                str(path),
            ],
            timeout=120,
            env={**os.environ, "KRM_FN_FAIL_ON_WARNINGS": "true"},
        )
        assert done.returncode == 0, done.stderr
    by_kpt = "---\n".join(p.read_text() for p in sorted(package.glob("*.yaml")))  # + generated
    assert normalized(by_run) == normalized(built.stdout) == normalized(by_kpt)
