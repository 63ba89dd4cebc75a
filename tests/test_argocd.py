"""The Argo CD config-management plugin, run the way argocd-cmp-server runs it.

discover and generate run with the app's directory as working directory and the ARGOCD_*
variables set, as the cmp-server does; kustomize and helm are the real ones (kubectl's, and helm
built from its module). The real Argo CD runs them in tests/test_argocd_cluster.py.
"""

import copy
import json
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from support import (
    EXAMPLES,
    built_tool,
    corpus_file,
    impostor,
    krm_fn_command,
    normalize,
    run,
    schema_errors,
    tool,
)

from krm_fn.argocd import PARAMETERS
from krm_fn.argocd_generate import socket_path
from krm_fn.framework import transform
from krm_fn.manifests import yamlio

EXAMPLE = EXAMPLES / "argocd-cmp-plugin"
PLUGIN = yamlio.load(
    yamlio.load((EXAMPLE / "plugin-configmap.yaml").read_text())["data"]["plugin.yaml"]
)


def cmp_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    kubectl_dir = str(Path(tool("kubectl")).parent)
    cold = tmp_path / "tmp"  # no warm process listens there (one of another test might in /tmp)
    cold.mkdir(exist_ok=True)
    return {
        "TMPDIR": str(cold),
        "PATH": f"{Path(krm_fn_command()).parent}:{kubectl_dir}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "ARGOCD_APP_NAME": "shop",
        "ARGOCD_APP_NAMESPACE": "shop",
        "ARGOCD_APP_PROJECT_NAME": "default",
        "ARGOCD_APP_REVISION": "4c1e5d0",
        "ARGOCD_APP_SOURCE_PATH": "apps/shop",  # app_copy puts the app there
        "ARGOCD_APP_SOURCE_REPO_URL": "https://git.example.com/apps.git",
        "KUBE_VERSION": "1.33.2",
        "KUBE_API_VERSIONS": "v1,apps/v1,batch/v1",
        "ARGOCD_APP_PARAMETERS": "null",  # what Argo CD sends for an app without parameters
        "KRM_FN_KUSTOMIZE": "kubectl kustomize",  # the sidecar has kustomize itself
        "KRM_FN_HELM": built_tool("helm"),
        **extra,
    }


def discover(app: Path, tmp_path: Path) -> str:
    done = run(PLUGIN["spec"]["discover"]["find"]["command"], cwd=app, env=cmp_env(tmp_path))
    assert done.returncode == 0, done.stderr
    return done.stdout


@dataclass
class Warm:
    """krm-fn's warm process for generate (`krm-fn argocd-sidecar`), listening in directory."""

    directory: Path
    log: Path

    def generations(self) -> int:
        lines = self.log.read_text().splitlines()
        return sum(line.startswith("krm-fn argocd-sidecar: generated app ") for line in lines)


WARM: list[Warm] = []  # the module's warm process (warm_sidecar), while its tests run


@contextmanager
def warm_sidecar_in(directory: Path, command: tuple[str, ...] = ("sleep", "infinity")) -> Any:
    """`krm-fn argocd-sidecar COMMAND` with TMPDIR=directory, once it listens; stopped after."""
    log = directory / "sidecar.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [krm_fn_command(), "argocd-sidecar", *command],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={"PATH": "/usr/bin:/bin", "TMPDIR": str(directory)},
        )
    warm = Warm(directory, log)
    try:
        # listening, or saying why not
        wait_for(lambda: "krm-fn argocd-sidecar: " in log.read_text() or process.poll() is not None)
        yield process, warm
    finally:
        process.kill()
        process.wait()
        # it ends with its command, and takes its socket with it
        wait_for(lambda: not Path(socket_path({"TMPDIR": str(directory)})).exists())


def wait_for(done: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, f"not within {seconds} s"
        time.sleep(0.02)


@pytest.fixture(scope="module", autouse=True)
def warm_sidecar(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    with warm_sidecar_in(tmp_path_factory.mktemp("warm")) as (_, warm):
        WARM.append(warm)
        yield
        WARM.remove(warm)


def generate(app: Path, tmp_path: Path, **extra: str) -> Any:
    """generate as the cmp-server runs it, cold and then through the warm process: the same."""
    command, env = PLUGIN["spec"]["generate"]["command"], cmp_env(tmp_path, **extra)
    cold = run(command, cwd=app, env=env)
    [warm] = WARM
    before = warm.generations()
    answered = run(command, cwd=app, env={**env, "TMPDIR": str(warm.directory)})
    assert warm.generations() == before + 1, warm.log.read_text()[-2000:]
    code, stdout, stderr = answer(answered)  # kustomize's files are in its TMPDIR
    assert (code, stdout, stderr.replace(str(warm.directory), env["TMPDIR"])) == answer(cold)
    return cold


def app_copy(name: str, tmp_path: Path) -> Path:
    """An example at apps/shop of a repository (ARGOCD_APP_SOURCE_PATH)."""
    return Path(shutil.copytree(EXAMPLES / name, tmp_path / "repo" / "apps" / "shop"))


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
    app = tmp_path / "repo" / "apps" / "shop"
    app.mkdir(parents=True)
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
    assert container["command"] == [
        "krm-fn",
        "argocd-sidecar",
        "/var/run/argocd/argocd-cmp-server",
    ]
    assert container["securityContext"]["runAsUser"] == 999
    assert container["restartPolicy"] == "Always"
    mounts = {m["mountPath"]: m for m in container["volumeMounts"]}
    assert mounts["/var/run/argocd"]["name"] == "var-files"
    assert mounts["/home/argocd/cmp-server/plugins"]["name"] == "plugins"
    assert mounts["/home/argocd/cmp-server/config/plugin.yaml"]["subPath"] == "plugin.yaml"
    names = [c["name"] for c in deployment["spec"]["template"]["spec"]["initContainers"]]
    assert names == ["copyutil", "copy-tools", "krm-fn"]  # the cmp-server binary is there first
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env == {
        "KRM_FN_KUSTOMIZE": "/custom-tools/kustomize build",
        "KRM_FN_HELM": "/custom-tools/helm",
    }


def test_the_same_config_on_the_upstream_repo_server(tmp_path: Path) -> None:
    [deployment] = yamlio.load_all(corpus_file("argocd-repo-server-deployment.yaml").read_text())
    config = yamlio.load((EXAMPLE / "cmp-sidecar.yaml").read_text())
    original = copy.deepcopy(deployment)
    results = transform(config, [deployment])
    assert not [r for r in results if r.severity == "error"], results
    assert sidecar(deployment)["command"] == [
        "krm-fn",
        "argocd-sidecar",
        "/var/run/argocd/argocd-cmp-server",
    ]
    spec = deployment["spec"]["template"]["spec"]
    assert spec["containers"] == original["spec"]["template"]["spec"]["containers"]
    assert schema_errors([deployment], "1.33") == []


def chart_app(tmp_path: Path) -> Path:
    """tests/charts/shop at charts/shop of a repository, with a krm-fn config beside Chart.yaml."""
    chart = Path(
        shutil.copytree(
            Path(__file__).parent / "charts" / "shop", tmp_path / "repo" / "charts" / "shop"
        )
    )
    shutil.copy(EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml", chart)
    (chart / "prod.yaml").write_text("replicas: 3\n")
    return chart


def chart_env(**parameters: Any) -> dict[str, str]:
    listed = [
        {"name": name, "array" if isinstance(value, list) else "string": value}
        for name, value in parameters.items()
    ]
    return {"ARGOCD_APP_SOURCE_PATH": "charts/shop", "ARGOCD_APP_PARAMETERS": json.dumps(listed)}


def test_generate_renders_a_chart_and_applies_the_config_beside_it(tmp_path: Path) -> None:
    chart = chart_app(tmp_path)
    parameters = {
        "values-files": ["prod.yaml"],
        "values": "migrate: false\n",
        "release-name": "web",
    }
    done = generate(chart, tmp_path, **chart_env(**parameters))
    assert done.returncode == 0, done.stderr
    resources = yamlio.load_all(done.stdout)
    assert sorted((r["kind"], r["metadata"]["name"]) for r in resources) == [
        ("Deployment", "web"),
        ("Service", "web"),
    ]  # migrate: false, so no hook Job
    [deployment] = [r for r in resources if r["kind"] == "Deployment"]
    assert deployment["spec"]["replicas"] == 3  # the values file
    spec = deployment["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["access-log"]  # KUBE_VERSION 1.33


def test_a_charts_hooks_get_the_configs_too(tmp_path: Path) -> None:
    chart = chart_app(tmp_path)
    done = generate(chart, tmp_path, **chart_env())
    assert done.returncode == 0, done.stderr
    [job] = [r for r in yamlio.load_all(done.stdout) if r["kind"] == "Job"]
    spec = job["spec"]["template"]["spec"]
    assert [c["name"] for c in spec["initContainers"]] == ["access-log"]


def test_the_configs_parameter_chooses_the_configs(tmp_path: Path) -> None:
    chart = chart_app(tmp_path)
    (chart / "log-shipper.yaml").rename(chart.parent / "shipper.yaml")  # not beside it any more
    done = generate(chart, tmp_path, **chart_env())
    assert done.returncode == 1 and done.stdout == ""
    assert "no krm-fn config" in done.stderr and "configs" in done.stderr
    done = generate(chart, tmp_path, **chart_env(configs=["../shipper.yaml"]))
    assert done.returncode == 0, done.stderr
    assert "access-log" in done.stdout


def test_a_charts_config_errors_name_the_file_and_fail_the_generate(tmp_path: Path) -> None:
    """The configs run in the generating process: their errors are its errors, and so are the
    settings (strict: a config that selects nothing)."""
    chart = chart_app(tmp_path)
    config = chart / "log-shipper.yaml"
    config.write_text(config.read_text().replace("spec:\n", "spec:\n  colour: red\n", 1))
    done = generate(chart, tmp_path, **chart_env())
    assert done.returncode == 1 and done.stdout == ""
    assert "log-shipper.yaml" in done.stderr and "colour" in done.stderr, done.stderr
    chart = chart_app(tmp_path / "strict")
    (chart / "nothing.yaml").write_text(
        (chart / "log-shipper.yaml").read_text().replace("log-shipper", "nothing")
        + "  targets:\n  - kind: Deployment\n    name: no-such-app\n"
    )
    configs = ["log-shipper.yaml", "nothing.yaml"]
    assert generate(chart, tmp_path, **chart_env(configs=configs)).returncode == 0
    done = generate(chart, tmp_path, **chart_env(configs=configs, strict="true"))
    assert done.returncode == 1 and done.stdout == ""
    assert 'Sidecar "nothing" matched no workload' in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"values-files": ["../../../etc/passwd"]}, "lies outside the repository"),
        ({"values-files": ["/etc/passwd"]}, "relative to the app's directory"),
        ({"configs": ["missing.yaml"]}, "no such file in the repository"),
        ({"colour": "red"}, "unknown parameter 'colour'"),
        ({"strict": "maybe"}, "parameter strict (or ARGOCD_ENV_KRM_FN_STRICT) is 'maybe'"),
        ({"configs": "log-shipper.yaml"}, "parameter configs takes a list"),
    ],
)
def test_bad_parameters_are_errors_naming_them(
    tmp_path: Path, parameters: dict[str, Any], message: str
) -> None:
    done = generate(chart_app(tmp_path), tmp_path, **chart_env(**parameters))
    assert done.returncode == 1 and done.stdout == ""
    assert message in done.stderr


def test_a_value_is_never_a_command(tmp_path: Path) -> None:
    chart = chart_app(tmp_path)
    marker = tmp_path / "pwned"
    hostile = f"$(touch {marker})`touch {marker}`;touch {marker}"
    done = generate(
        chart, tmp_path, **chart_env(**{"release-name": "web", "values": f"image: '{hostile}'\n"})
    )
    assert done.returncode == 0, done.stderr
    assert hostile in done.stdout and not marker.exists()
    done = generate(chart, tmp_path, **chart_env(**{"values-files": [hostile]}))
    assert done.returncode == 1 and not marker.exists()


def test_parameters_and_strict_reach_kustomizes_plugins(tmp_path: Path) -> None:
    app = app_copy("sidecar-log-shipper", tmp_path)
    (app / "kustomization.yaml").write_text(
        "resources: [service.yaml]\ntransformers: [log-shipper.yaml]\n"
    )
    listed = [{"name": "strict", "string": "true"}]
    done = generate(app, tmp_path, ARGOCD_APP_PARAMETERS=json.dumps(listed))
    assert done.returncode == 1 and "matched no workload" in done.stderr
    done = generate(app, tmp_path)
    assert done.returncode == 0, done.stderr


def test_the_announced_parameters_are_the_ones_generate_reads() -> None:
    announced = PLUGIN["spec"]["parameters"]["static"]
    assert [p["name"] for p in announced] == list(PARAMETERS)
    for entry in announced:
        kind, tooltip = PARAMETERS[entry["name"]]
        assert entry.get("collectionType", "string") == kind
        assert entry["tooltip"] == tooltip and entry["title"]


def test_discover_finds_charts_with_a_config_beside_them(tmp_path: Path) -> None:
    chart = chart_app(tmp_path)
    assert discover(chart, tmp_path).strip() == "krm-fn"
    (chart / "log-shipper.yaml").unlink()
    assert discover(chart, tmp_path) == ""


SIDECAR_PLUGIN = Path("krm-fn.dev") / "v1alpha1" / "sidecar" / "Sidecar"


def test_the_plugins_are_written_once_and_checked_before_each_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import tempfile

    from krm_fn.argocd import plugin_home

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    home = Path(plugin_home({}))
    assert home.parent == tmp_path / f"krm-fn-plugins-{os.getuid()}"
    script = home / SIDECAR_PLUGIN
    written = script.read_text()
    assert written.startswith("#!/bin/sh\n") and " -I -m krm_fn plugin " in written
    stamp = script.stat().st_mtime_ns
    assert plugin_home({}) == str(home) and script.stat().st_mtime_ns == stamp  # reused
    # what an app's code could have done to them: each is put right before the next build
    script.write_text("#!/bin/sh\nexit 3\n")
    assert plugin_home({}) == str(home) and script.read_text() == written
    extra = home / "evil.example" / "v1" / "run" / "Run"  # a plugin for a kind of the app's
    extra.parent.mkdir(parents=True)
    extra.write_text("#!/bin/sh\nexit 3\n")
    assert plugin_home({}) == str(home) and not extra.exists()
    script.unlink()
    script.symlink_to("/bin/true")
    assert plugin_home({}) == str(home) and script.read_text() == written
    # a directory others can write into is never used: a fresh one instead
    shared = tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    (shared / f"krm-fn-plugins-{os.getuid()}").mkdir(mode=0o777)
    os.chmod(shared / f"krm-fn-plugins-{os.getuid()}", 0o777)
    other = plugin_home({})
    assert Path(other).parent == shared and Path(other).name.startswith("krm-fn-plugins-")
    assert (Path(other) / SIDECAR_PLUGIN).read_text() == written


def test_the_images_plugins_are_used_only_as_written(tmp_path: Path) -> None:
    from krm_fn.argocd import PluginError, plugin_home
    from krm_fn.plugins import install_plugins

    built = tmp_path / "image-plugins"
    install_plugins(str(built))
    assert plugin_home({"KRM_FN_PLUGIN_HOME": str(built)}) == str(built)
    (built / SIDECAR_PLUGIN).write_text("#!/bin/sh\nexit 3\n")
    with pytest.raises(PluginError, match=r"KRM_FN_PLUGIN_HOME .* not this krm-fn's"):
        plugin_home({"KRM_FN_PLUGIN_HOME": str(built)})


def test_the_repositorys_code_never_runs_as_krm_fn(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    app = app_copy("sidecar-log-shipper", tmp_path)
    impostor(app, marker)
    done = generate(app, tmp_path)  # kustomize runs the exec plugins in the app's directory
    assert done.returncode == 0, done.stderr
    assert not marker.exists() and "access-log" in done.stdout
    chart = chart_app(tmp_path / "chart")  # `krm-fn run` after helm, in the chart's directory
    impostor(chart, marker)
    done = generate(chart, tmp_path, **chart_env())
    assert done.returncode == 0, done.stderr
    assert not marker.exists() and "access-log" in done.stdout


def test_an_apps_build_options_are_limited_to_harmless_flags(tmp_path: Path) -> None:
    app = app_copy("sidecar-log-shipper", tmp_path)
    secret = tmp_path / "secret.txt"  # outside the repository
    secret.write_text("s3cr3t\n")
    (app / "kustomization.yaml").write_text(
        (app / "kustomization.yaml").read_text()
        + f"configMapGenerator:\n- name: leak\n  files: [{secret}]\n"
    )
    for options in (
        "--load-restrictor LoadRestrictionsNone",
        "--load-restrictor=LoadRestrictionsNone",
        f"-o {tmp_path / 'written'}",
        "--enable-exec",
        "--reorder sideways",
    ):
        done = generate(app, tmp_path, ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS=options)
        assert done.returncode == 1 and done.stdout == "", options
        assert "KUSTOMIZE_BUILD_OPTIONS" in done.stderr, done.stderr
        assert "s3cr3t" not in done.stderr and not (tmp_path / "written").exists()
    # the sidecar's own setting (whoever installs the plugin) is trusted
    done = generate(
        app, tmp_path, KRM_FN_KUSTOMIZE_BUILD_OPTIONS="--load-restrictor LoadRestrictionsNone"
    )
    assert done.returncode == 0 and "s3cr3t" in done.stdout, done.stderr
    (app / "kustomization.yaml").write_text(
        "resources: [deployment.yaml, service.yaml]\ntransformers: [log-shipper.yaml]\n"
    )
    done = generate(
        app, tmp_path, ARGOCD_ENV_KUSTOMIZE_BUILD_OPTIONS="--reorder none --enable-managedby-label"
    )
    assert done.returncode == 0, done.stderr
    kinds = [r["kind"] for r in yamlio.load_all(done.stdout)]
    assert kinds == ["Deployment", "Service"]  # --reorder none: the order of resources:


@pytest.mark.parametrize(
    "release",
    ["--set-file=leak=/etc/hostname", "--post-renderer=/bin/sh", "-h", "Shop", "a" * 54, "a_b"],
)
def test_a_release_name_is_never_a_helm_option(tmp_path: Path, release: str) -> None:
    chart = chart_app(tmp_path)
    done = generate(chart, tmp_path, **chart_env(**{"release-name": release}))
    assert done.returncode == 1 and done.stdout == ""
    assert "is not a Helm release name" in done.stderr


def test_an_apps_name_that_is_not_a_release_name_needs_the_parameter(tmp_path: Path) -> None:
    chart = chart_app(tmp_path)
    done = generate(chart, tmp_path, ARGOCD_APP_NAME="--debug", **chart_env())
    assert done.returncode == 1 and "release-name '--debug'" in done.stderr
    done = generate(
        chart, tmp_path, ARGOCD_APP_NAME="--debug", **chart_env(**{"release-name": "shop.v2"})
    )
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("source_path", "message"),
    [
        ("x/../charts/shop", "lies outside the repository"),  # Argo CD cleans it: charts/shop
        ("charts/./shop/", "lies outside the repository"),
        ("../charts/shop", "leaves the repository"),
        ("charts/shop/../../..", "leaves the repository"),
        ("other/shop", "does not lead to the app's directory"),
    ],
)
def test_the_source_path_cannot_move_the_repository(
    tmp_path: Path, source_path: str, message: str
) -> None:
    chart = chart_app(tmp_path)  # at tmp_path/repo/charts/shop
    (tmp_path / "secret.yaml").write_text("image: s3cr3t\n")  # beside the repository
    environment = chart_env(**{"values-files": ["../../../secret.yaml"]})
    done = generate(chart, tmp_path, **{**environment, "ARGOCD_APP_SOURCE_PATH": source_path})
    assert done.returncode == 1 and done.stdout == ""
    assert message in done.stderr and "s3cr3t" not in done.stderr


# argocd-generate answers kustomize's exec plugins in its own process (plugins.plugin_server)
KUSTOMIZED = sorted(d for d in EXAMPLES.iterdir() if (d / "kustomization.yaml").exists())
KLOG_PREFIX = re.compile(r"\b[EWI]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] ", re.M)
CONFIG_COPY = re.compile(r"kust-plugin-config-\d+")  # kustomize's copy of a plugin's config


def kustomize_with(plugin_home: Path, directory: Path, env: dict[str, str]) -> Any:
    command = [tool("kubectl"), "kustomize", "--enable-alpha-plugins", str(directory)]
    base = {"PATH": "/usr/bin:/bin", "KUSTOMIZE_PLUGIN_HOME": str(plugin_home)}
    return run(command, env={**base, "HOME": str(plugin_home), **env})


def answer(done: Any) -> tuple[int, str, str]:
    """A build's exit code, stdout and stderr, without what differs between any two runs."""
    return done.returncode, done.stdout, CONFIG_COPY.sub("*", KLOG_PREFIX.sub("", done.stderr))


@pytest.mark.parametrize("example", KUSTOMIZED, ids=[d.name for d in KUSTOMIZED])
def test_a_served_plugin_answers_as_the_plugins_own_python(example: Path, tmp_path: Path) -> None:
    from krm_fn.plugins import install_plugins, plugin_server

    home = tmp_path / "plugins"
    install_plugins(str(home))
    alone = kustomize_with(home, example, {})
    with plugin_server({}) as server:
        served = kustomize_with(home, example, server)
    assert answer(served) == answer(alone)
    assert (alone.returncode == 0) == (example / "expected.yaml").exists()


def test_under_the_server_no_plugin_starts_a_python(tmp_path: Path) -> None:
    from krm_fn.plugins import plugin_scripts, plugin_server

    home = tmp_path / "plugins"
    for relative, text in plugin_scripts(str(tmp_path / "no-such-python")).items():
        (home / relative).parent.mkdir(parents=True, exist_ok=True)
        (home / relative).write_text(text)
        (home / relative).chmod(0o755)
    example = EXAMPLES / "sidecar-log-shipper"
    alone = kustomize_with(home, example, {})
    assert alone.returncode != 0 and "no-such-python" in alone.stderr
    with plugin_server({}) as server:
        served = kustomize_with(home, example, server)
    assert served.returncode == 0, served.stderr
    assert served.stdout == (example / "expected.yaml").read_text()


def test_the_server_takes_any_path_and_stream_and_outlives_a_killed_plugin(
    tmp_path: Path,
) -> None:
    import os
    import signal
    import subprocess
    import threading

    from krm_fn.plugins import SERVER_THREAD, install_plugins, plugin_server

    install_plugins(str(tmp_path / "plugins"))
    script = str(tmp_path / "plugins" / SIDECAR_PLUGIN)
    config = tmp_path / "a b\n$(touch pwned) '\"" / "log-shipper.yaml"
    config.parent.mkdir()
    shutil.copy(EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml", config)
    stream = (EXAMPLES / "sidecar-log-shipper" / "deployment.yaml").read_bytes()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def plugin(data: bytes, extra: dict[str, str]) -> tuple[int, bytes, bytes]:
        done = subprocess.run(
            [script, str(config)],
            input=data,
            capture_output=True,
            env={**env, **extra},
            cwd=tmp_path,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr

    with plugin_server({}) as server:
        for data in (stream, stream + b"\n# \xff\xfe not UTF-8\n", b""):
            assert plugin(data, server) == plugin(data, {})
        assert plugin(stream, server)[0] == 0 and not (tmp_path / "pwned").exists()
        # a plugin killed halfway through its stream (kustomize killed, say)
        half = subprocess.Popen(
            [script, str(config)],
            stdin=subprocess.PIPE,
            env={**env, **server},
            start_new_session=True,
        )
        assert half.stdin is not None
        half.stdin.write(stream[:100])
        half.stdin.flush()
        os.killpg(half.pid, signal.SIGKILL)
        half.wait()
        half.stdin.close()
        assert plugin(stream, server)[0] == 0  # the next plugin is answered
        directory = Path(server["KRM_FN_PLUGIN_SERVER"])
    assert not directory.exists()
    assert SERVER_THREAD not in [t.name for t in threading.enumerate()]
    with plugin_server({}) as server:  # stopped while it waits for a request that never came
        assert SERVER_THREAD in [t.name for t in threading.enumerate()]
    assert SERVER_THREAD not in [t.name for t in threading.enumerate()]


# the warm process (krm-fn argocd-sidecar): every generate above also runs through it
def warm_generate(app: Path, tmp_path: Path, warm: Warm, **extra: str) -> Any:
    """generate through the warm process in warm.directory (cold if it is not there)."""
    env = {**cmp_env(tmp_path, **extra), "TMPDIR": str(warm.directory)}
    return subprocess.Popen(
        PLUGIN["spec"]["generate"]["command"],
        cwd=app,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # as the cmp-server starts it: a process group of its own
    )


def test_generations_run_side_by_side_each_with_its_own_settings(tmp_path: Path) -> None:
    [warm] = WARM
    shop = app_copy("sidecar-log-shipper", tmp_path)
    strict = json.dumps([{"name": "strict", "string": "true"}])
    settings: list[dict[str, str]] = [
        {"KUBE_VERSION": "1.28.4"},  # no native sidecars
        {"KUBE_VERSION": "1.33.2"},
        {"ARGOCD_ENV_KRM_FN_KUBERNETES_VERSION": "1.29"},
        {"ARGOCD_APP_PARAMETERS": strict},  # strict, and every Deployment selected: fine
        {"ARGOCD_APP_PARAMETERS": '[{"name": "colour", "string": "red"}]'},  # an error
        {"ARGOCD_APP_NAME": "shop\nkrm-fn argocd-sidecar: generated app 'forged'"},
    ]
    before = warm.generations()
    started = [warm_generate(shop, tmp_path, warm, **extra) for extra in settings]
    answers = [(*p.communicate(), p.returncode) for p in started]
    answers = [(code, stdout, stderr) for stdout, stderr, code in answers]
    assert warm.generations() == before + len(settings)  # one line each, whatever the app's name
    assert "\ngenerated app 'forged'" not in warm.log.read_text()
    for extra, (code, stdout, stderr) in zip(settings, answers, strict=True):
        cold = run(PLUGIN["spec"]["generate"]["command"], cwd=shop, env=cmp_env(tmp_path, **extra))
        assert (code, stdout, stderr) == (cold.returncode, cold.stdout, cold.stderr), extra
    versions = [a[1].count("restartPolicy: Always") for a in answers[:3]]
    assert versions == [0, 1, 1]  # each generation saw its own KUBE_VERSION
    assert answers[4][0] == 1 and "unknown parameter 'colour'" in answers[4][2]


# generate, paused once its request is sent until the warm child has answered and closed
ANSWERED_FIRST = """
import select, sys
from krm_fn.argocd_generate import main

def pause(frame, event, arg):
    if event == "c_return" and getattr(arg, "__name__", "") == "sendmsg":
        sys.setprofile(None)
        connection = frame.f_locals["connection"]
        waiting = select.poll()
        waiting.register(connection, select.POLLHUP)
        assert waiting.poll(30_000), "the warm child did not answer"

sys.setprofile(pause)
sys.exit(main())
"""


def test_the_answer_of_a_child_that_ended_first_is_read_once(tmp_path: Path) -> None:
    # an error is answered in a few ms: the child may end before generate is scheduled again
    [warm] = WARM
    shop = app_copy("sidecar-log-shipper", tmp_path)
    env = cmp_env(tmp_path, ARGOCD_APP_PARAMETERS='[{"name": "colour", "string": "red"}]')
    python = PLUGIN["spec"]["generate"]["command"][0]
    cold = run([python, "-I", "-c", ANSWERED_FIRST], cwd=shop, env=env)
    before = warm.generations()
    warm_env = {**env, "TMPDIR": str(warm.directory)}
    done = run([python, "-I", "-c", ANSWERED_FIRST], cwd=shop, env=warm_env)
    assert warm.generations() == before + 1  # the warm child answered it
    assert (done.returncode, done.stdout, done.stderr) == (
        cold.returncode,
        cold.stdout,
        cold.stderr,
    )
    assert done.returncode == 1 and done.stderr.count("unknown parameter 'colour'") == 1


def test_a_killed_generation_takes_what_it_started_with_it(tmp_path: Path) -> None:
    import os
    import signal

    [warm] = WARM
    shop = app_copy("sidecar-log-shipper", tmp_path)
    started = tmp_path / "kustomize.pid"
    hanging = tmp_path / "kustomize"
    hanging.write_text(f"#!/bin/sh\necho $$ > {started}\nexec sleep 300\n")
    hanging.chmod(0o755)
    before = warm.generations()
    client = warm_generate(shop, tmp_path, warm, KRM_FN_KUSTOMIZE=str(hanging))
    wait_for(lambda: started.exists() and started.read_text().strip().isdigit())
    kustomize = int(started.read_text())
    os.killpg(client.pid, signal.SIGKILL)  # what the cmp-server does when a generation times out
    client.communicate(timeout=30)  # its output ends: nothing of the generation holds it open

    def gone() -> bool:
        try:
            state = Path(f"/proc/{kustomize}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        return state == "Z"

    wait_for(gone)
    assert warm.generations() == before  # killed before it could answer
    done = warm_generate(shop, tmp_path, warm)  # and the warm process serves the next one
    assert "access-log" in done.communicate()[0] and done.returncode == 0
    assert warm.generations() == before + 1


def test_a_request_that_is_not_krm_fns_is_dropped(tmp_path: Path) -> None:
    import socket

    [warm] = WARM
    for junk in (b"", b"GET / HTTP/1.1\r\n\r\n", b"krm-fn-generate/1\n" + b"\xff" * 8):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(socket_path({"TMPDIR": str(warm.directory)}))
            connection.sendall(junk)
            connection.shutdown(socket.SHUT_WR)
            assert connection.recv(1) in (b"", b"\x01")  # no generation ran for it
    done = warm_generate(app_copy("sidecar-log-shipper", tmp_path), tmp_path, warm)
    assert "access-log" in done.communicate()[0] and done.returncode == 0


def cold_only(app: Path, tmp_path: Path, warm: Warm) -> None:
    """generate in the directory of warm runs, and runs cold: the same output as cold."""
    done = warm_generate(app, tmp_path, warm)
    stdout, stderr = done.communicate()
    assert done.returncode == 0, stderr
    cold = run(PLUGIN["spec"]["generate"]["command"], cwd=app, env=cmp_env(tmp_path))
    assert stdout == cold.stdout and "access-log" in stdout
    assert warm.generations() == 0


def test_without_a_warm_process_generate_runs_cold(tmp_path: Path) -> None:
    import socket

    app = app_copy("sidecar-log-shipper", tmp_path)
    directory = tmp_path / "sidecar"
    path = Path(socket_path({"TMPDIR": str(directory)}))
    path.parent.mkdir(parents=True, mode=0o700)
    (directory / "sidecar.log").write_text("")
    warm = Warm(directory, directory / "sidecar.log")
    cold_only(app, tmp_path, warm)  # no socket
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as left:
        left.bind(str(path))  # a socket left behind, nobody listening
    cold_only(app, tmp_path, warm)


@pytest.mark.skipif(__import__("os").getuid() != 0, reason="needs root to listen as another user")
def test_a_listener_of_another_user_is_never_used(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import tempfile

    app = app_copy("sidecar-log-shipper", tmp_path)
    directory = Path(tempfile.mkdtemp(prefix="krm-fn-impostor-"))  # one another user can reach
    try:
        directory.chmod(0o755)
        path = Path(socket_path({"TMPDIR": str(directory)}))
        path.parent.mkdir(mode=0o700)
        os.chown(path.parent, 65534, 65534)
        (directory / "sidecar.log").write_text("")
        ready, told = os.pipe()
        impostor = os.fork()
        if impostor == 0:  # as nobody: answers "exit 0" and no output to whoever connects
            try:
                os.setgid(65534)
                os.setuid(65534)
                listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                listener.bind(str(path))
                listener.listen()
                os.write(told, b"1")
                while True:
                    connection, _ = listener.accept()
                    connection.sendall(b"\0")
                    connection.close()
            finally:
                os._exit(1)
        os.close(told)
        try:
            assert os.read(ready, 1) == b"1"
            cold_only(app, tmp_path, Warm(directory, directory / "sidecar.log"))
        finally:
            os.kill(impostor, signal.SIGKILL)
            os.waitpid(impostor, 0)
            os.close(ready)
    finally:
        shutil.rmtree(directory)


def test_the_warm_process_refuses_a_directory_others_may_enter(tmp_path: Path) -> None:
    directory = tmp_path / "sidecar"
    shared = Path(socket_path({"TMPDIR": str(directory)})).parent
    shared.mkdir(parents=True, mode=0o755)
    shared.chmod(0o755)
    with warm_sidecar_in(directory) as (process, warm):
        assert "is not a directory of this user's alone" in warm.log.read_text()
        assert process.poll() is None  # the command runs all the same
        cold_only(app_copy("sidecar-log-shipper", tmp_path), tmp_path, warm)
    assert list(shared.iterdir()) == []


def test_the_sidecar_becomes_its_command_and_ends_with_it(tmp_path: Path) -> None:
    import os
    import shlex

    pid, go = tmp_path / "pid", tmp_path / "go"
    os.mkfifo(go)
    script = f"echo $$ >{shlex.quote(str(pid))}; read -r _ <{shlex.quote(str(go))}; exit 3"
    with warm_sidecar_in(tmp_path, ("sh", "-c", script)) as (process, warm):
        wait_for(lambda: pid.exists() and pid.read_text().strip().isdigit())
        assert int(pid.read_text()) == process.pid  # the command took the sidecar's process
        socket = Path(socket_path({"TMPDIR": str(tmp_path)}))
        assert socket.exists() and "listening" in warm.log.read_text()
        go.write_text("\n")
        assert process.wait() == 3
        wait_for(lambda: not socket.exists())  # the warm process ended with its command
    missing = [krm_fn_command(), "argocd-sidecar", "no-such-command"]
    done = run(missing, env={"PATH": "/bin", "TMPDIR": str(tmp_path)})
    assert done.returncode == 127 and "cannot run no-such-command" in done.stderr


def test_a_warm_generation_starts_python_and_nothing_of_krm_fns_core(tmp_path: Path) -> None:
    [warm] = WARM
    app = app_copy("sidecar-log-shipper", tmp_path)
    before = warm.generations()
    python, *rest = PLUGIN["spec"]["generate"]["command"]
    done = run(
        [python, "-X", "importtime", *rest],
        cwd=app,
        env={**cmp_env(tmp_path), "TMPDIR": str(warm.directory)},
    )
    assert done.returncode == 0 and "access-log" in done.stdout
    assert warm.generations() == before + 1
    imported = {
        line.split("|")[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    assert {"krm_fn", "_socket"} <= imported  # (the module itself runs as __main__)
    heavy = {"yaml", "re", "typing", "subprocess", "json", "socket", "krm_fn.argocd"}
    assert not imported & heavy
    assert not {m for m in imported if m.startswith(("krm_fn.framework", "krm_fn.engine"))}
