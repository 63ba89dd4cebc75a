"""Fuzz target (atheris): the input parser and the config loader, through KRM mode.

Any exception other than the two krm-fn answers with a message (UsageError, InputError) is a
crash. The first byte picks what the rest is: a whole ResourceList (KRM mode), a functionConfig
under a fixed ResourceList, or a plugin config. Seeds come from kustomization-examples/.

    .venv/bin/python fuzz/fuzz_krm_fn.py .build/fuzz-corpus -max_total_time=600   # a long run
tests/test_fuzz.py runs it briefly in `make test`.
"""

import io
import sys
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["krm_fn", "yaml"]):
    import yaml

    import krm_fn.engine.core  # noqa: F401  (imported here to be instrumented)
    from krm_fn.engine.config import pattern_module
    from krm_fn.framework import run_plugin, run_resource_list
    from krm_fn.kinds import API_VERSION, PATTERNS
    from krm_fn.manifests import yamlio

    for kind in PATTERNS:  # imported here, so that the fuzzer sees their branches
        pattern_module(kind)

EXAMPLES = Path(__file__).resolve().parent.parent / "kustomization-examples"
HEADER = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
ITEMS = (
    "items:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\n"
    "  spec:\n    template:\n      spec:\n        containers: [{name: web, image: nginx}]\n"
)


def test_one_input(data: bytes) -> None:
    """Run one input; exceptions other than krm-fn's refusals propagate as crashes."""
    if not data:
        return
    mode, text = data[0] % 3, data[1:].decode("utf-8", errors="replace")
    try:
        if mode == 0:
            run_resource_list(text, io.StringIO())
        elif mode == 1:
            config = "functionConfig:\n" + "\n".join("  " + line for line in text.splitlines())
            run_resource_list(HEADER + ITEMS + config, io.StringIO())
        else:
            run_plugin(text, ITEMS.split("\n", 1)[1].replace("- ", "  ", 1), io.StringIO())
    except yamlio.InputError:
        pass


def write_seeds(corpus: Path) -> None:
    """Each example's config and a ResourceList of its resources, as seeds."""
    corpus.mkdir(parents=True, exist_ok=True)
    if any(corpus.iterdir()):
        return
    for index, config in enumerate(sorted(EXAMPLES.glob("*/*.yaml"))):
        text = config.read_text()
        documents = list(yaml.safe_load_all(text))
        if any(isinstance(d, dict) and d.get("apiVersion") == API_VERSION for d in documents):
            (corpus / f"config-{index}").write_bytes(b"\x01" + text.encode())
            (corpus / f"plugin-{index}").write_bytes(b"\x02" + text.encode())
        else:
            (corpus / f"items-{index}").write_bytes(
                b"\x00" + (HEADER + yamlio.dump({"items": documents})).encode()
            )


if __name__ == "__main__":
    corpora = [arg for arg in sys.argv[1:] if not arg.startswith("-")]
    if corpora:
        write_seeds(Path(corpora[0]))
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
