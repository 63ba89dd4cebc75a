"""Hostile input: every case gets a clear error and exit 1 within bounded CPU time and memory.

The bounds are resource limits on the krm-fn process (address space and CPU seconds), not
wall-clock timers: past them the process is killed or gets a MemoryError, and the test fails
because the message it asserts is missing.
"""

import re
import resource
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from support import krm_fn_command

MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space: Python with pydantic needs ~300 MB
CPU_SECONDS = 30
HEADER = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
CONFIG = (
    b"functionConfig: {apiVersion: krm-fn.dev/v1alpha1, kind: Sidecar, metadata: {name: s},"
    b" spec: {containers: [{name: tail, image: busybox:1.36}]}}\n"
)


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def krm_fn(stdin: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    with stdin.open("rb") as source:
        return subprocess.run(
            [krm_fn_command(), *args],
            stdin=source,
            capture_output=True,
            preexec_fn=limited,
            check=False,
        )


def billion_laughs() -> bytes:
    lines = [b'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 10):
        refs = ",".join([f"*a{level - 1}"] * 10).encode()
        lines.append(b"a%d: &a%d [%s]" % (level, level, refs))
    body = b"\n".join(b"    " + line for line in lines)
    return (
        HEADER + CONFIG + b"items:\n- apiVersion: v1\n  kind: ConfigMap\n  data:\n" + body + b"\n"
    )


def merge_bomb() -> bytes:
    """860 bytes whose merge keys (`<<`) expand to millions of keys: each level merges the one
    before twice over."""
    lines = [b"a0: &a0 {x0: 1, x1: 1, x2: 1, x3: 1}"]
    for level in range(1, 22):
        prev = b"*a%d" % (level - 1)
        lines.append(b"a%d: &a%d {<<: [%s], l%d: {<<: %s}}" % (level, level, prev, level, prev))
    return b"\n".join(b"    " + line for line in lines) + b"\n"


DUPLICATE_KEY = b"""items:
- apiVersion: v1
  kind: Pod
  metadata: {name: p}
  spec:
    containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: false
        allowPrivilegeEscalation: false
        runAsNonRoot: true
        capabilities: {drop: [ALL]}
        seccompProfile: {type: RuntimeDefault}
        readOnlyRootFilesystem: true
        privileged: true
"""


def deep_record() -> bytes:
    record = "[" * 100_000 + "]" * 100_000  # 200 KB: under the size limit of a record
    return (
        b"items:\n- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p\n    annotations:\n"
        b"      krm-fn.dev/injected: '" + record.encode() + b"'\n"
        b"  spec: {containers: [{name: app, image: nginx:1.27}]}\n"
    )


def hundred_megabytes() -> Iterator[bytes]:
    yield HEADER + CONFIG + b"items:\n"
    item = b"- {apiVersion: v1, kind: ConfigMap, data: {k: %s}}\n" % (b"v" * 1000,)
    for _ in range(100):
        yield item * 1000


# Where both krm-fn and the YAML library bound something, either may refuse it first, in its own
# words (libyaml 0.2.6, in PyYAML 6.0.4, refuses flow nesting past 1,000 levels): a clear one-line
# error naming stdin and the nesting is what holds for every supported version.
NESTING = re.compile(r"^krm-fn: stdin(: | is not valid YAML: )[^\n]*nest", re.MULTILINE)


CASES: dict[str, tuple[Callable[[], Iterable[bytes]], str | re.Pattern[str]]] = {
    "malformed YAML": (
        lambda: [HEADER + b"items: [ {a: b\n"],
        "stdin is not valid YAML: while parsing a flow mapping",
    ),
    "non-UTF-8 bytes": (lambda: [HEADER + b"items: []\n# caf\xe9\n"], "stdin is not UTF-8"),
    "empty stdin": (lambda: [], "stdin is empty: expected a ResourceList"),
    "billion laughs": (lambda: [billion_laughs()], "refusing what looks like a YAML bomb"),
    "self-referencing alias": (
        lambda: [HEADER + CONFIG + b"items: &loop [*loop]\n"],
        "stdin: nested deeper than 200 levels",
    ),
    "100 MB document": (
        hundred_megabytes,
        "stdin is larger than 33,554,432 bytes; set KRM_FN_MAX_INPUT_BYTES",
    ),
    "a million nested flow sequences": (
        lambda: [HEADER + b"items: " + b"[" * 1_000_000 + b"]" * 1_000_000],
        NESTING,
    ),
    "a hundred thousand nested block sequences on one line": (
        lambda: [HEADER + b"items:\n" + b"- " * 100_000 + b"x\n"],
        NESTING,
    ),
    "a merge-key bomb": (
        lambda: [
            HEADER
            + CONFIG
            + b"items:\n- apiVersion: v1\n  kind: ConfigMap\n  data:\n"
            + merge_bomb()
        ],
        "refusing what looks like a YAML bomb",
    ),
    "a duplicate key (privileged: false, then true)": (
        lambda: [HEADER + CONFIG + DUPLICATE_KEY],
        "stdin: duplicate key 'privileged' (line 19, column 9)",
    ),
    "a record nested 100,000 deep": (
        lambda: [HEADER + CONFIG + deep_record()],
        "record krm-fn.dev/injected is nested too deeply",
    ),
    "nesting over krm-fn's bound, under the one that makes it check events": (
        lambda: [HEADER + CONFIG + b"items: [" + b"[" * 300 + b"]" * 301],
        "stdin: nested deeper than 200 levels",
    ),
}


def write(path: Path, chunks: Iterable[bytes]) -> Path:
    with path.open("wb") as handle:
        handle.writelines(chunks)
    return path


@pytest.mark.parametrize("case", CASES)
def test_hostile_input_gets_a_clear_error_within_bounds(case: str, tmp_path: Path) -> None:
    body, message = CASES[case]
    done = krm_fn(write(tmp_path / "input.yaml", body()))
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    stderr = done.stderr.decode()
    if isinstance(message, str):
        assert message in stderr
    else:
        assert message.search(stderr), stderr[-2000:]
    assert "internal error" not in stderr and "Traceback" not in stderr
    # refused input: nothing on stdout; a resource refused: the items as they came, and why
    assert done.stdout == b"" or b"  severity: error\n" in done.stdout


def test_the_plugin_and_run_modes_have_the_same_bounds(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(CONFIG.split(b": ", 1)[1])
    bomb = write(tmp_path / "bomb.yaml", [billion_laughs().split(CONFIG)[1]])
    for args in (["plugin", str(config)], ["run", str(config)], ["run", str(config), str(bomb)]):
        done = krm_fn(bomb, *args)
        assert done.returncode == 1
        assert b"refusing what looks like a YAML bomb" in done.stderr


def test_the_size_limit_holds_for_all_files_of_a_run_together(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_bytes(CONFIG.split(b": ", 1)[1])
    document = b"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\ndata: {k: %s}\n"
    value = b"v" * (1 << 20)
    files = []
    for part in range(3):  # 12 MiB each: every file alone is under the 32 MiB limit
        chunks = [document % (part * 100 + index, value) for index in range(12)]
        files.append(str(write(tmp_path / f"part{part}.yaml", chunks)))
    done = krm_fn(config, "run", str(config), *files)
    assert done.returncode == 1
    assert b"the input, with " in done.stderr
    assert b"is larger than 33,554,432 bytes" in done.stderr
