"""krm-fn as a Helm post-renderer, with real helms built from their Go modules (testtools/).

Helm 3 runs `krm-fn run` as a command; Helm 4 runs post-renderers only as plugins, by name: the
plugin `krm-fn helm-plugin` writes, installed with `helm plugin install`.
"""

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cluster import ControlPlane
from support import (
    ROOT,
    SHIPPER_CONFIG,
    SHIPPER_DEPLOYMENT,
    built_tool,
    impostor,
    krm_fn,
    krm_fn_command,
    pod_template,
    run,
    shipper,
    write_documents,
)

from krm_fn.manifests import yamlio

CHART = ROOT / "tests" / "charts" / "shop"
HELMS = ["helm", "helm4"]  # the binaries: Helm 3 and Helm 4
HOOKS = "shop/templates/migrate-hook.yaml"


def environment(home: Path) -> dict[str, str]:
    """helm with its own empty home."""
    return {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }


def install_plugin(home: Path) -> None:
    """krm-fn's Helm 4 plugin, written by `krm-fn helm-plugin` and installed by helm, once."""
    source = home / "krm-fn-helm-plugin"
    if source.exists():
        return
    written = run([krm_fn_command(), "helm-plugin", str(source)])
    assert written.returncode == 0 and written.stdout == f"{source / 'plugin.yaml'}\n", written
    done = run([built_tool("helm4"), "plugin", "install", str(source)], env=environment(home))
    assert done.returncode == 0 and "Installed plugin: krm-fn" in done.stdout, done.stderr


def post_renderer(binary: str, home: Path, args: list[str]) -> list[str]:
    """The flags that make helm run `krm-fn run ARGS` on what it rendered."""
    if binary == "helm":
        flags = ["--post-renderer", krm_fn_command(), "--post-renderer-args=run"]
    else:
        install_plugin(home)
        flags = ["--post-renderer", "krm-fn"]
    return flags + [f"--post-renderer-args={arg}" for arg in args]


def helm(
    *args: str, home: Path, post_render: list[str] | None = None, binary: str = "helm", **kw: Any
) -> Any:
    """Run helm; `post_render`: the arguments of `krm-fn run` as its post-renderer."""
    command = [built_tool(binary), *args]
    if post_render is not None:
        command += post_renderer(binary, home, post_render)
    return run(command, env=environment(home), timeout=180, **kw)


def documents_with_sources(stream: str) -> dict[str, Any]:
    """The documents of helm's output by their `# Source:` comment."""
    found = {}
    for piece in stream.split("\n---\n"):
        source = next(line for line in piece.splitlines() if line.startswith("# Source: "))
        found[source.removeprefix("# Source: ")] = yamlio.load(piece)
    return found


@pytest.mark.parametrize("binary", HELMS)
def test_helm_template_runs_krm_fn_as_its_post_renderer(binary: str, tmp_path: Path) -> None:
    plain = helm("template", "shop", str(CHART), home=tmp_path, binary=binary)
    assert plain.returncode == 0, plain.stderr
    args = ["-q", str(SHIPPER_CONFIG)]
    done = helm("template", "shop", str(CHART), home=tmp_path, post_render=args, binary=binary)
    assert done.returncode == 0, done.stderr
    rendered = documents_with_sources(done.stdout)  # every document keeps its Source comment
    before = documents_with_sources(plain.stdout)
    assert rendered.keys() == before.keys()
    # the same as krm-fn run on helm's plain output, as a file
    (tmp_path / "plain.yaml").write_text(plain.stdout)
    by_hand = run([krm_fn_command(), "run", *args, str(tmp_path / "plain.yaml")])
    assert by_hand.returncode == 0, by_hand.stderr
    by_hand_sources = documents_with_sources(by_hand.stdout)
    pod = rendered["shop/templates/deployment.yaml"]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["access-log"]
    assert rendered["shop/templates/service.yaml"] == before["shop/templates/service.yaml"]
    if binary == "helm":  # Helm 3 does not hand hooks to a post-renderer: the Job as made
        assert rendered[HOOKS] == before[HOOKS]
        assert {s: d for s, d in rendered.items() if s != HOOKS} == {
            s: d for s, d in by_hand_sources.items() if s != HOOKS
        }
    else:  # Helm 4 does: the hook Job gets its sidecar too
        assert rendered[HOOKS] != before[HOOKS]
        assert rendered == by_hand_sources


@pytest.mark.parametrize("binary", HELMS)
def test_a_config_error_fails_helm_with_krm_fns_message(binary: str, tmp_path: Path) -> None:
    config = yamlio.load(SHIPPER_CONFIG.read_text())
    config["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "lots"
    (tmp_path / "config.yaml").write_text(yamlio.dump(config))
    args = ["-q", str(tmp_path / "config.yaml")]
    done = helm("template", "shop", str(CHART), home=tmp_path, post_render=args, binary=binary)
    assert done.returncode == 1 and done.stdout == ""
    assert "post render" in done.stderr
    message = 'Sidecar/log-shipper spec.containers[0]: container "access-log": resources.limits.cpu'
    assert message in done.stderr  # Helm 4 discards a plugin's stderr: krm-fn writes to Helm's


def test_helm_4s_stderr_in_a_file_is_left_to_helm(tmp_path: Path) -> None:
    """Reopened, a file would be written at another offset than Helm's: krm-fn keeps out."""
    bad = tmp_path / "config.yaml"
    long_value = "lots" + "x" * 400  # krm-fn's message longer than Helm's: it would show
    bad.write_text(
        SHIPPER_CONFIG.read_text().replace("limits: {cpu: 100m", f"limits: {{cpu: {long_value}")
    )
    command = ["template", "shop", str(CHART), *post_renderer("helm4", tmp_path, [str(bad)])]
    with open(tmp_path / "stderr", "w") as stderr:
        done = subprocess.run(
            [built_tool("helm4"), *command],
            env=environment(tmp_path),
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            check=False,
        )
    assert done.returncode == 1
    written = (tmp_path / "stderr").read_text()
    assert written.startswith("Error: error while running post render"), written
    assert "xxxx" not in written


def test_helm_4_passes_its_post_renderer_args_as_they_are(tmp_path: Path) -> None:
    """A config path with a $, spaces and a leading dash reaches krm-fn unexpanded."""
    folder = tmp_path / "$HOME and ${PATH}" / "-odd"
    folder.mkdir(parents=True)
    (folder / "config.yaml").write_text(SHIPPER_CONFIG.read_text())
    args = ["-q", str(folder / "config.yaml")]
    done = helm("template", "shop", str(CHART), home=tmp_path, post_render=args, binary="helm4")
    assert done.returncode == 0, done.stderr
    assert "krm-fn.dev/injected" in done.stdout


def test_the_helm_4_plugin_runs_this_python_and_refuses_a_path_helm_would_expand(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from krm_fn.plugins import helm_plugin_manifest

    install_plugin(tmp_path)
    manifest = yamlio.load((tmp_path / "krm-fn-helm-plugin" / "plugin.yaml").read_text())
    [command] = manifest["runtimeConfig"]["platformCommand"]
    assert os.path.samefile(command["command"], Path(krm_fn_command()).parent / "python")
    assert command["args"] == ["-I", "-m", "krm_fn", "helm-post-render"]
    monkeypatch.setattr("sys.executable", "/opt/$HOME/python")
    with pytest.raises(ValueError, match="Helm would expand"):
        helm_plugin_manifest()


def test_the_helm_4_plugin_never_runs_a_krm_fn_folder_where_helm_runs(tmp_path: Path) -> None:
    """Helm starts the post-renderer in its own working directory: a `krm_fn` folder there (a
    chart's checkout, a repository) is not imported in krm-fn's place."""
    marker, work = tmp_path / "ran", tmp_path / "work"
    impostor(work, marker)
    args = ["-q", str(SHIPPER_CONFIG)]
    done = helm(
        "template", "shop", str(CHART), home=tmp_path, post_render=args, binary="helm4", cwd=work
    )
    assert done.returncode == 0, done.stderr
    assert not marker.exists() and "krm-fn.dev/injected" in done.stdout


def test_a_chart_that_renders_only_hooks_needs_allow_empty_under_helm_3(tmp_path: Path) -> None:
    args = ["-q", str(SHIPPER_CONFIG)]
    only_hooks = ["template", "shop", str(CHART), "--set", "app=false"]
    done = helm(*only_hooks, home=tmp_path, post_render=args)
    assert done.returncode == 1 and "holds no resources" in done.stderr
    done = helm(
        *only_hooks, home=tmp_path, post_render=["-q", "--allow-empty", str(SHIPPER_CONFIG)]
    )
    assert done.returncode == 0, done.stderr
    assert [d["kind"] for d in yamlio.load_all(done.stdout)] == ["Job"]  # the hook, untouched
    # Helm 4 hands the hook to krm-fn: there is something to change
    done = helm(*only_hooks, home=tmp_path, post_render=args, binary="helm4")
    assert done.returncode == 0, done.stderr
    [job] = yamlio.load_all(done.stdout)
    assert [c["name"] for c in job["spec"]["template"]["spec"]["initContainers"]] == ["access-log"]


@pytest.mark.parametrize("binary", HELMS)
def test_helm_install_and_upgrade_through_krm_fn(
    binary: str, cluster: ControlPlane, tmp_path: Path
) -> None:
    namespace = cluster.namespace(f"{binary}-post-render")
    target = [f"--kubeconfig={cluster.kubeconfig}", "--namespace", namespace]
    args = ["-q", str(SHIPPER_CONFIG)]
    install = ["install", "shop", str(CHART), "--set", "migrate=false", *target]  # no kubelet
    done = helm(*install, home=tmp_path, post_render=args, binary=binary)
    assert done.returncode == 0, done.stderr

    def deployment() -> dict[str, Any]:
        got = cluster.kubectl("get", "deployment", "shop", "-n", namespace, "-o", "json")
        return dict(json.loads(got.stdout))

    installed = deployment()
    pod = installed["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["access-log"]
    assert pod["initContainers"][0]["restartPolicy"] == "Always"
    manifest = helm("get", "manifest", "shop", *target, home=tmp_path, binary=binary)
    assert "krm-fn.dev/injected" in manifest.stdout
    # an upgrade with the same chart and config changes nothing in the cluster: no drift
    upgrade = ["upgrade", "shop", str(CHART), "--set", "migrate=false", *target]
    done = helm(*upgrade, home=tmp_path, post_render=args, binary=binary)
    assert done.returncode == 0, done.stderr
    assert deployment()["metadata"]["generation"] == installed["metadata"]["generation"]
    again = helm("get", "manifest", "shop", *target, home=tmp_path, binary=binary)
    assert again.stdout == manifest.stdout


@pytest.mark.parametrize("binary", ["helm", "helm4"])
def test_a_helm_releases_namespace_matches_targets(binary: str, tmp_path: Path) -> None:
    chart = tmp_path / "shop"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n")
    (chart / "templates" / "deployment.yaml").write_text(SHIPPER_DEPLOYMENT.read_text())
    config = write_documents(
        tmp_path / "shop-only.yaml", [shipper(targets=[{"namespace": "shop"}])]
    )
    strict = write_documents(
        tmp_path / "strict.yaml", [shipper(targets=[{"namespace": "shop"}], failOnWarnings=True)]
    )
    home = tmp_path / "home"
    base = ["template", "web", str(chart), "-n", "shop"]
    plain = helm(*base, home=home, post_render=[str(config)], binary=binary)
    assert plain.returncode == 0, plain.stderr
    assert "initContainers" not in plain.stdout  # helm -n leaves metadata.namespace unset
    failed = helm(*base, home=home, post_render=[str(strict)], binary=binary)
    assert failed.returncode != 0  # Helm shows a post-renderer's messages only on failure:
    if binary == "helm":  # (Helm 4 through the plugin's own path to its stderr, not here)
        assert "workloads without metadata.namespace" in failed.stderr  # the warning says why
    named = helm(*base, home=home, post_render=["--namespace=shop", str(config)], binary=binary)
    assert named.returncode == 0, named.stderr
    spec = pod_template(named.stdout)["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["access-log"]
    assert "namespace" not in yamlio.load_all(named.stdout)[0]["metadata"]  # not written
    # the Helm 4 plugin's command reads an exported HELM_NAMESPACE (Helm's default namespace)
    for namespace, injected in (("shop", True), ("other", False)):
        code, out, err = krm_fn(
            "helm-post-render",
            str(config),
            stdin=SHIPPER_DEPLOYMENT.read_text(),
            env={**os.environ, "HELM_NAMESPACE": namespace},
        )
        assert code == 0 and ("initContainers" in out) == injected, err
