"""A short run of the atheris fuzz target (fuzz/fuzz_krm_fn.py); `make fuzz` runs a long one."""

import sys
from pathlib import Path

from support import ROOT, run

RUNS = 5000


def test_a_short_fuzzing_run_finds_no_crash(tmp_path: Path) -> None:
    done = run(
        [
            sys.executable,
            str(ROOT / "fuzz" / "fuzz_krm_fn.py"),
            str(tmp_path / "corpus"),
            f"-runs={RUNS}",
            "-max_len=8192",
            "-timeout=20",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
            "-seed=1",
        ],
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Done {RUNS} runs" in done.stderr
    seeds = list((tmp_path / "corpus").iterdir())
    assert len(seeds) > 40  # the examples' configs and resources were the starting points
    assert not list(tmp_path.glob("crash-*"))
