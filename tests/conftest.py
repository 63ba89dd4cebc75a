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

# What a test needs besides the venv, as markers (pyproject.toml registers them): `make unit`
# runs the tests that need none of them. A test module listed here needs its markers in every
# test; the fixtures below mark the tests that use them.
MODULE_NEEDS: dict[str, tuple[str, ...]] = {
    "test_admission_policy": ("cluster",),
    "test_argocd": ("tools", "corpus"),
    "test_argocd_cluster": ("tools", "cluster", "argocd"),
    "test_audit": ("cluster",),
    "test_cluster": ("cluster", "corpus"),
    "test_commands": ("corpus",),
    "test_completion": ("tools",),  # bash, zsh and fish
    "test_comments": ("corpus",),
    "test_container": ("image",),
    "test_corpus": ("corpus",),
    "test_examples": ("tools",),  # kubectl kustomize and kpt on every example
    "test_helm": ("tools", "cluster"),
    "test_kustomize": ("tools", "image"),
    "test_lock": ("image",),
    "test_nginx": ("tools", "cluster"),
    "test_node": ("tools", "cluster", "node"),
    "test_pod_security_server": ("cluster",),
    "test_properties": ("tools",),
    "test_readme": ("tools", "image"),
    "test_release": ("tools",),
    "test_round_trip": ("corpus",),
    "test_scalars": ("tools",),
    "test_scenarios": ("cluster", "node"),
    "test_webhook_chart": ("cluster",),
    "test_ways_in": ("tools",),  # kubectl kustomize and kpt
    "test_webhook_cluster": ("cluster",),
    "test_webhook_limits": ("slow",),  # servers started, certificates replaced under load
    "test_webhook_server": ("slow",),
    "test_fuzz": ("slow",),
}
FIXTURE_NEEDS = {"cluster": "cluster", "node": "node", "bin_dir": "tools"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with what it needs (MODULE_NEEDS, FIXTURE_NEEDS)."""
    for item in items:
        module = item.module.__name__ if isinstance(item, pytest.Function) else ""
        needs = set(MODULE_NEEDS.get(module, ()))
        needs |= {FIXTURE_NEEDS[f] for f in getattr(item, "fixturenames", ()) if f in FIXTURE_NEEDS}
        for need in sorted(needs):
            item.add_marker(need)


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
