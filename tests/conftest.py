import os
import subprocess
import sys
from pathlib import Path

import pytest

import krm_fn.core

sys.path.insert(0, str(Path(__file__).resolve().parent))

# A bug in a pattern raises in the tests (in process, and in the krm-fn processes they start)
# instead of being reported as an internal error: it cannot pass for a user's mistake.
os.environ["KRM_FN_DEBUG"] = "1"
krm_fn.core.RAISE_INTERNAL_ERRORS = True
BUSYBOX = "/bin/busybox"


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """The whole PATH of an injected container's script: busybox's applets, as the images
    (busybox, alpine-based) have them; tests add the image's own program (git, curl) or a
    stand-in (vault, aws)."""
    directory = tmp_path / "bin"
    directory.mkdir()
    if not Path(BUSYBOX).exists():
        pytest.fail("busybox is missing: `make test` installs it")
    listed = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True, check=True)
    for applet in listed.stdout.split():
        (directory / applet).symlink_to(BUSYBOX)
    return directory
