"""The lock: what `make setup` and the image install, exact and checked by hash.

requirements/dev.txt pins every package of the tests and tools, requirements/image.txt the
runtime's subset for the image; pyproject.toml keeps loose ranges for users (`make test-newest`
runs the tests with the newest of them).
"""

import re
import subprocess
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from support import IMAGE, ROOT, container_env, tool

REQUIREMENTS = ROOT / "requirements"
ENTRY = re.compile(
    r"^([A-Za-z0-9_.-]+)==(\S+?)(?: ;[^\\\n]*)?((?: \\\n +--hash=sha256:[0-9a-f]{64})+)", re.M
)
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins(name: str) -> dict[str, tuple[str, int]]:
    """A lock file's pins: distribution -> (version, number of hashes)."""
    text = (REQUIREMENTS / name).read_text()
    found = {
        canonicalize_name(n): (v, hashes.count("--hash=")) for n, v, hashes in ENTRY.findall(text)
    }
    listed = re.findall(r"^[A-Za-z0-9_.-]+==", text, re.M)
    assert len(found) == len(listed), f"{name}: an entry without a hash"
    return found


def requirements(*extras: str) -> list[Requirement]:
    """pyproject.toml's requirements: the package's, the extras named, the build system's."""
    project = PYPROJECT["project"]
    texts = [*project["dependencies"], *PYPROJECT["build-system"]["requires"]]
    for extra in extras:
        texts += project["optional-dependencies"][extra]
    return [Requirement(text) for text in texts if not text.startswith("krm-fn[")]


def test_every_requirement_is_pinned_within_its_range_with_hashes() -> None:
    for lock, extras in (("dev.txt", ("webhook", "dev")), ("image.txt", ("webhook",))):
        locked = pins(lock)
        for requirement in requirements(*extras):
            name = canonicalize_name(requirement.name)
            if requirement.marker is not None and not requirement.marker.evaluate():
                continue  # not for this platform (uvloop on Windows)
            assert name in locked, f"{lock} lacks {name}: run make lock"
            version, hashes = locked[name]
            assert requirement.specifier.contains(version, prereleases=True), (lock, name, version)
            assert hashes >= 1


def test_the_image_lock_is_the_dev_lock_s_runtime_part() -> None:
    dev, image = pins("dev.txt"), pins("image.txt")
    assert set(image) < set(dev)
    assert {name: dev[name] for name in image} == image  # same versions, same hashes
    for test_only in ("pytest", "hypothesis", "mypy", "ruff", "kubernetes", "jsonpatch", "uv"):
        assert test_only in dev and test_only not in image


def test_the_build_requirements_are_the_build_systems() -> None:
    listed = (REQUIREMENTS / "build.in").read_text().split()
    assert listed == PYPROJECT["build-system"]["requires"]


def test_the_venv_holds_the_lock_and_nothing_else() -> None:
    """`make setup` installs exactly the lock (checked in .venv, whichever venv runs the tests)."""
    script = (
        "from importlib.metadata import distributions\n"
        "for d in distributions(): print(d.metadata['Name'], d.version)\n"
    )
    listing = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-c", script],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {
        canonicalize_name(n): v for n, v in (line.split() for line in listing.splitlines())
    }
    locked = {name: version for name, (version, _) in pins("dev.txt").items()}
    assert installed.pop("krm-fn") and installed.pop("pip")  # krm-fn editable; the venv's pip
    assert installed == locked


def test_the_image_holds_the_image_lock() -> None:
    """The Dockerfile installs requirements/image.txt: the image has those versions, and krm-fn."""
    script = (
        "from importlib.metadata import distributions\n"
        "for d in distributions(): print(d.metadata['Name'], d.version)\n"
    )
    done = subprocess.run(
        [
            tool("podman"),
            "run",
            "--rm",
            "--network",
            "none",
            "--entrypoint",
            "/opt/krm-fn/bin/python",
            IMAGE,
            "-c",
            script,
        ],
        capture_output=True,
        text=True,
        check=False,
        env=container_env(),
    )
    assert done.returncode == 0, done.stderr
    installed = {
        canonicalize_name(n): v for n, v in (line.split() for line in done.stdout.splitlines())
    }
    assert installed.pop("krm-fn") and installed.pop("pip")
    assert installed == {name: version for name, (version, _) in pins("image.txt").items()}
