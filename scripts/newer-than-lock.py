"""List what this environment has at another version than the lock: `make test-newest` says it.

Usage: python scripts/newer-than-lock.py requirements/dev.txt
"""

import re
import sys
from importlib import metadata
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", re.MULTILINE)


def normal(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def main(lock: Path) -> int:
    """Print one line per distribution whose version differs from its pin; always exit 0."""
    pins = {normal(name): version for name, version in PIN.findall(lock.read_text())}
    installed = {normal(d.metadata["Name"]): d.version for d in metadata.distributions()}
    moved = [
        f"{name} {installed[name]} (lock: {pin})"
        for name, pin in sorted(pins.items())
        if name in installed and installed[name] != pin
    ]
    print(f"newer than {lock}: " + (", ".join(moved) if moved else "nothing"))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
