import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pods import BUSYBOX_APPLETS


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """A PATH dir with busybox applets (what the images have) before the system's."""
    directory = tmp_path / "bin"
    directory.mkdir()
    busybox = Path("/bin/busybox")
    if not busybox.exists():
        pytest.fail("busybox is missing: `make test` installs it")
    for applet in BUSYBOX_APPLETS:
        (directory / applet).symlink_to(busybox)
    return directory
