"""The files the command line writes (krm_fn/commands/files.py): never outside the target.

Names, paths and annotations come from the input; none of them may place a file elsewhere or
write through a link.
"""

import os
from pathlib import Path

import pytest
from support import deployment, krm_fn

from krm_fn.manifests import yamlio

EXPORTER = "quay.io/prometheuscommunity/elasticsearch-exporter:v1.7.0"


def adapter(tmp_path: Path, monitor: str) -> Path:
    path = tmp_path / "adapter.yaml"
    spec = {"container": {"name": "exporter", "image": EXPORTER}, "port": 9114, "monitor": monitor}
    config = {"apiVersion": "krm-fn.dev/v1alpha1", "kind": "Adapter", "metadata": {"name": "m"}}
    path.write_text(yamlio.dump({**config, "spec": spec}))
    return path


def everything_under(path: Path) -> set[Path]:
    return {p for p in path.rglob("*")}


@pytest.mark.parametrize(
    "name", ["x/../../../../victim/PWNED", "x\x00y", "../victim", "UPPER", "a" * 254]
)
def test_a_name_that_is_not_a_kubernetes_name_never_names_a_generated_file(
    name: str, tmp_path: Path
) -> None:
    package, victim = tmp_path / "a" / "b" / "c" / "pkg", tmp_path / "victim"
    package.mkdir(parents=True)
    victim.mkdir()
    (package / "app.yaml").write_text(yamlio.dump(deployment(name)))
    config = adapter(tmp_path, "PodMonitor")
    before = everything_under(tmp_path)
    out = tmp_path / "out"
    code, _, err = krm_fn("run", str(config), str(package), "-o", str(out))
    assert code == 1, err
    assert "would generate a PodMonitor named" in err and "not a Kubernetes name" in err
    assert "internal error" not in err and "Traceback" not in err
    assert everything_under(tmp_path) == before  # nothing written, no folder made: not even out


def test_a_service_name_does_not_escape_in_place(tmp_path: Path) -> None:
    package = tmp_path / "deep" / "pkg"
    package.mkdir(parents=True)
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s/../../../X", "labels": {"app": "x"}},
        "spec": {"selector": {"app": "x"}, "ports": [{"port": 80}]},
    }
    (package / "app.yaml").write_text(yamlio.dump_all([deployment("web"), service]))
    config = adapter(tmp_path, "ServiceMonitor")
    before = {p: p.read_bytes() for p in everything_under(tmp_path) if p.is_file()}
    code, _, err = krm_fn("run", "--in-place", str(config), str(package))
    assert code == 1 and "would generate a ServiceMonitor named 's/../../../X-metrics'" in err
    assert {p: p.read_bytes() for p in everything_under(tmp_path) if p.is_file()} == before


def test_a_link_in_the_output_directory_is_not_followed_out_of_it(tmp_path: Path) -> None:
    package, outside, out = tmp_path / "pkg", tmp_path / "outside", tmp_path / "out"
    for folder in (package, outside, out):
        folder.mkdir()
    (package / "app.yaml").write_text(yamlio.dump(deployment("web")))
    (outside / "target.yaml").write_text("mine\n")
    (out / "podmonitor_web-metrics.yaml").symlink_to(outside / "target.yaml")
    (out / "app.yaml").symlink_to(outside / "target.yaml")
    code, _, err = krm_fn("run", str(adapter(tmp_path, "PodMonitor")), str(package), "-o", str(out))
    assert code == 1 and "refusing to write" in err and "which is outside" in err
    assert (outside / "target.yaml").read_text() == "mine\n"  # and nothing else was written
    assert sorted(p.name for p in out.iterdir()) == ["app.yaml", "podmonitor_web-metrics.yaml"]
    assert all(p.is_symlink() for p in out.iterdir())


def test_a_forged_path_annotation_does_not_place_a_generated_resource_outside_the_package(
    tmp_path: Path,
) -> None:
    workload = deployment("web")
    workload["metadata"]["annotations"] = {  # type: ignore[index]
        "config.kubernetes.io/path": "../../../etc/app.yaml",
        "internal.config.kubernetes.io/path": "../../../etc/app.yaml",
    }
    config = yamlio.load(adapter(tmp_path, "PodMonitor").read_text())
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": [workload],
        "functionConfig": config,
    }
    code, out, err = krm_fn(stdin=yamlio.dump(resource_list))
    assert code == 0, err
    [monitor] = [i for i in yamlio.load(out)["items"] if i["kind"] == "PodMonitor"]
    annotations = monitor["metadata"]["annotations"]
    assert annotations["config.kubernetes.io/path"] == "podmonitor_web-metrics.yaml"
    assert annotations["internal.config.kubernetes.io/path"] == "podmonitor_web-metrics.yaml"
    assert os.sep not in annotations["config.kubernetes.io/path"]
