"""Every kustomization-examples/<name>/ is documentation and a test at once.

Each example is built with the real `kubectl kustomize --enable-alpha-plugins` (krm-fn's legacy
exec plugins), and its config is run through the real `kpt fn eval --exec` and `kpt fn render`
(a Kptfile with `exec:`). All three must give expected.yaml, a second run must change nothing,
and the output must pass `kubernetes-validate --strict`. An example that shows a refusal has
expected-errors.txt instead: every tool must fail with those messages and change nothing.
Missing tools fail; nothing skips.
"""

import shutil
from pathlib import Path
from typing import Any

import pytest
from support import (
    EXAMPLES,
    ROOT,
    UPDATE,
    krm_fn_command,
    normalize,
    read_package,
    run,
    schema_errors,
    tool,
)

from krm_fn import reference
from krm_fn.editing.record import read_record
from krm_fn.engine.config import example as example_of
from krm_fn.engine.config import load_config, pattern_module
from krm_fn.kinds import KINDS
from krm_fn.kube.podsecurity import violations
from krm_fn.kube.workloads import pod_templates
from krm_fn.manifests import yamlio
from krm_fn.reference import explain

ALL_EXAMPLES = sorted(d for d in EXAMPLES.iterdir() if (d / "kustomization.yaml").exists())
IDS = [d.name for d in ALL_EXAMPLES]
# injected containers that need more than the restricted Pod Security profile, and why (the
# example's README says so too)
NOT_RESTRICTED = {("elasticsearch-sysctl", "update-sysctl"): "privileged"}


def kustomization(example: Path) -> dict[str, Any]:
    return yamlio.load((example / "kustomization.yaml").read_text())


def configs(example: Path) -> list[Path]:
    return [example / name for name in kustomization(example).get("transformers", [])]


def inputs(example: Path) -> list[dict[str, Any]]:
    return [
        d
        for n in kustomization(example)["resources"]
        for d in yamlio.load_all((example / n).read_text())
    ]


def expected_errors(example: Path) -> list[str]:
    """For an example that shows a refusal: the messages every tool must print."""
    path = example / "expected-errors.txt"
    return path.read_text().splitlines() if path.exists() else []


def expected(example: Path) -> list[dict[str, Any]]:
    return normalize(yamlio.load_all((example / "expected.yaml").read_text()))


def assert_refused(example: Path, returncode: int, stderr: str) -> None:
    assert returncode != 0, "the tool succeeded where krm-fn must refuse"
    for message in expected_errors(example):
        assert message in stderr, stderr


def assert_built(example: Path, done: Any) -> None:
    """A build gave the example's expected output, or refused it with its expected errors."""
    if expected_errors(example):
        assert_refused(example, done.returncode, done.stderr)
        assert done.stdout == ""
        return
    assert done.returncode == 0, done.stderr
    assert normalize(yamlio.load_all(done.stdout)) == expected(example)


def kustomize(directory: Path, plugin_home: Path) -> Any:
    env = {
        "PATH": "/usr/bin:/bin",
        "KUSTOMIZE_PLUGIN_HOME": str(plugin_home),
        "HOME": str(plugin_home),
    }
    return run([tool("kubectl"), "kustomize", "--enable-alpha-plugins", str(directory)], env=env)


def test_every_example_is_documented() -> None:
    assert len(ALL_EXAMPLES) >= 5
    for example in ALL_EXAMPLES:
        assert (example / "README.md").exists(), f"{example.name} has no README.md"
        assert configs(example), f"{example.name} has no krm-fn transformer"
        assert (example / "expected.yaml").exists() != bool(expected_errors(example))


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_kubectl_kustomize(example: Path, plugin_home: Path, tmp_path: Path) -> None:
    done = kustomize(example, plugin_home)
    if expected_errors(example):
        assert_refused(example, done.returncode, done.stderr)
        assert done.stdout == ""
        return
    assert done.returncode == 0, done.stderr
    if UPDATE:
        (example / "expected.yaml").write_text(done.stdout)
    assert done.stdout == (example / "expected.yaml").read_text(), (
        "kubectl kustomize output differs"
    )

    # again, on its own output: nothing changes
    (tmp_path / "built.yaml").write_text(done.stdout)
    for config in configs(example):
        shutil.copy(config, tmp_path / config.name)
    again = {"resources": ["built.yaml"], "transformers": [c.name for c in configs(example)]}
    (tmp_path / "kustomization.yaml").write_text(yamlio.dump(again))
    second = kustomize(tmp_path, plugin_home)
    assert (second.returncode, second.stdout) == (0, done.stdout), "a second run changed the output"


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_output_matches_kubernetes_schema(example: Path) -> None:
    instances = [i for c in configs(example) for i in load_config(yamlio.load(c.read_text()))]
    version = instances[0].spec.kubernetes_version
    custom = [p for i in instances for p in i.spec.pod_template_paths]
    if expected_errors(example):  # what krm-fn refused is valid Kubernetes all the same
        assert schema_errors(inputs(example), version, custom) == []
        return
    output = yamlio.load_all((example / "expected.yaml").read_text())
    assert schema_errors(output, version, custom) == []


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_injected_containers_pass_the_restricted_profile(example: Path) -> None:
    if expected_errors(example):
        return  # nothing was injected
    instances = [i for c in configs(example) for i in load_config(yamlio.load(c.read_text()))]
    custom = [p for i in instances for p in i.spec.pod_template_paths]
    checked = 0
    for resource in yamlio.load_all((example / "expected.yaml").read_text()):
        for pod in pod_templates(resource, custom):
            record = read_record(pod.template)
            injected = {n for e in record.values() for n in (*e.containers, *e.initContainers)}
            for field, problem in violations(pod.spec, "restricted"):
                name = field.partition("[name=")[2].partition("]")[0]
                if name in injected:
                    reason = NOT_RESTRICTED.get((example.name, name))
                    assert reason, f"{name}: {field} {problem}"
                    assert reason in (example / "README.md").read_text()
            checked += len(injected)
    assert checked or all(
        not pattern_module(yamlio.load(c.read_text())["kind"]).FACTS.adds_containers
        for c in configs(example)
    )


def package(example: Path, directory: Path) -> Path:
    directory.mkdir()
    for name in kustomization(example)["resources"]:
        shutil.copy(example / name, directory / name)
    return directory


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_kpt_fn_eval(example: Path, tmp_path: Path) -> None:
    pkg = package(example, tmp_path / "pkg")
    before = read_package(pkg)
    for round_ in (1, 2):
        for config in configs(example):
            command = [
                tool("kpt"),
                "fn",
                "eval",
                str(pkg),
                "--exec",
                krm_fn_command(),
                "--fn-config",
                str(config),
            ]
            done = run(command)
            if expected_errors(example):
                assert_refused(example, done.returncode, done.stderr)
                assert read_package(pkg) == before, "kpt changed files although the function failed"
                return
            assert done.returncode == 0, done.stderr
        assert normalize(read_package(pkg)) == expected(example), f"kpt fn eval, run {round_}"


def kpt_package(example: Path, directory: Path, runner: dict[str, str]) -> Path:
    """A copy of the example as the kpt package it also is, its functions run by `runner`."""
    shutil.copytree(example, directory)
    kptfile = yamlio.load((directory / "Kptfile").read_text())
    for function in kptfile["pipeline"]["mutators"]:
        function.pop("image")
        function.update(runner)
    (directory / "Kptfile").write_text(yamlio.dump(kptfile))
    return directory


def package_resources(directory: Path) -> list[dict[str, Any]]:
    """What kpt sees of a package: every YAML file but those in .krmignore."""
    ignored = set((directory / ".krmignore").read_text().split())
    resources: list[dict[str, Any]] = []
    for path in sorted(directory.rglob("*.yaml")):
        if path.name not in ignored:
            resources += yamlio.load_all(path.read_text())
    return resources


def test_every_example_is_a_kpt_package() -> None:
    for example in ALL_EXAMPLES:
        kptfile = yamlio.load((example / "Kptfile").read_text())
        functions = kptfile["pipeline"]["mutators"]
        assert [f["image"] for f in functions] == [reference.IMAGE] * len(configs(example))
        for function, config in zip(functions, configs(example), strict=True):
            document = yamlio.load(config.read_text())
            if "configPath" in function:
                assert function["configPath"] == config.name
            else:  # the ConfigMap form says the same as the config file
                data = function["configMap"]
                assert (data["kind"], data["name"]) == (
                    document["kind"],
                    document["metadata"]["name"],
                )
                assert yamlio.load(data["spec"]) == document["spec"]
    forms = {
        "configMap" in f
        for e in ALL_EXAMPLES
        for f in yamlio.load((e / "Kptfile").read_text())["pipeline"]["mutators"]
    }
    assert forms == {True, False}


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_kpt_fn_render(example: Path, tmp_path: Path) -> None:
    pkg = kpt_package(example, tmp_path / "pkg", {"exec": krm_fn_command()})
    before = package_resources(pkg)
    for round_ in (1, 2):
        done = run(
            [
                tool("kpt"),
                "fn",
                "render",
                str(pkg),
                "--allow-exec",
                "--results-dir",
                str(tmp_path / "results"),
            ]
        )
        if expected_errors(example):
            assert_refused(example, done.returncode, done.stderr)
            assert package_resources(pkg) == before, (
                "kpt changed files although the function failed"
            )
            results = yamlio.load((tmp_path / "results" / "results.yaml").read_text())
            errors = [
                r
                for item in results["items"]
                for r in item.get("results", [])
                if r["severity"] == "error"
            ]
            assert errors and all(r["resourceRef"]["kind"] and r["field"]["path"] for r in errors)
            return
        assert done.returncode == 0, done.stderr
        assert normalize(package_resources(pkg)) == expected(example), (
            f"kpt fn render, run {round_}"
        )


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_readme_shows_what_krm_fn_does(example: Path) -> None:
    readme = (example / "README.md").read_text()
    resources = [str(example / r) for r in kustomization(example)["resources"]]
    done = run([krm_fn_command(), "run", "--quiet", "--diff", str(configs(example)[0]), *resources])
    if expected_errors(example):
        assert_refused(example, done.returncode, done.stderr)
        assert all(m in readme for m in expected_errors(example)), "the README shows other errors"
        return
    assert done.returncode == 1 and done.stdout, done.stderr  # differences: exit 1
    shown = readme.split("```diff\n", 1)[1].split("```", 1)[0]
    if UPDATE:
        (example / "README.md").write_text(
            readme.replace(f"```diff\n{shown}```", f"```diff\n{done.stdout}```")
        )
        shown = done.stdout
    assert done.stdout == shown, (
        f"{example.name}/README.md shows an old diff; KRM_FN_UPDATE_GOLDEN=1 rewrites it"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_docs_and_an_example(kind: str) -> None:
    page = ROOT / "docs" / "patterns" / f"{kind.lower()}.md"
    generated = explain(kind)
    if UPDATE:
        page.write_text(generated)
    assert page.exists() and page.read_text() == generated, (
        f"{page} is stale; KRM_FN_UPDATE_GOLDEN=1"
    )
    folder = EXAMPLES / example_of(kind)
    assert folder in ALL_EXAMPLES
    kinds = set()
    for config in configs(folder):
        document = yamlio.load(config.read_text())
        kinds |= {document["kind"], *(p["kind"] for p in document["spec"].get("patterns", []))}
    assert kind in kinds
    assert f"docs/patterns/{kind.lower()}.md" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize(("budget", "passes"), [("4", True), ("1", False)])
def test_pod_resources_as_a_kpt_validator(tmp_path: Path, budget: str, passes: bool) -> None:
    pkg = kpt_package(EXAMPLES / "download-model-s3", tmp_path / "pkg", {"exec": krm_fn_command()})
    check = {
        "kind": "PodResources",
        "name": "budget",
        "spec": f"maxRequests: {{cpu: '{budget}'}}\nallowInitDominance: true\n",
    }
    kptfile = yamlio.load((pkg / "Kptfile").read_text())
    kptfile["pipeline"]["validators"] = [{"exec": krm_fn_command(), "configMap": check}]
    (pkg / "Kptfile").write_text(yamlio.dump(kptfile))
    done = run([tool("kpt"), "fn", "render", str(pkg), "--allow-exec"])
    assert (done.returncode == 0) is passes, done.stderr
    if passes:  # a validator changes nothing: the package is the mutator's output
        assert normalize(package_resources(pkg)) == expected(EXAMPLES / "download-model-s3")
    else:
        assert "pod requests cpu=2 exceed the budget 1" in done.stderr


@pytest.mark.parametrize("example", ALL_EXAMPLES, ids=IDS)
def test_krm_fn_run_again_on_its_output_gives_the_same_bytes(example: Path, tmp_path: Path) -> None:
    if expected_errors(example):
        return
    current = [str(example / r) for r in kustomization(example)["resources"]]
    outputs = []
    for round_ in range(2):
        for step, config in enumerate(configs(example)):
            done = run([krm_fn_command(), "run", "--quiet", str(config), *current])
            assert done.returncode == 0, done.stderr
            out = tmp_path / f"round{round_}-step{step}.yaml"
            out.write_text(done.stdout)
            current = [str(out)]
        outputs.append(Path(current[0]).read_text())
    assert outputs[1] == outputs[0], "a second run of krm-fn run changed the bytes"
