"""krm-fn's image through the real tools: kustomize container functions and kpt `image:`.

The image is built by `make test` (scripts/build-image.sh) with podman; kustomize runs container
functions with `docker`, which a shim points to podman. The results must be the exec paths'.
"""

import shutil
import ssl
from pathlib import Path

import pytest
from support import (
    EXAMPLES,
    IMAGE,
    container_env,
    kustomize_commands,
    normalize,
    read_package,
    run,
    tool,
)
from test_examples import (
    ALL_EXAMPLES,
    IDS,
    assert_refused,
    configs,
    expected,
    expected_errors,
    package,
    package_resources,
)

from krm_fn.manifests import yamlio


def test_the_image_runs_as_kustomize_and_kpt_run_it() -> None:
    env = container_env()
    podman = tool("podman")
    done = run([podman, "run", "--rm", IMAGE, "--help"], env=env)
    assert done.returncode == 0 and "Usage:" in done.stdout
    example = ALL_EXAMPLES[0]
    items = [
        d
        for r in yamlio.load((example / "kustomization.yaml").read_text())["resources"]
        for d in yamlio.load_all((example / r).read_text())
    ]
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": yamlio.load(configs(example)[0].read_text()),
    }
    hardened = [
        podman,
        "run",
        "--rm",
        "-i",
        "--network",
        "none",
        "--user",
        "nobody",
        "--read-only",
        "--security-opt=no-new-privileges",
        IMAGE,
    ]
    done = run(hardened, input=yamlio.dump(resource_list), env=env)
    assert done.returncode == 0, done.stderr
    output = yamlio.load(done.stdout)
    assert output["kind"] == "ResourceList" and len(output["items"]) == len(items)


@pytest.mark.parametrize("kustomize", ["kubectl-kustomize", "kustomize"])
@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_kustomize_container_function(example: Path, kustomize: str, tmp_path: Path) -> None:
    directory = Path(shutil.copytree(example, tmp_path / "example"))
    for config in configs(directory):
        document = yamlio.load(config.read_text())
        document["metadata"].setdefault("annotations", {})["config.kubernetes.io/function"] = (
            yamlio.dump({"container": {"image": IMAGE}})
        )
        config.write_text(yamlio.dump(document))
    command = kustomize_commands()[kustomize]
    done = run([*command, "--enable-alpha-plugins", str(directory)], env=container_env())
    if expected_errors(example):
        assert_refused(example, done.returncode, done.stderr)
        return
    assert done.returncode == 0, done.stderr
    assert normalize(yamlio.load_all(done.stdout)) == expected(example)


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_kpt_render_with_the_kptfile_image(example: Path, tmp_path: Path) -> None:
    pkg = Path(shutil.copytree(example, tmp_path / "pkg"))
    before = package_resources(pkg)
    done = run(
        [tool("kpt"), "fn", "render", str(pkg), "--image-pull-policy", "never"], env=container_env()
    )
    if expected_errors(example):
        assert_refused(example, done.returncode, done.stderr)
        assert package_resources(pkg) == before
        return
    assert done.returncode == 0, done.stderr
    assert normalize(package_resources(pkg)) == expected(example)


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_kpt_eval_image(example: Path, tmp_path: Path) -> None:
    pkg = package(example, tmp_path / "pkg")
    for config in configs(example):
        command = [
            tool("kpt"),
            "fn",
            "eval",
            str(pkg),
            "--image",
            IMAGE,
            "--image-pull-policy",
            "never",
            "--fn-config",
            str(config),
        ]
        done = run(command, env=container_env())
        if expected_errors(example):
            assert_refused(example, done.returncode, done.stderr)
            return
        assert done.returncode == 0, done.stderr
    assert normalize(read_package(pkg)) == expected(example)


def test_kpt_fn_doc_shows_the_help(tmp_path: Path) -> None:
    done = run([tool("kpt"), "fn", "doc", "--image", IMAGE], env=container_env(), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "krm-fn run CONFIG" in done.stdout


def test_the_image_serves_the_webhook_too(tmp_path: Path) -> None:
    """The same image runs `krm-fn webhook`: read-only, non-root, configs and TLS mounted."""
    import json
    import time
    import urllib.request

    from webhooks import free_port, pods_of, review, write_certs

    tls = write_certs(tmp_path / "tls")
    (tls / "tls.key").chmod(0o644)  # as a Secret volume mounts it (defaultMode 0644)
    configs = tmp_path / "configs"
    configs.mkdir()
    shutil.copy(EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml", configs)
    port, metrics = free_port(), free_port()
    env = container_env()
    name = f"krm-fn-webhook-{port}"
    started = run(
        [
            tool("podman"),
            "run",
            "-d",
            "--name",
            name,
            "--network",
            "host",
            "--user",
            "65532",
            "--read-only",
            "--tmpfs",
            "/tmp",
            "-v",
            f"{configs}:/configs:ro",
            "-v",
            f"{tls}:/tls:ro",
            IMAGE,
            "webhook",
            "--config-dir",
            "/configs",
            "--tls-cert-file",
            "/tls/tls.crt",
            "--tls-key-file",
            "/tls/tls.key",
            "--port",
            str(port),
            "--metrics-port",
            str(metrics),
        ],
        env=env,
    )
    assert started.returncode == 0, started.stderr
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{metrics}/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            logs = run([tool("podman"), "logs", name], env=env)
            assert time.monotonic() < deadline, logs.stdout + logs.stderr
            time.sleep(0.3)
        [deployment] = yamlio.load_all(
            (EXAMPLES / "sidecar-log-shipper" / "deployment.yaml").read_text()
        )
        [(pod, _)] = pods_of(deployment)
        request = urllib.request.Request(
            f"https://127.0.0.1:{port}/mutate",
            data=json.dumps(review(pod)).encode(),
            headers={"Content-Type": "application/json"},
        )
        context = ssl.create_default_context(cafile=str(tls / "ca.crt"))
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            answer = json.loads(response.read())
        assert answer["response"]["allowed"] and answer["response"]["patchType"] == "JSONPatch"
    finally:
        run([tool("podman"), "rm", "-f", name], env=env)


def test_the_images_exec_plugins_are_roots_and_used_as_written() -> None:
    """The Argo CD plugin's kustomize runs the image's exec plugins: written at build time, owned
    by root, so that the sidecar's user (an app's build) cannot change them, and verified."""
    script = (
        "import os, sys\n"
        "from krm_fn.argocd import plugin_home\n"
        "from krm_fn.plugins import plugins_intact\n"
        "home = os.environ['KRM_FN_PLUGIN_HOME']\n"
        "assert plugin_home(os.environ) == home and plugins_intact(home)\n"
        "assert os.stat(home).st_uid == 0 and not os.access(home, os.W_OK)\n"
        "path = os.path.join(home, 'krm-fn.dev/v1alpha1/sidecar/Sidecar')\n"
        "assert os.stat(path).st_uid == 0 and not os.access(path, os.W_OK)\n"
        "print(open(path).read())\n"
    )
    done = run(
        [
            tool("podman"),
            "run",
            "--rm",
            "--user",
            "999",
            "--read-only",
            "--entrypoint",
            "/opt/krm-fn/bin/python",
            IMAGE,
            "-c",
            script,
        ],
        env=container_env(),
    )
    assert done.returncode == 0, done.stderr
    assert "/opt/krm-fn/bin/python3 -I -m krm_fn plugin" in done.stdout
