"""Standalone kustomize (built from its Go module) runs krm-fn every way kustomize can.

- as an `exec:` KRM function (`kustomize build --enable-alpha-plugins --enable-exec`), which
  kubectl's embedded kustomize skips silently;
- as a legacy exec plugin (`krm-fn install-plugins`), as kubectl kustomize runs it.
(The container function, with podman behind the docker CLI, is in test_container.py for both.)
Every example builds to its expected output, or is refused with its expected errors.
"""

import shutil
from pathlib import Path

import pytest
from support import EXAMPLES, built_tool, impostor, krm_fn_command, run, tool
from test_examples import ALL_EXAMPLES, IDS, assert_built, configs, expected_errors

from krm_fn.editing.record import RECORD_ANNOTATION
from krm_fn.kube.workloads import pod_templates
from krm_fn.manifests import yamlio


def as_exec_functions(example: Path, tmp_path: Path) -> Path:
    """A copy of the example whose transformers name krm-fn as an exec function."""
    directory = Path(shutil.copytree(example, tmp_path / "example"))
    for config in configs(directory):
        document = yamlio.load(config.read_text())
        annotation = yamlio.dump({"exec": {"path": krm_fn_command()}})
        document["metadata"].setdefault("annotations", {})["config.kubernetes.io/function"] = (
            annotation
        )
        config.write_text(yamlio.dump(document))
    return directory


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_exec_function(example: Path, tmp_path: Path) -> None:
    directory = as_exec_functions(example, tmp_path)
    build = [built_tool("kustomize"), "build", "--enable-alpha-plugins", "--enable-exec"]
    done = run([*build, str(directory)])
    assert_built(example, done)
    if expected_errors(example):
        return
    # without --enable-exec, kustomize skips exec functions without a word: nothing injected
    skipped = run([built_tool("kustomize"), "build", "--enable-alpha-plugins", str(directory)])
    assert skipped.returncode == 0, skipped.stderr
    records = [  # (the admission policy example names the record in its CEL: templates only)
        t.template
        for r in yamlio.load_all(skipped.stdout)
        for t in pod_templates(r)
        if RECORD_ANNOTATION in ((t.template.get("metadata") or {}).get("annotations") or {})
    ]
    assert records == []


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_legacy_exec_plugin(example: Path, plugin_home: Path) -> None:
    env = {"KUSTOMIZE_PLUGIN_HOME": str(plugin_home), "PATH": "/usr/bin:/bin"}
    done = run([built_tool("kustomize"), "build", "--enable-alpha-plugins", str(example)], env=env)
    assert_built(example, done)


def test_a_krm_fn_folder_in_the_kustomization_is_never_run(
    plugin_home: Path, tmp_path: Path
) -> None:
    """kustomize starts exec plugins in the kustomization's directory (a remote base's too):
    a `krm_fn` package there is not imported in krm-fn's place."""
    marker = tmp_path / "ran"
    example = Path(shutil.copytree(EXAMPLES / "sidecar-log-shipper", tmp_path / "app"))
    impostor(example, marker)
    env = {"KUSTOMIZE_PLUGIN_HOME": str(plugin_home), "PATH": "/usr/bin:/bin"}
    for build in ([built_tool("kustomize"), "build"], [tool("kubectl"), "kustomize"]):
        done = run([*build, "--enable-alpha-plugins", str(example)], env=env, cwd=example)
        assert done.returncode == 0, done.stderr
        assert not marker.exists() and "krm-fn.dev/injected" in done.stdout
