"""The generated validators (krm_fn/patterns/validators) decide as pydantic does, or not at all.

For every config: where the generated validator decides, pydantic accepts it too, with the same
values and the same fields set; where pydantic rejects it, the generated validator leaves it to
pydantic (which reports the errors, so they are pydantic's, field for field). And the plain
configs, every example among them, are decided without pydantic.
"""

import copy
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from support import EXAMPLES, ROOT, SHIPPER_CONFIG, field_paths, krm_fn, replace_at
from webhooks import shipper_configs

from krm_fn.engine.config import spec_model
from krm_fn.kinds import BUNDLE_KIND, KINDS
from krm_fn.manifests import yamlio
from krm_fn.patterns import validators
from krm_fn.patterns.validated import Unsure, Validated
from krm_fn.webhook.admission import (
    ConfigDirError,
)

CASES = ROOT / "tests" / "cases"


def codegen() -> Any:
    """scripts/codegen.py, the generator (a development tool, not in the package)."""
    import importlib.util
    import sys

    if "codegen" not in sys.modules:  # registered first: its dataclasses look themselves up
        spec = importlib.util.spec_from_file_location("codegen", ROOT / "scripts" / "codegen.py")
        assert spec and spec.loader
        sys.modules["codegen"] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules["codegen"])
    return sys.modules["codegen"]


RUNS = int(os.environ.get("KRM_FN_PROPERTY_EXAMPLES", "3000"))


def plain(value: Any) -> Any:
    """A validated object as comparable data: its type's name, fields and fields set."""
    if isinstance(value, BaseModel):
        fields = {name: plain(getattr(value, name)) for name in type(value).model_fields}
        return (type(value).__name__, fields, frozenset(value.model_fields_set))
    if isinstance(value, Validated):
        fields = {name: plain(getattr(value, name)) for name in value.FIELDS}
        name = spec_name(type(value).__doc__ or "")
        return (name, fields, value.model_fields_set)
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return (type(value).__name__, value)  # 1 and True and 1.0 differ


def spec_name(doc: str) -> str:
    """The model name a generated class's docstring gives ("Spec of krm_fn.patterns.models...")."""
    return doc.split(" of ", 1)[0]


def decide(kind: str, spec: Any) -> tuple[Any, Any]:
    """(the generated validator's answer or Unsure, pydantic's answer or ValidationError)."""
    try:
        fast: Any = validators.validate(kind, copy.deepcopy(spec))
    except Unsure:
        fast = Unsure
    try:
        slow: Any = spec_model(kind).model_validate(copy.deepcopy(spec))
    except ValidationError:
        slow = ValidationError
    return fast, slow


def assert_agree(kind: str, spec: Any) -> bool:
    """The two agree on spec; whether the generated validator decided it."""
    fast, slow = decide(kind, spec)
    if fast is Unsure:
        return False
    assert slow is not ValidationError, f"{kind}: generated accepts what pydantic rejects: {spec}"
    assert plain(fast) == plain(slow), f"{kind}: different values for {spec}"
    return True


def example_configs() -> list[tuple[str, Any]]:
    """(kind, spec) of every config in the examples and in tests/cases."""
    found = []
    paths = [*EXAMPLES.glob("*/*.yaml"), *CASES.glob("*/*/config.yaml")]
    for path in sorted(paths):
        for document in yamlio.load_all(path.read_text()):
            if (
                isinstance(document, dict)
                and document.get("kind") in KINDS
                and str(document.get("apiVersion", "")).startswith("krm-fn.dev/")
            ):
                found.append((document["kind"], document.get("spec", {})))
    return found


EXAMPLE_CONFIGS = example_configs()


def test_the_generated_modules_are_what_the_models_generate() -> None:
    generator = codegen()
    directory = ROOT / generator.OUTPUT
    files = generator.formatted(generator.generate())
    assert sorted(files) == sorted(p.name for p in directory.glob("*.py")), "make validators"
    for name, text in files.items():
        assert (directory / name).read_text() == text, f"{name} is stale: run make validators"
    record_kinds = generator.formatted({"record_kinds.py": generator.record_kinds()})
    stale = "krm_fn/editing/record_kinds.py is stale: run make validators"
    assert (ROOT / generator.RECORD_KINDS).read_text() == record_kinds["record_kinds.py"], stale


def test_every_example_config_is_decided_without_pydantic_and_alike() -> None:
    assert len(EXAMPLE_CONFIGS) > 40
    undecided = []
    for kind, spec in EXAMPLE_CONFIGS:
        fast, slow = decide(kind, spec)
        if slow is ValidationError:
            assert fast is Unsure, f"{kind}: generated accepts what pydantic rejects: {spec}"
        elif not assert_agree(kind, spec):
            undecided.append((kind, spec))
    assert not undecided, f"valid configs left to pydantic: {undecided}"


def test_every_kind_has_a_valid_example() -> None:
    kinds = {kind for kind, spec in EXAMPLE_CONFIGS if assert_agree(kind, spec)}
    assert kinds == set(KINDS)


ODD_VALUES = [
    None,
    True,
    False,
    0,
    1,
    -1,
    8080,
    70000,
    1.0,
    1.5,
    float("inf"),
    "",
    " ",
    "1",
    "yes",
    "on",
    "true",
    "null",
    "auto",
    "first",
    "last",
    "deny",
    "admit",
    "a-b",
    "A_B",
    "x" * 64,
    "x\n",
    "é",
    "-rf",
    "/abs/path",
    "rel/path",
    "1.30",
    "v1.31.2",
    "10m",
    "128Mi",
    "lots",
    "*",
    "app=web",
    "(",
    "http://h",
    "s3://b/k",
    [],
    [1],
    ["a"],
    [{}],
    {},
    {"a": 1},
    {"name": "x"},
    {"before": "x"},
    {"after": "y"},
    {"before": "x", "after": "y"},
    {"name": "c", "image": "busybox:1.36"},
    {"requests": {"cpu": "10m"}},
]


@st.composite
def mutated(draw: Any) -> tuple[str, Any]:
    """An example config with some of its fields replaced, removed, renamed or added."""
    kind, spec = draw(st.sampled_from(EXAMPLE_CONFIGS))
    spec = copy.deepcopy(spec)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(field_paths(spec))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add", "snake"]))
        if action == "add" or not paths:
            spec[draw(st.sampled_from(["unknown", "targets", "podOptOut", "native", "x_y"]))] = (
                copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))  # never the shared value itself
            )
            continue
        path = draw(st.sampled_from(paths))
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        if action == "replace":
            replace_at(spec, path, copy.deepcopy(draw(st.sampled_from(ODD_VALUES))))
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict) and isinstance(path[-1], str):  # a field by Python name
            snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in path[-1])
            parent[snake] = parent.pop(path[-1])
    return kind, spec


@settings(
    max_examples=RUNS,
    deadline=None,
    derandomize="KRM_FN_PROPERTY_EXAMPLES" not in os.environ,
    suppress_health_check=list(HealthCheck),
)
@given(mutated())
def test_generated_configs_are_decided_alike_or_left_to_pydantic(case: tuple[str, Any]) -> None:
    kind, spec = case
    assert_agree(kind, spec)


def test_mutations_reach_both_outcomes() -> None:
    """The property test above is not vacuous: it sees decided and undecided configs."""
    import random

    random.seed(7)
    decided = left = 0
    for kind, spec in EXAMPLE_CONFIGS * 4:
        spec = copy.deepcopy(spec)
        paths = list(field_paths(spec))
        if paths:
            replace_at(spec, random.choice(paths), copy.deepcopy(random.choice(ODD_VALUES)))
        if assert_agree(kind, spec):
            decided += 1
        else:
            left += 1
    assert decided > 30 and left > 30, (decided, left)


@pytest.mark.parametrize(
    ("kind", "spec"),
    [
        ("Sidecar", {"containers": [{"name": "a", "image": "b"}], "podOptOut": "yes"}),
        ("Sidecar", {"containers": [{"name": "a", "image": "b"}], "native": "true"}),
        ("Sidecar", {"containers": [{"name": "a", "image": "b"}], "app_containers": ["x"]}),
        ("Adapter", {"container": {"name": "a", "image": "b"}, "port": "9114"}),
        ("Adapter", {"container": {"name": "a", "image": "b"}, "port": 9114.0}),
        ("WaitFor", {"tcp": ["db:5432"], "containerName": "wait\n"}),
        ("PodDefaults", {"labels": {"team": 1}}),
        (BUNDLE_KIND, {"patterns": [{"kind": "Sidecar", "spec": {}}], "podOptOut": 0}),
    ],
)
def test_values_pydantic_coerces_are_left_to_pydantic(kind: str, spec: Any) -> None:
    fast, slow = decide(kind, spec)
    assert fast is Unsure
    assert slow is not None  # pydantic decides them: a value or a ValidationError


def test_a_run_on_a_plain_config_never_imports_pydantic(tmp_path: Path) -> None:
    import sys

    probe = (
        "import sys\nfrom krm_fn.engine import config\nfrom krm_fn.manifests import yamlio\n"
        "for path in sys.argv[1:]:\n"
        "    document = yamlio.load(open(path).read())\n"
        "    config.load_config(document)\n"
        "found = [m for m in sys.modules if m.split('.')[0] in ('pydantic', 'pydantic_core')]\n"
        "print(' '.join(found))\n"
    )
    paths = [
        str(path)
        for path in sorted(EXAMPLES.glob("*/*.yaml"))
        if "krm-fn.dev/v1alpha1" in path.read_text()
        and yamlio.load_all(path.read_text())[0].get("kind") in KINDS
    ]
    done = subprocess.run([sys.executable, "-c", probe, *paths], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert len(paths) > 15 and done.stdout.strip() == ""


@pytest.mark.parametrize(
    "image", ["busybox:1.36\n  securityContext: {privileged: true}", "UPPER CASE !!", "-x", "a b:1"]
)
def test_image_references_are_checked_when_configs_load(image: str, tmp_path: Path) -> None:
    config = yamlio.load(SHIPPER_CONFIG.read_text())
    config["spec"]["containers"][0]["image"] = image
    path = tmp_path / "config.yaml"
    path.write_text(yamlio.dump(config))
    code, _, err = krm_fn("validate", str(path))
    assert code == 1 and "is not an image reference" in err, err
    with pytest.raises(ConfigDirError):
        shipper_configs(tmp_path, containers=config["spec"]["containers"])


@pytest.mark.parametrize(
    ("where", "value", "field"),
    [
        (
            ["containers", 0, "securityContext", "runAsUser"],
            ".inf",
            "spec.containers[0].securityContext.runAsUser",
        ),
        (
            ["containers", 0, "ports"],
            "[{containerPort: 8080}, {containerPort: -.inf}]",
            "spec.containers[0].ports[1].containerPort",
        ),
        (["volumes", 0, "emptyDir", "sizeLimit"], ".nan", "spec.volumes[0].emptyDir.sizeLimit"),
    ],
)
def test_infinities_and_nan_are_refused_when_configs_load(
    where: list[Any], value: str, field: str, tmp_path: Path
) -> None:
    # YAML has them, JSON has not: written into a pod they would change type (null) or make
    # the patch invalid, so no config may hold one, in any field
    config = yamlio.load(SHIPPER_CONFIG.read_text())
    parent = config["spec"]
    for step in where[:-1]:
        parent = parent[step] if isinstance(step, int) else parent.setdefault(step, {})
    parent[where[-1]] = yamlio.load(value)
    path = tmp_path / "config.yaml"
    path.write_text(yamlio.dump(config))
    code, _, err = krm_fn("validate", str(path))
    assert code == 1 and f"{field}: not a finite number" in err, err
    with pytest.raises(ConfigDirError, match="not a finite number"):
        shipper_configs(tmp_path, **config["spec"])
