"""The commands of the READMEs and docs pages, run exactly as written from a copy of the root.

Also: every relative link in them leads to a file of the repository.
"""

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from support import EXAMPLES, ROOT, VENV, built_tool, container_env, normalize, run
from test_examples import ALL_EXAMPLES, assert_refused, expected, expected_errors

from krm_fn.manifests import yamlio

SEPARATOR = "\n\x00"


def shell_block(readme: Path, after_heading: str) -> list[str]:
    """The command lines of the first ```sh block after a heading of a README."""
    section = ("\n" + readme.read_text()).split(f"\n{after_heading}\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None, f"no sh block after {after_heading!r} in {readme}"
    return [line for line in block.group(1).splitlines() if line.strip()]


PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.md")),
    *sorted(EXAMPLES.glob("*/README.md")),
]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_leads_to_a_file() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            path = target.split("#", 1)[0]
            if not path or re.match(r"[a-z]+:", path):
                continue
            if not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
    assert not broken, broken
    assert len(PAGES) > 20


def user_shell(more_paths: list[Path]) -> dict[str, str]:
    """A user's environment: podman installed, the venv's krm-fn on PATH, nothing else set up."""
    environment = {
        key: value
        for key, value in container_env().items()
        if key not in ("KPT_FN_RUNTIME", "CONTAINERS_CONF", "XDG_CONFIG_HOME")
    }
    paths = [*map(str, more_paths), str(VENV / "bin"), os.environ["PATH"]]
    environment["PATH"] = ":".join(paths)  # and no docker shim
    return environment


def repository_copy(directory: Path, home: Path) -> Path:
    """The examples copied, the venv and built tools linked, HOME empty: where lines run."""
    shutil.copytree(EXAMPLES, directory / "kustomization-examples")
    (directory / ".venv").symlink_to(VENV)  # the one under test: make test's, or test-newest's
    (directory / ".build").symlink_to(ROOT / ".build")
    home.mkdir()
    return directory


def run_as_written(
    lines: list[str], cwd: Path, home: Path, more_paths: list[Path] | None = None
) -> list[tuple[int, str, str]]:
    """Run the lines one after the other in one bash: each one's exit code, stdout and stderr."""
    script = "".join(
        f"{{\n{line}\n}} 2>>errors; printf '\\n\\0%d\\n\\0' $? ; printf '\\n\\0' >>errors\n"
        for line in lines
    )
    done = run(
        ["bash", "-c", script],
        cwd=cwd,
        env={**user_shell(more_paths or []), "HOME": str(home)},
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    pieces = done.stdout.split(SEPARATOR)
    errors = (cwd / "errors").read_text().split(SEPARATOR)
    assert len(pieces) == 2 * len(lines) + 1 and len(errors) == len(lines) + 1
    return [(int(pieces[2 * i + 1]), pieces[2 * i], errors[i]) for i in range(len(lines))]


def test_the_kpt_commands_work_as_written(tmp_path: Path) -> None:
    cwd = repository_copy(tmp_path / "repo", tmp_path / "home")
    lines = shell_block(ROOT / "docs" / "kpt.md", "# kpt")
    want = expected(EXAMPLES / "sidecar-log-shipper")
    for line, (code, out, err) in zip(
        lines, run_as_written(lines, cwd, tmp_path / "home"), strict=True
    ):
        assert code == 0, f"{line}\n{err}"
        if line.startswith(("kpt fn render", "kpt fn eval")):
            assert normalize(yamlio.load(out)["items"]) == want, line
        elif line.startswith("kpt fn doc"):
            assert "krm-fn run CONFIG" in out
    results = yamlio.load((cwd / "results" / "results.yaml").read_text())
    assert results["exitCode"] == 0 and results["items"][0]["results"]
    copy = cwd / "kustomization-examples" / "sidecar-log-shipper"
    for path in copy.iterdir():  # -o stdout: the package is left as it was
        assert path.read_bytes() == (EXAMPLES / "sidecar-log-shipper" / path.name).read_bytes()


RUNNABLE = [e for e in ALL_EXAMPLES if "\n## Run it\n" in (e / "README.md").read_text()]


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.name for e in RUNNABLE])
def test_an_examples_commands_work_as_written(example: Path, tmp_path: Path) -> None:
    cwd = repository_copy(tmp_path / "repo", tmp_path / "home")
    readme = example / "README.md"
    lines = shell_block(readme, "## Run it")
    for line in lines:  # what a line writes is not there before it runs
        if line.startswith("krm-fn admission-policy"):
            (cwd / line.split(" -o ", 1)[1].split()[0]).unlink()
    outcomes = run_as_written(lines, cwd, tmp_path / "home")
    refused = expected_errors(example)
    for line, (code, out, err) in zip(lines, outcomes, strict=True):
        if line.startswith("krm-fn install-plugins"):
            assert code == 0 and (tmp_path / "home" / ".config" / "kustomize" / "plugin").is_dir()
        elif refused:
            assert_refused(example, code, err)
        elif line.startswith("krm-fn admission-policy"):  # the example's policy.yaml is current
            written = line.split(" -o ", 1)[1].split()[0]
            assert code == 0, err
            assert (cwd / written).read_text() == (ROOT / written).read_text()
        elif line.startswith("kubectl kustomize"):
            assert code == 0, err
            assert normalize(yamlio.load_all(out)) == expected(example)
        elif line.startswith("kpt fn eval"):
            assert code == 0, err
            assert normalize(yamlio.load(out)["items"]) == expected(example)
        else:
            assert line.startswith("krm-fn run --diff"), f"a command no test checks: {line}"
            shown_diff = readme.read_text().split("```diff\n", 1)[1].split("```", 1)[0]
            assert (code, out) == (1, shown_diff)


def run_helm_lines(tmp_path: Path, binary: str, heading: str) -> list[tuple[int, str, str]]:
    """docs/helm.md's lines under heading, with `binary` installed as `helm`."""
    cwd = repository_copy(tmp_path / "repo", tmp_path / "home")
    (cwd / "tests").symlink_to(ROOT / "tests")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "helm").symlink_to(built_tool(binary))  # as if installed
    lines = shell_block(ROOT / "docs" / "helm.md", heading)
    return run_as_written(lines, cwd, tmp_path / "home", [tmp_path / "bin"])


def injected_pod(documents: list[Any], kind: str) -> dict[str, Any]:
    """The pod spec of the first workload of a kind, checked to have the log shipper."""
    workload = next(d for d in documents if d["kind"] == kind)
    pod: dict[str, Any] = workload["spec"]["template"]["spec"]
    assert [c["name"] for c in pod["initContainers"]] == ["access-log"], kind
    return pod


def test_the_helm_command_works_as_written(tmp_path: Path) -> None:
    [(code, out, err)] = run_helm_lines(tmp_path, "helm", "# Helm")
    assert code == 0, err
    injected_pod(yamlio.load_all(out), "Deployment")
    assert "# Source: shop/templates/deployment.yaml" in out


def test_the_helm_4_lines_work_as_written(tmp_path: Path) -> None:
    (write, _, _), (install, _, err), (code, out, template_err) = run_helm_lines(
        tmp_path, "helm4", "## Helm 4"
    )
    assert (write, install) == (0, 0), err
    assert code == 0, template_err
    documents = yamlio.load_all(out)
    for kind in ("Deployment", "Job"):  # Helm 4 post-renders hooks too
        injected_pod(documents, kind)
