"""functions.yaml, the schemas, and the docs stay in step with the models."""

import json

import jsonschema
import pytest
from support import EXAMPLES, ROOT, UPDATE, krm_fn_command, run

from krm_fn.engine.config import example
from krm_fn.kinds import KINDS
from krm_fn.manifests import yamlio


def test_functions_yaml_is_what_krm_fn_definitions_prints() -> None:
    done = run([krm_fn_command(), "definitions"])
    assert done.returncode == 0, done.stderr
    if UPDATE:
        (ROOT / "functions.yaml").write_text(done.stdout)
    assert (ROOT / "functions.yaml").read_text() == done.stdout, (
        "functions.yaml is stale: KRM_FN_UPDATE_GOLDEN=1"
    )
    definitions = yamlio.load_all(done.stdout)
    assert [d["spec"]["names"]["kind"] for d in definitions] == KINDS
    for definition in definitions:
        version = definition["spec"]["versions"][0]
        assert "$ref" not in json.dumps(version["schema"])
        assert (ROOT / version["usage"]).exists()
        assert all((ROOT / e).exists() for e in version["examples"])


@pytest.mark.parametrize("kind", KINDS)
def test_each_example_config_matches_its_published_schema(kind: str) -> None:
    [definition] = [
        d
        for d in yamlio.load_all((ROOT / "functions.yaml").read_text())
        if d["spec"]["names"]["kind"] == kind
    ]
    schema = definition["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    folder = EXAMPLES / example(kind)
    kustomization = yamlio.load((folder / "kustomization.yaml").read_text())
    configs = [yamlio.load((folder / c).read_text()) for c in kustomization["transformers"]]
    config = (
        next(c for c in configs if c["kind"] == kind)
        if kind in [c["kind"] for c in configs]
        else None
    )
    if config is None:  # the kind is used inside a PodPatterns bundle
        bundle = configs[0]
        spec = next(p["spec"] for p in bundle["spec"]["patterns"] if p["kind"] == kind)
        config = {
            "apiVersion": bundle["apiVersion"],
            "kind": kind,
            "metadata": {"name": "x"},
            "spec": spec,
        }
    jsonschema.validate(config, schema)
    assert schema["properties"]["spec"]["additionalProperties"] is False
    with pytest.raises(jsonschema.ValidationError, match="noSuchField"):
        jsonschema.validate({**config, "spec": {**config["spec"], "noSuchField": 1}}, schema)


def test_schema_and_explain_commands() -> None:
    done = run([krm_fn_command(), "schema", "Sidecar"])
    schema = json.loads(done.stdout)
    assert schema["properties"]["kind"] == {"const": "Sidecar"}
    done = run([krm_fn_command(), "explain", "Ambassador", "--markdown"])
    assert (
        done.returncode == 0
        and done.stdout.startswith("# Ambassador")
        and "| `inbound` |" in done.stdout
    )
    done = run([krm_fn_command(), "explain", "Sidecr"])
    assert done.returncode == 2 and "unknown kind" in done.stderr


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "PodPatterns"])
def test_every_registered_kind_keeps_the_pattern_contract(kind: str) -> None:
    import inspect
    import typing

    from krm_fn.editing.pod_editor import PodEditor
    from krm_fn.engine.config import pattern_module, spec_model
    from krm_fn.patterns import Facts, Pattern
    from krm_fn.patterns.models.spec import PatternSpec

    module = pattern_module(kind)
    assert isinstance(module, Pattern), f"{kind}: a pattern module has inject and FACTS"
    assert isinstance(module.FACTS, Facts)
    assert (EXAMPLES / module.FACTS.example / "kustomization.yaml").exists(), module.FACTS.example
    model = spec_model(kind)
    assert issubclass(model, PatternSpec) and model.__name__ == "Spec"
    assert model.__module__ == module.__name__.replace(".patterns.", ".patterns.models.")
    # the transform's annotations name the model only for type checkers: resolve them with it
    hints = typing.get_type_hints(module.inject, localns={"Spec": model, "PodEditor": PodEditor})
    parameters = list(inspect.signature(module.inject).parameters)
    assert len(parameters) == 2, parameters
    assert hints[parameters[0]] is model, f"{kind}: inject takes its own Spec first"
    assert hints[parameters[1]] is PodEditor and hints["return"] is type(None)
    for api_version, generated in module.FACTS.generates:
        assert "/" in api_version or api_version == "v1", (api_version, generated)
