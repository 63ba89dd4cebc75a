import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

# A bug in a pattern raises in the tests (in process through krm_fn.framework.transform, and in
# the krm-fn processes they start) instead of being reported as an internal error: it cannot
# pass for a user's mistake.
os.environ["KRM_FN_DEBUG"] = "1"
BUSYBOX = "/bin/busybox"

from cluster import ControlPlane, control_plane  # noqa: E402 (tests/ is on the path now)
from node import Node, node_cluster  # noqa: E402


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


@pytest.fixture(scope="session")
def plugin_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A KUSTOMIZE_PLUGIN_HOME with krm-fn's legacy exec plugins (`krm-fn install-plugins`)."""
    home = tmp_path_factory.mktemp("plugins")
    command = [str(Path(sys.executable).parent / "krm-fn"), "install-plugins", str(home)]
    subprocess.run(command, check=True, capture_output=True)
    return home


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    """etcd, kube-apiserver and kube-controller-manager for the session (tests/cluster.py)."""
    with control_plane(tmp_path_factory.mktemp("control-plane")) as plane:
        yield plane


@pytest.fixture(scope="session")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    """A cluster with a node on which pods run (tests/node.py), for the session: one at a time
    on a machine. Each test takes namespaces of its own."""
    with node_cluster(tmp_path_factory.mktemp("node")) as started:
        yield started
