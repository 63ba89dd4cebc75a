"""Put the test corpus (tests/corpus.toml) in .build/corpus, each file checked by its sha256.

Usage: python scripts/corpus.py [--sources FILE] [--dest DIR] [--local DIR]

Each file comes from the first of: DIR already holding it, the local copy (by default the
workplace's ../shared/corpus, when the clone sits beside it), the upstream address at the pinned
commit with its `# Source:` line put in front. A file whose checksum differs is refused and
nothing is written for it; exit 1 names the file, the source and both checksums.
"""

import argparse
import hashlib
import sys
import tomllib
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
GITHUB = "https://github.com/"


def upstream_url(entry: dict[str, Any]) -> str:
    """The raw file at the pinned commit."""
    repository = str(entry["repository"])
    if not repository.startswith(GITHUB):
        raise ValueError(f"{entry['name']}: repository {repository!r} is not on {GITHUB}")
    project = repository.removeprefix(GITHUB).rstrip("/")
    return f"https://raw.githubusercontent.com/{project}/{entry['commit']}/{entry['path']}"


def download(entry: dict[str, Any], base: str | None) -> bytes:
    """The upstream file (or the same path under `base`, for tests) with its header line."""
    url = upstream_url(entry)
    if base is not None:
        url = base.rstrip("/") + "/" + url.removeprefix("https://")
    with urllib.request.urlopen(url, timeout=60) as answer:
        body: bytes = answer.read()
    return entry["header"].encode() + b"\n" + body


def fetch(entry: dict[str, Any], dest: Path, local: Path | None, base: str | None) -> str:
    """Write one file into `dest` if it is not there yet; say where it came from."""
    target = dest / entry["name"]
    expected = entry["sha256"]
    if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == expected:
        return "present"
    copy = local / entry["name"] if local is not None else None
    if copy is not None and copy.is_file():
        source, data = str(copy), copy.read_bytes()
    else:
        source, data = upstream_url(entry), download(entry, base)
    actual = hashlib.sha256(data).hexdigest()
    if actual != expected:
        raise ValueError(
            f"{entry['name']} from {source} has sha256 {actual}, tests/corpus.toml pins {expected}"
        )
    partial = target.with_name(target.name + ".partial")
    partial.write_bytes(data)
    partial.replace(target)  # never a half-written file where the tests read
    return f"from {source}"


def main(argv: list[str] | None = None) -> int:
    """Fetch every file of the corpus; 0 when all are there, 1 naming the first that is not."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=Path, default=ROOT / "tests" / "corpus.toml")
    parser.add_argument("--dest", type=Path, default=ROOT / ".build" / "corpus")
    parser.add_argument("--local", type=Path, default=ROOT.parent / "shared" / "corpus")
    parser.add_argument("--url-base", help=argparse.SUPPRESS)  # tests: a loopback server
    args = parser.parse_args(argv)
    entries = tomllib.loads(args.sources.read_text())["file"]
    args.dest.mkdir(parents=True, exist_ok=True)
    local = args.local if args.local.is_dir() else None
    for entry in entries:
        try:
            where = fetch(entry, args.dest, local, args.url_base)
        except (OSError, ValueError) as error:
            print(f"corpus: {error}", file=sys.stderr)
            return 1
        if where != "present":
            print(f"corpus: {entry['name']} {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
