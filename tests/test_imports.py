"""Start-up stays light: the transform path never imports what it does not use."""

import subprocess
import sys

from support import EXAMPLES

PROBE = """
import io, sys
from krm_fn import yamlio
from krm_fn.cli import run_krm
items = yamlio.load_all(open(sys.argv[1]).read())
config = yamlio.load(open(sys.argv[2]).read())
rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
      "items": items, "functionConfig": config}
out, code = run_krm(yamlio.dump(rl), io.StringIO())
assert code == 0, out
print(" ".join(sorted(sys.modules)))
"""


def loaded_modules(example: str, resources: str, config: str) -> set[str]:
    directory = EXAMPLES / example
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(directory / resources), str(directory / config)],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_transform_path_imports_neither_kubernetes_nor_unused_patterns() -> None:
    modules = loaded_modules("sidecar-log-shipper", "deployment.yaml", "log-shipper.yaml")
    assert "krm_fn.patterns.sidecar" in modules
    assert not {m for m in modules if m == "kubernetes" or m.startswith("kubernetes.")}
    assert "krm_fn.patterns.pod_defaults" not in modules
    assert "jsonpath_ng" not in modules  # only custom kinds need JSONPath
    assert "argparse" not in modules
    assert not {m for m in modules if m.split(".")[0] in ("pydantic", "pydantic_core")}
    assert not {m for m in modules if m.startswith("krm_fn.models")}  # the generated validators
    server = {"krm_fn.webhook", "uvloop", "prometheus_client", "jsonpatch", "cryptography"}
    assert not {m for m in modules if m.split(".")[0] in server or m.startswith("krm_fn.webhook")}


def test_jsonpath_only_when_custom_kinds_are_configured() -> None:
    modules = loaded_modules("all-workload-kinds", "rollout.yaml", "platform.yaml")
    assert "jsonpath_ng" in modules
    assert "kubernetes" not in modules


def test_nothing_but_the_webhook_package_and_the_cli_imports_it() -> None:
    from pathlib import Path

    package = Path(__file__).resolve().parent.parent / "krm_fn"
    importers = {
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if "krm_fn.webhook" in path.read_text() and "webhook" not in path.parts
    }
    assert importers == {"cli.py"}
