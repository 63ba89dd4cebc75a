"""Tests that cannot lie: golden files are never rewritten in CI, CI fails on a changed tree, and
every test file belongs to a component (docs/testing.md)."""

import os
import subprocess
import sys
from pathlib import Path

from support import ROOT, run

TESTS = Path(__file__).parent


def test_rewriting_golden_files_is_refused_in_ci() -> None:
    env = {**os.environ, "CI": "true", "KRM_FN_UPDATE_GOLDEN": "1"}
    done = run([sys.executable, "-c", "import support"], cwd=TESTS, env=env)
    assert done.returncode != 0
    assert "KRM_FN_UPDATE_GOLDEN=1 is refused when CI is set" in done.stderr
    env["CI"] = ""
    assert run([sys.executable, "-c", "import support"], cwd=TESTS, env=env).returncode == 0


def test_ci_fails_when_the_tests_leave_the_tree_changed(tmp_path: Path) -> None:
    check = [str(ROOT / "scripts" / "check-clean-tree.sh")]
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / "expected.yaml").write_text("a: 1\n")
    (tmp_path / ".gitignore").write_text(".venv/\n")
    subprocess.run([*git, "add", "."], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=tmp_path, check=True)
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "ignored").write_text("")
    assert run(check, cwd=tmp_path).returncode == 0
    (tmp_path / "expected.yaml").write_text("a: 2\n")  # a golden file rewritten
    done = run(check, cwd=tmp_path)
    assert done.returncode == 1 and "expected.yaml" in done.stderr
    subprocess.run([*git, "checkout", "-q", "expected.yaml"], cwd=tmp_path, check=True)
    (tmp_path / "new.yaml").write_text("")  # a file generated and not ignored
    done = run(check, cwd=tmp_path)
    assert done.returncode == 1 and "new.yaml" in done.stderr
    assert "check-clean-tree.sh" in (ROOT / ".ci" / "run").read_text()


def test_every_test_file_is_listed_under_one_component() -> None:
    section = (ROOT / "docs" / "testing.md").read_text().split("## Tests by component")[1]
    rows = [line for line in section.split("\n## ")[0].splitlines() if line.startswith("| ")]
    listed = [name.strip() for row in rows[2:] for name in row.split("|")[2].split(",")]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert sorted(listed) == sorted(path.name for path in TESTS.glob("test_*.py"))
