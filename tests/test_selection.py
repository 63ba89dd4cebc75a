import resource
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import SHIPPER_CONFIG, deployment, krm_fn_command, run

from krm_fn.kube.selection import parse_selector, selects
from krm_fn.manifests import yamlio
from krm_fn.patterns.models.spec import Target

DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {
        "name": "web",
        "namespace": "shop",
        "labels": {"app": "web", "tier": "front"},
        "annotations": {"team": "a"},
    },
}


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web", {"app": "db"}, False),
        ("app!=web", {"app": "db"}, True),
        ("app!=web", {}, True),
        ("app", {"app": "x"}, True),
        ("!app", {"app": "x"}, False),
        ("tier in (front, back),app", {"tier": "back", "app": "1"}, True),
        ("tier notin (front,back)", {"tier": "front"}, False),
        ("tier notin (front,back)", {}, True),
        ("", {}, True),
    ],
)
def test_label_selector(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert all(r.matches(labels) for r in parse_selector(selector)) is expected


@pytest.mark.parametrize("bad", ["app=", "app in web", "=web", "!app=web", "a b"])
def test_bad_label_selector(bad: str) -> None:
    if bad == "app=":  # an empty value is valid Kubernetes syntax
        assert parse_selector(bad)[0].values == frozenset([""])
        return
    with pytest.raises(ValueError, match="invalid selector term"):
        parse_selector(bad)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, True),
        ({"kind": "Deployment"}, True),
        ({"kind": "Deploy"}, False),  # regexes match the whole value, as in kustomize
        ({"kind": "Deploy.*", "group": "apps", "version": "v1"}, True),
        ({"group": ""}, False),
        ({"name": "web|api", "namespace": "shop"}, True),
        ({"name": "we"}, False),
        ({"labelSelector": "tier=front"}, True),
        ({"labelSelector": "tier=front", "kind": "StatefulSet"}, False),
        ({"annotationSelector": "team in (a,b)"}, True),
        ({"annotationSelector": "!team"}, False),
    ],
)
def test_target(target: dict[str, str], expected: bool) -> None:
    assert selects(Target.model_validate(target), DEPLOYMENT) is expected


def ten_cpu_seconds() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (10, 10))


@pytest.mark.parametrize(
    ("pattern", "selects"),
    [("(a|aa)*x", False), ("((shop)+)*", False), ("(a+)+$", True), ("(a?){24}a{24}", True)],
)
def test_selector_regexes_take_linear_time_whatever_the_pattern(
    pattern: str, selects: bool, tmp_path: Path
) -> None:
    """RE2, as kustomize's Go regexp: what a backtracking engine takes minutes on, or longer."""
    config = yamlio.load(SHIPPER_CONFIG.read_text())
    config["spec"]["targets"] = [{"name": pattern}]
    path = tmp_path / "config.yaml"
    path.write_text(yamlio.dump(config))
    workloads = [deployment("a" * 40 + "!"), deployment("a" * 24)]
    (tmp_path / "app.yaml").write_text(yamlio.dump_all(workloads))
    done = subprocess.run(
        [krm_fn_command(), "run", str(path), str(tmp_path / "app.yaml")],
        capture_output=True,
        text=True,
        preexec_fn=ten_cpu_seconds,
        check=False,
    )
    assert done.returncode == 0, done.stderr  # within ten CPU seconds
    injected = [
        d["metadata"]["name"]
        for d in yamlio.load_all(done.stdout)
        if "krm-fn.dev/injected" in str(d)
    ]
    assert injected == (["a" * 24] if selects else [])  # a whole match, never the other name


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "podTemplatePaths",
            [{"kind": "Rollout", "path": '$.spec.t[?(@.name =~ "a+")].x'}],
            "not allowed in a pod template path",
        ),
        ("targets", [{"name": "(shop)\\1"}], "not a valid regular expression (RE2"),
        ("targets", [{"namespace": "(?=shop)"}], "not a valid regular expression (RE2"),
    ],
)
def test_regexes_a_linear_engine_cannot_run_are_refused(
    field: str, value: Any, message: str, tmp_path: Path
) -> None:
    config = yamlio.load(SHIPPER_CONFIG.read_text())
    config["spec"][field] = value
    path = tmp_path / "config.yaml"
    path.write_text(yamlio.dump(config))
    (tmp_path / "app.yaml").write_text(yamlio.dump(deployment("shop")))
    done = run([krm_fn_command(), "run", str(path), str(tmp_path / "app.yaml")])
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert "re2.cc" not in done.stderr and "absl" not in done.stderr  # RE2's own log stays out
