"""The Argo CD config-management plugin, run the way argocd-cmp-server runs it.

discover and generate run with the app's directory as working directory and the ARGOCD_*
variables set, as the cmp-server does; kustomize is the real one (kubectl's).
"""

import copy
import shutil
from pathlib import Path
from typing import Any

from support import EXAMPLES, corpus_file, krm_fn_command, normalize, run, schema_errors, tool

from krm_fn import yamlio
from krm_fn.core import transform

EXAMPLE = EXAMPLES / "argocd-cmp-plugin"
PLUGIN = yamlio.load(
    yamlio.load((EXAMPLE / "plugin-configmap.yaml").read_text())["data"]["plugin.yaml"]
)


def cmp_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    kubectl_dir = str(Path(tool("kubectl")).parent)
    return {
        "PATH": f"{Path(krm_fn_command()).parent}:{kubectl_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ARGOCD_APP_NAME": "shop",
        "ARGOCD_APP_NAMESPACE": "shop",
        "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": "4c1e5d0",
        "ARGOCD_APP_SOURCE_PATH": "apps/shop",
        "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example.com/apps.git",
        "KUBE_VERSION": "1.33.2",
        "KUBE_API_VERSIONS": "v1,apps/v1,batch/v1",
        "KRM_FN_KUSTOMIZE": "kubectl kustomize",  # the sidecar has kustomize itself
        **extra,
    }


def discover(app: Path, tmp_path: Path) -> str:
    done = run(PLUGIN["spec"]["discover"]["find"]["command"], cwd=app, env=cmp_env(tmp_path))
    assert done.returncode == 0, done.stderr
    return done.stdout


def generate(app: Path, tmp_path: Path, **extra: str) -> Any:
    return run(PLUGIN["spec"]["generate"]["command"], cwd=app, env=cmp_env(tmp_path, **extra))


def app_copy(name: str, tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLES / name, tmp_path / "app"))


def test_discover_finds_kustomizations_that_use_krm_fn(tmp_path: Path) -> None:
    assert discover(EXAMPLES / "sidecar-log-shipper", tmp_path).strip() == "krm-fn"
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "kustomization.yaml").write_text("resources: [deployment.yaml]\n")
    (plain / "deployment.yaml").write_text(
        (EXAMPLES / "sidecar-log-shipper" / "deployment.yaml").read_text()
    )
    assert discover(plain, tmp_path) == ""
    (plain / ".krm-fn").write_text("")
    assert discover(plain, tmp_path).strip() == "krm-fn"
    (plain / "kustomization.yaml").unlink()
    assert discover(plain, tmp_path) == ""  # no kustomization: not an app generate can build


def test_generate_prints_the_build_and_nothing_else(tmp_path: Path) -> None:
    done = generate(app_copy("sidecar-log-shipper", tmp_path), tmp_path)
    assert done.returncode == 0, done.stderr
    expected = yamlio.load_all((EXAMPLES / "sidecar-log-shipper" / "expected.yaml").read_text())
    assert normalize(yamlio.load_all(done.stdout)) == normalize(expected)


def test_kube_version_sets_the_target(tmp_path: Path) -> None:
    app = app_copy("sidecar-log-shipper", tmp_path)
    done = generate(app, tmp_path, KUBE_VERSION="v1.28.4+k3s1")
    assert done.returncode == 0, done.stderr
    [deployment] = [d for d in yamlio.load_all(done.stdout) if d["kind"] == "Deployment"]
    spec = deployment["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["containers"]] == ["shop", "access-log"]  # no native sidecars
    assert "initContainers" not in spec
    done = generate(
        app, tmp_path, KUBE_VERSION="1.28.4", ARGOCD_ENV_KRM_FN_KUBERNETES_VERSION="1.31"
    )
    [deployment] = [d for d in yamlio.load_all(done.stdout) if d["kind"] == "Deployment"]
    assert deployment["spec"]["template"]["spec"]["initContainers"][0]["name"] == "access-log"


def test_generate_fails_loudly_and_prints_nothing_on_an_error(tmp_path: Path) -> None:
    done = generate(app_copy("restricted-namespace", tmp_path), tmp_path)
    assert done.returncode != 0
    assert done.stdout == ""
    assert 'enforces Pod Security "restricted"' in done.stderr


def test_generate_refuses_an_empty_manifest(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    shutil.copy(EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml", app)
    (app / "kustomization.yaml").write_text("resources: []\ntransformers: [log-shipper.yaml]\n")
    done = generate(app, tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    # krm-fn refuses an empty input itself; the plugin's own check is the second guard
    assert "stdin holds no resources" in done.stderr


def sidecar(deployment: dict[str, Any]) -> dict[str, Any]:
    spec = deployment["spec"]["template"]["spec"]
    [container] = [c for c in spec["initContainers"] if c["name"] == "krm-fn"]
    return container


def test_the_install_example_adds_the_cmp_sidecar(tmp_path: Path) -> None:
    [deployment] = [
        d
        for d in yamlio.load_all((EXAMPLE / "expected.yaml").read_text())
        if d["kind"] == "Deployment"
    ]
    container = sidecar(deployment)
    assert container["command"] == ["/var/run/argocd/argocd-cmp-server"]
    assert container["securityContext"]["runAsUser"] == 999
    assert container["restartPolicy"] == "Always"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/var/run/argocd"]["name"] == "var-files"
    assert mounts["/home/argocd/cmp-server/plugins"]["name"] == "plugins"
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"]["subPath"] == "plugin.yaml"
    names = [c["name"] for c in deployment["spec"]["template"]["spec"]["initContainers"]]
    assert names == ["copyutil", "copy-kustomize", "krm-fn"]  # the cmp-server binary is there first


def test_the_same_config_on_the_upstream_repo_server(tmp_path: Path) -> None:
    [deployment] = yamlio.load_all(corpus_file("argocd-repo-server-deployment.yaml").read_text())
    config = yamlio.load((EXAMPLE / "cmp-sidecar.yaml").read_text())
    original = copy.deepcopy(deployment)
    results = transform(config, [deployment])
    assert not [r for r in results if r.severity == "error"], results
    assert sidecar(deployment)["command"] == ["/var/run/argocd/argocd-cmp-server"]
    spec = deployment["spec"]["template"]["spec"]
    assert spec["containers"] == original["spec"]["template"]["spec"]["containers"]
    assert schema_errors([deployment], "1.33") == []
