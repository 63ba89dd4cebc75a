"""krm-fn as a Helm post-renderer, with a real helm built from its Go module (testtools/)."""

import json
from pathlib import Path
from typing import Any

from cluster import ControlPlane
from support import EXAMPLES, ROOT, built_tool, krm_fn_command, run

from krm_fn import yamlio

CHART = ROOT / "tests" / "charts" / "shop"
CONFIG = EXAMPLES / "sidecar-log-shipper" / "log-shipper.yaml"


def helm(*args: str, home: Path, post_render: list[str] | None = None) -> Any:
    """Run helm with its own empty home; `post_render`: krm-fn's arguments as a post-renderer."""
    command = [built_tool("helm"), *args]
    if post_render is not None:
        command += ["--post-renderer", krm_fn_command()]
        command += [f"--post-renderer-args={arg}" for arg in post_render]
    environment = {
        "HOME": str(home),
        "PATH": "/usr/bin:/bin",
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }
    return run(command, env=environment, timeout=180)


def documents_with_sources(stream: str) -> dict[str, Any]:
    """The documents of helm's output by their `# Source:` comment."""
    found = {}
    for piece in stream.split("\n---\n"):
        source = next(line for line in piece.splitlines() if line.startswith("# Source: "))
        found[source.removeprefix("# Source: ")] = yamlio.load(piece)
    return found


def test_helm_template_runs_krm_fn_as_its_post_renderer(tmp_path: Path) -> None:
    plain = helm("template", "shop", str(CHART), home=tmp_path)
    assert plain.returncode == 0, plain.stderr
    done = helm(
        "template", "shop", str(CHART), home=tmp_path, post_render=["run", "-q", str(CONFIG)]
    )
    assert done.returncode == 0, done.stderr
    rendered = documents_with_sources(done.stdout)  # every document keeps its Source comment
    before = documents_with_sources(plain.stdout)
    assert rendered.keys() == before.keys()
    # the same as krm-fn run on helm's plain output, as a file
    (tmp_path / "plain.yaml").write_text(plain.stdout)
    by_hand = run([krm_fn_command(), "run", "-q", str(CONFIG), str(tmp_path / "plain.yaml")])
    assert by_hand.returncode == 0, by_hand.stderr
    hooks = "shop/templates/migrate-hook.yaml"
    assert [d for s, d in rendered.items() if s != hooks] == yamlio.load_all(by_hand.stdout)[:2]
    pod = rendered["shop/templates/deployment.yaml"]["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["access-log"]
    assert rendered["shop/templates/service.yaml"] == before["shop/templates/service.yaml"]
    # Helm v3 does not hand hooks to a post-renderer: the hook Job comes out as the chart made it
    assert rendered[hooks] == before[hooks]


def test_a_config_error_fails_helm_with_krm_fns_message(tmp_path: Path) -> None:
    config = yamlio.load(CONFIG.read_text())
    config["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "lots"
    (tmp_path / "config.yaml").write_text(yamlio.dump(config))
    args = ["run", "-q", str(tmp_path / "config.yaml")]
    done = helm("template", "shop", str(CHART), home=tmp_path, post_render=args)
    assert done.returncode == 1 and done.stdout == ""
    assert "error while running post render" in done.stderr
    assert (
        'Sidecar/log-shipper spec.containers[0]: container "access-log": resources.limits.cpu'
        in (done.stderr)
    )


def test_a_chart_that_renders_only_hooks_needs_allow_empty(tmp_path: Path) -> None:
    args = ["run", "-q", str(CONFIG)]
    only_hooks = ["template", "shop", str(CHART), "--set", "app=false"]
    done = helm(*only_hooks, home=tmp_path, post_render=args)
    assert done.returncode == 1 and "holds no resources" in done.stderr
    done = helm(*only_hooks, home=tmp_path, post_render=["run", "-q", "--allow-empty", str(CONFIG)])
    assert done.returncode == 0, done.stderr
    assert [d["kind"] for d in yamlio.load_all(done.stdout)] == ["Job"]  # the hook, untouched


def test_helm_install_and_upgrade_through_krm_fn(cluster: ControlPlane, tmp_path: Path) -> None:
    namespace = cluster.namespace("helm-post-render")
    target = [f"--kubeconfig={cluster.kubeconfig}", "--namespace", namespace]
    args = ["run", "-q", str(CONFIG)]
    install = ["install", "shop", str(CHART), "--set", "migrate=false", *target]  # no kubelet
    done = helm(*install, home=tmp_path, post_render=args)
    assert done.returncode == 0, done.stderr

    def deployment() -> dict[str, Any]:
        got = cluster.kubectl("get", "deployment", "shop", "-n", namespace, "-o", "json")
        return dict(json.loads(got.stdout))

    installed = deployment()
    pod = installed["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["access-log"]
    assert pod["initContainers"][0]["restartPolicy"] == "Always"
    manifest = helm("get", "manifest", "shop", *target, home=tmp_path)
    assert "krm-fn.dev/injected" in manifest.stdout
    # an upgrade with the same chart and config changes nothing in the cluster: no drift
    upgrade = ["upgrade", "shop", str(CHART), "--set", "migrate=false", *target]
    done = helm(*upgrade, home=tmp_path, post_render=args)
    assert done.returncode == 0, done.stderr
    assert deployment()["metadata"]["generation"] == installed["metadata"]["generation"]
    assert helm("get", "manifest", "shop", *target, home=tmp_path).stdout == manifest.stdout
