"""Start-up stays light: the transform path never imports what it does not use."""

import subprocess
import sys
from pathlib import Path

from support import EXAMPLES

PROBE = """
import io, sys
from krm_fn.manifests import yamlio
from krm_fn.framework import run_resource_list
items = yamlio.load_all(open(sys.argv[1]).read())
config = yamlio.load(open(sys.argv[2]).read())
rl = {"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList",
      "items": items, "functionConfig": config}
out, code = run_resource_list(yamlio.dump(rl), io.StringIO())
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
    assert not {m for m in modules if m.startswith("krm_fn.patterns.models")}  # generated ones do
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


WAYS_IN = {  # module -> the way in it belongs to; cli.py, the entry point, picks one
    "krm_fn.cli": "the entry point",
    "krm_fn.__main__": "the entry point",  # python -m krm_fn
    "krm_fn.commands": "commands",
    "krm_fn.audit": "commands",  # the audit command, parsed by commands/parser.py
    "krm_fn.helm": "helm",
    "krm_fn.argocd": "argocd",
    "krm_fn.argocd_generate": "argocd",  # python -m krm_fn.argocd_generate: generate, warm or not
    "krm_fn.argocd_sidecar": "argocd",  # the warm process for it
    "krm_fn.webhook": "webhook",
    "krm_fn.admission_policy": "admission-policy",
}


def imported_modules(path: Path) -> set[str]:
    """Every krm_fn module a file imports, at its top or inside a function."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in found if m.startswith("krm_fn")}


def way_in(module: str) -> str | None:
    return next((w for m, w in WAYS_IN.items() if module == m or module.startswith(f"{m}.")), None)


PACKAGE = Path(__file__).resolve().parent.parent / "krm_fn"


def package_modules() -> list[tuple[str, Path]]:
    """Every module of krm_fn, by name, with its file."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = ".".join(("krm_fn", *path.relative_to(PACKAGE).with_suffix("").parts))
        found.append((module.removesuffix(".__init__"), path))
    return found


def test_no_way_in_imports_another_and_only_the_entry_point_imports_them() -> None:
    crossings = []
    for module, path in package_modules():
        own = way_in(module)
        if own == "the entry point":
            continue
        for target in imported_modules(path):
            other = way_in(target)
            if other is not None and other != own:
                crossings.append(f"{module} imports {target} ({other})")
    assert not crossings, crossings
    assert way_in("krm_fn.webhook.server") == "webhook" and way_in("krm_fn.engine.core") is None


# The layers of docs/engine.md, top first: a module imports from its own layer or those below it.
LAYERS = [
    ("the entry point", ["krm_fn.cli", "krm_fn.__main__"]),
    (
        "ways in",
        [
            "krm_fn.commands",
            "krm_fn.audit",
            "krm_fn.completion",
            "krm_fn.helm",
            "krm_fn.argocd",
            "krm_fn.argocd_generate",
            "krm_fn.argocd_sidecar",
            "krm_fn.webhook",
            "krm_fn.admission_policy",
        ],
    ),
    (
        "shared by ways in",
        [
            "krm_fn.framework",
            "krm_fn.configfiles",
            "krm_fn.plugins",
            "krm_fn.reference",
            "krm_fn.catalog",
        ],
    ),
    ("engine", ["krm_fn.engine"]),
    ("patterns", ["krm_fn.patterns"]),
    ("editing", ["krm_fn.editing"]),
    ("kube", ["krm_fn.kube"]),
    ("manifests", ["krm_fn.manifests"]),
    ("kinds", ["krm_fn.kinds"]),
]


def layer(module: str) -> int | None:
    """The index of the layer a module is in (None: the package itself)."""
    for index, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(f"{p}.") for p in prefixes):
            return index
    return None


def test_every_import_points_down_the_layers() -> None:
    upward = []
    for module, path in package_modules():
        own = layer(module)
        assert own is not None or module == "krm_fn", f"{module} is in no layer of docs/engine.md"
        for target in imported_modules(path):
            other = layer(target)
            if own is not None and other is not None and other < own:
                upward.append(f"{module} ({LAYERS[own][0]}) imports {target} ({LAYERS[other][0]})")
    assert not upward, upward
    assert layer("krm_fn.patterns.validators.sidecar") == 4 and layer("krm_fn.cli") == 0
    layers = (PACKAGE.parent / "docs" / "engine.md").read_text().split("## The layout")[1]
    assert all(f"{name}" in layers for name, _ in LAYERS), "docs/engine.md names every layer"
