"""A release users can install: the wheel, one version everywhere, the release workflow."""

import re
import subprocess
import sys
import tomllib
import zipfile
from importlib.metadata import distributions
from pathlib import Path

import pytest
from support import EXAMPLES, ROOT, built_tool, krm_fn_command, normalize, run, tool
from test_examples import ALL_EXAMPLES, configs, expected, expected_errors, inputs

from krm_fn import __version__
from krm_fn.kinds import API_VERSION
from krm_fn.manifests import yamlio
from krm_fn.reference import IMAGE, PUBLISHED_IMAGE

WORKFLOWS = ROOT / ".github" / "workflows"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist, built as a release builds them (`python -m build` with the venv's
    setuptools: the lock's, or the newest under `make test-newest`)."""
    out = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)]
    done = run(build, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return out


def test_the_wheel_and_sdist_pass_twine_check(dist: Path) -> None:
    names = sorted(p.name for p in dist.iterdir())
    assert names == [f"krm_fn-{__version__}-py3-none-any.whl", f"krm_fn-{__version__}.tar.gz"]
    done = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())])
    assert done.returncode == 0 and done.stdout.count("PASSED") == 2, done.stdout + done.stderr
    with zipfile.ZipFile(dist / names[0]) as wheel:
        files = wheel.namelist()
        metadata = wheel.read(f"krm_fn-{__version__}.dist-info/METADATA").decode()
    assert "krm_fn/py.typed" in files and "krm_fn/patterns/sidecar.py" in files
    assert "krm_fn/webhook/server.py" in files
    assert f"krm_fn-{__version__}.dist-info/licenses/LICENSE" in files
    assert not [f for f in files if f.startswith(("tests/", "bench/", "kustomization-examples/"))]
    assert not [f for f in files if "codegen" in f]  # the generator needs ruff: scripts/ only
    assert f"Version: {__version__}\n" in metadata and "Provides-Extra: webhook" in metadata


def test_pip_install_from_the_wheel_gives_a_working_krm_fn(dist: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([tool("python3"), "-m", "venv", str(venv)], check=True)
    wheel = next(dist.glob("*.whl"))
    # the versions under test (the lock's, or the newest under make test-newest), not whatever
    # the index has today: pip resolves the wheel's requirements within them
    versions = tmp_path / "constraints.txt"
    versions.write_text("".join(f"{d.metadata['Name']}=={d.version}\n" for d in distributions()))
    pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
    done = run([*pip, "--only-binary", ":all:", "-c", str(versions), str(wheel)], timeout=600)
    assert done.returncode == 0, done.stderr
    installed = run([str(venv / "bin" / "pip"), "freeze", "--exclude", "krm-fn"]).stdout.split()
    assert installed and set(installed) <= set(versions.read_text().split()), installed
    krm_fn = str(venv / "bin" / "krm-fn")
    version = run([krm_fn, "--version"], cwd=tmp_path)  # not from the checkout: from the wheel
    assert version.stdout == f"krm-fn {__version__}\n"
    where = run(
        [str(venv / "bin" / "python"), "-c", "import krm_fn; print(krm_fn.__file__)"], cwd=tmp_path
    )
    assert where.stdout.startswith(str(venv)), where.stdout
    for example in ALL_EXAMPLES:  # the installed function does what the checkout's does
        resource_list = {
            "apiVersion": "config.kubernetes.io/v1",
            "kind": "ResourceList",
            "items": inputs(example),
            "functionConfig": yamlio.load(configs(example)[0].read_text()),
        }
        done = run([krm_fn], input=yamlio.dump(resource_list), cwd=tmp_path)
        if expected_errors(example):
            assert done.returncode == 1, example.name
            continue
        assert done.returncode == 0, f"{example.name}: {done.stderr}"
        output = yamlio.load(done.stdout)["items"]
        assert normalize(output) == expected(example), example.name
    explain = run([krm_fn, "explain", "Sidecar.containers"], cwd=tmp_path)
    assert explain.returncode == 0 and "containers" in explain.stdout


def test_one_version_everywhere() -> None:
    """krm_fn.__version__ is the one place; everything that names a version follows it."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    tool_settings = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]
    assert tool_settings["setuptools"]["dynamic"]["version"] == {"attr": "krm_fn.__version__"}
    assert run([krm_fn_command(), "--version"]).stdout == (f"krm-fn {__version__}\n")
    assert IMAGE.endswith(f":{__version__}") and PUBLISHED_IMAGE.endswith(f":{__version__}")
    tracked = run(["git", "ls-files"], cwd=ROOT).stdout.split()
    image_tags, api_versions = {}, {}
    for name in tracked:
        path = ROOT / name
        if (
            name.startswith("tests/cases/")
            or name == "tests/test_release.py"
            or path.suffix
            not in (
                ".yaml",
                ".yml",
                ".md",
                ".py",
                ".sh",
                "",
            )
        ):
            continue  # tests/cases holds wrong versions on purpose
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        for tag in re.findall(r"(?<![\w.-])localhost/krm-fn:(\d[\w.-]*)", text):
            image_tags.setdefault(tag, name)
        for version in re.findall(r"krm-fn\.dev/(v\d\w*)\b", text):
            api_versions.setdefault(version, name)
    assert image_tags == {__version__: image_tags.get(__version__)}, (
        f"image tags other than {__version__}: {image_tags} (scripts/set-version.sh)"
    )
    assert set(api_versions) == {API_VERSION.split("/")[1]}, api_versions
    plugin = yamlio.load_all((EXAMPLES / "argocd-cmp-plugin" / "plugin-configmap.yaml").read_text())
    text = yamlio.dump_all(plugin)
    assert f"version: v{__version__}" in text
    assert f"krm-fn-v{__version__}" in (EXAMPLES / "argocd-cmp-plugin" / "README.md").read_text()
    chart = yamlio.load((ROOT / "charts" / "krm-fn-webhook" / "Chart.yaml").read_text())
    assert (chart["version"], chart["appVersion"]) == (__version__, __version__)
    catalog = yamlio.load_all((ROOT / "functions.yaml").read_text())
    runtimes = {v["runtime"]["container"]["image"] for d in catalog for v in d["spec"]["versions"]}
    assert runtimes == {IMAGE}


def test_the_release_workflow_passes_actionlint(tmp_path: Path) -> None:
    actionlint = built_tool("actionlint")
    tool("shellcheck")  # actionlint checks the run: scripts with it when it is on PATH
    done = run([actionlint, "-color=false", *map(str, WORKFLOWS.glob("*.yml"))], cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    # and actionlint does catch what matters: an untrusted value spliced into a script
    broken = tmp_path / ".github" / "workflows"
    broken.mkdir(parents=True)
    text = (WORKFLOWS / "release.yml").read_text()
    text = text.replace("rm dist/functions.yaml", 'echo "${{ github.event.head_commit.message }}"')
    (broken / "release.yml").write_text(text)
    done = run([actionlint, "-color=false", str(broken / "release.yml")], cwd=tmp_path)
    assert done.returncode == 1 and "potentially untrusted" in done.stdout


def test_the_release_workflow_stores_no_credential_and_checks_the_tag() -> None:
    text = (WORKFLOWS / "release.yml").read_text()
    secrets = set(re.findall(r"secrets\.(\w+)", text))
    assert secrets <= {"GITHUB_TOKEN"}, secrets  # PyPI by trusted publishing, ghcr by the token
    assert "id-token: write" in text and "pypa/gh-action-pypi-publish" in text
    assert "krm_fn.__version__" in text and "PUBLISHED_IMAGE" in text
    assert "linux/amd64,linux/arm64" in text and "twine check --strict" in text
    tests = (WORKFLOWS / "tests.yml").read_text()
    assert "bash .ci/run" in tests  # the tests a release runs are CI's, and the newest versions'
    assert "uses: ./.github/workflows/tests.yml" in text and "target: test-newest" in text
    jobs = yamlio.load(text)["jobs"]
    assert {"test", "newest"} <= set(jobs["wheel"]["needs"]) & set(jobs["image"]["needs"])
    chart = yamlio.load((ROOT / "charts" / "krm-fn-webhook" / "values.yaml").read_text())
    assert f"{chart['image']['repository']}:{__version__}" == PUBLISHED_IMAGE  # the chart's image
    assert "helm push chart/*.tgz oci://ghcr.io/krm-fn/charts" in text


def test_set_version_moves_every_file_to_the_new_version(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    script = [str(clone / "scripts" / "set-version.sh")]
    assert run([*script, "1.2"], cwd=clone).returncode == 2  # not X.Y.Z
    assert run([*script, "1.2.3; rm -rf /"], cwd=clone).returncode == 2
    done = run(
        [*script, "9.8.7"], cwd=clone, env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 0, done.stderr
    changed = run(["git", "diff", "--name-only"], cwd=clone).stdout.split()
    assert "krm_fn/__init__.py" in changed and "functions.yaml" in changed
    assert "kustomization-examples/sidecar-log-shipper/Kptfile" in changed
    assert "kustomization-examples/argocd-cmp-plugin/plugin-configmap.yaml" in changed
    left = run(["git", "grep", "-l", f"krm-fn:{__version__}\\|krm-fn-v{__version__}"], cwd=clone)
    assert left.stdout == "", f"still naming {__version__}: {left.stdout}"
    assert '__version__ = "9.8.7"' in (clone / "krm_fn" / "__init__.py").read_text()
    assert "image: localhost/krm-fn:9.8.7" in (clone / "functions.yaml").read_text()
    chart = yamlio.load((clone / "charts" / "krm-fn-webhook" / "Chart.yaml").read_text())
    assert (chart["version"], chart["appVersion"]) == ("9.8.7", "9.8.7")
    done = run(
        [*script, "9.9.0rc1"], cwd=clone, env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"}
    )
    assert done.returncode == 0, done.stderr
    chart = yamlio.load((clone / "charts" / "krm-fn-webhook" / "Chart.yaml").read_text())
    assert (chart["version"], chart["appVersion"]) == ("9.9.0-rc1", "9.9.0rc1")  # SemVer, tag
