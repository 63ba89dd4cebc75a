"""`.krmignore` as kpt reads it: the files krm-fn reads from a directory are the ones `kpt fn
source` reads, over a table of patterns (gitignore's rules, by pathspec; a subdirectory with a
Kptfile is a package with its own `.krmignore`).

Where kpt's matcher (go-gitignore) departs from gitignore's own rules, krm-fn follows gitignore,
and docs/engine.md says so: those cases are at the end, without kpt.
"""

from pathlib import Path

import pytest
from support import run, tool

from krm_fn.manifests import yamlio
from krm_fn.manifests.sources import package_files

# (.krmignore at the top, {subpackage: its .krmignore}, the files)
CASES = {
    "negation re-includes": (
        "*.yaml\n!keep.yaml\n",
        {},
        ["keep.yaml", "x.yaml", "sub/keep.yaml", "sub/y.yaml"],
    ),
    "a slash anchors, a star stays in its directory": (
        "gen/*.yaml\n",
        {},
        ["gen/x.yaml", "gen/sub/y.yaml", "top.yaml"],
    ),
    "a leading slash: the top only": ("/top.yaml\n", {}, ["top.yaml", "sub/top.yaml"]),
    "a directory at any depth": ("sub/\n", {}, ["sub/a.yaml", "x/sub/b.yaml", "top.yaml"]),
    "character classes and ?": (
        "[xy].yaml\n?.yml\n",
        {},
        ["x.yaml", "y.yaml", "z.yaml", "a.yml", "ab.yml"],
    ),
    "a name at any depth": (
        "*.md.yaml\n# a comment\n\nnotes\n",
        {},
        ["a.md.yaml", "deep/er/b.md.yaml", "c.yaml", "notes/n.yaml", "x/notes/m.yaml"],
    ),
    "a subpackage has its own": (
        "*.md.yaml\n",
        {"sub": "x.yaml\n"},
        ["a.md.yaml", "x.yaml", "sub/x.yaml", "sub/y.md.yaml", "sub/z.yaml"],
    ),
    "a parent can leave a subpackage out": ("sub/\n", {"sub": ""}, ["a.yaml", "sub/b.yaml"]),
    "no .krmignore": (None, {}, ["a.yaml", "sub/b.yml"]),
}


def package(directory: Path, top: str | None, packages: dict[str, str], files: list[str]) -> Path:
    directory.mkdir()
    (directory / "Kptfile").write_text(kptfile("top"))
    if top is not None:
        (directory / ".krmignore").write_text(top)
    for sub, ignore in packages.items():
        (directory / sub).mkdir(parents=True, exist_ok=True)
        (directory / sub / "Kptfile").write_text(kptfile(sub))
        (directory / sub / ".krmignore").write_text(ignore)
    for index, name in enumerate(files):
        (directory / name).parent.mkdir(parents=True, exist_ok=True)
        configmap = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{index}"}}
        (directory / name).write_text(yamlio.dump(configmap))
    return directory


def kptfile(name: str) -> str:
    return f"apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata:\n  name: {name}\n"


def read_by_kpt(directory: Path) -> set[str]:
    done = run([tool("kpt"), "fn", "source", str(directory)])
    assert done.returncode == 0, done.stderr
    paths = set()
    for item in yamlio.load(done.stdout)["items"]:
        path = item["metadata"]["annotations"]["internal.config.kubernetes.io/path"]
        if item["kind"] != "Kptfile":
            paths.add(path)
    return paths


def read_by_krm_fn(directory: Path) -> set[str]:
    return {str(Path(p).relative_to(directory)) for p in package_files(str(directory))}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_krm_fn_reads_the_files_kpt_reads(case: str, tmp_path: Path) -> None:
    directory = package(tmp_path / "pkg", *CASES[case])
    ours = read_by_krm_fn(directory)
    assert ours == read_by_kpt(directory)
    assert (ours != set(CASES[case][2])) == (CASES[case][0] is not None)  # something left out


def test_hidden_files_and_kustomizations_are_never_read(tmp_path: Path) -> None:
    """What kpt reads unless told not to, krm-fn never reads: `.git`, `.github` workflows, a
    kustomization (docs/engine.md)."""
    files = [
        "a.yaml",
        ".hidden.yaml",
        ".git/g.yaml",
        ".github/workflows/ci.yaml",
        "kustomization.yaml",
        "sub/Kustomization",
    ]
    directory = package(tmp_path / "pkg", None, {}, files)
    assert read_by_kpt(directory) >= {".hidden.yaml", ".git/g.yaml", "kustomization.yaml"}
    assert read_by_krm_fn(directory) == {"a.yaml"}


@pytest.mark.parametrize(
    ("krmignore", "files", "kept"),
    [
        # gitignore: the last pattern that matches decides (kpt: any `!` pattern wins)
        ("!keep.yaml\n*.yaml\n", ["keep.yaml", "x.yaml"], set()),
        # gitignore: a pattern with a slash is relative to the .krmignore (kpt: at any depth)
        ("gen/*.yaml\n", ["gen/x.yaml", "other/gen/z.yaml"], {"other/gen/z.yaml"}),
        # gitignore: `**` is any number of directories (kpt: one)
        ("a/**/c.yaml\n", ["a/c.yaml", "a/b/c.yaml", "a/b/d/c.yaml", "c.yaml"], {"c.yaml"}),
    ],
)
def test_where_kpts_matcher_departs_from_gitignore_krm_fn_follows_gitignore(
    krmignore: str, files: list[str], kept: set[str], tmp_path: Path
) -> None:
    assert read_by_krm_fn(package(tmp_path / "pkg", krmignore, {}, files)) == kept
