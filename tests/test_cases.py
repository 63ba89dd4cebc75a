"""Golden cases: tests/cases/<pattern>/<case>/{config,input,expected,results}.yaml.

Each case runs the KRM function in process on input + config and compares the output items and
the results with the expected files; then it runs again on its own output, which must change
nothing. KRM_FN_UPDATE_GOLDEN=1 rewrites the expected files from the actual ones.
"""

import io
from pathlib import Path
from typing import Any

import pytest
from support import UPDATE, schema_errors

from krm_fn.engine.config import ConfigError, load_config
from krm_fn.framework import run_resource_list
from krm_fn.manifests import yamlio

CASES = Path(__file__).parent / "cases"
CASE_FILES = {"config.yaml", "input.yaml", "expected.yaml", "results.yaml"}
ALL_CASES = sorted(p.parent for p in CASES.glob("*/*/config.yaml"))


def krm(items: list[Any], config: Any) -> tuple[list[Any], list[Any], int]:
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": config,
    }
    text, code = run_resource_list(yamlio.dump(resource_list), io.StringIO())
    output = yamlio.load(text)
    return output["items"], output["results"], code


def check_golden(path: Path, actual: str) -> None:
    if UPDATE:
        path.write_text(actual)
    assert path.exists(), f"{path} is missing: run with KRM_FN_UPDATE_GOLDEN=1 to create it"
    assert actual == path.read_text(), f"{path} is stale; KRM_FN_UPDATE_GOLDEN=1 rewrites it"


def target(config: Any) -> tuple[str, Any]:
    try:
        instances = load_config(config)
    except ConfigError:
        return "1.33", ()
    return instances[0].spec.kubernetes_version, [
        p for i in instances for p in i.spec.pod_template_paths
    ]


def test_cases_exist() -> None:
    assert len(ALL_CASES) >= 10


@pytest.mark.parametrize("case", ALL_CASES, ids=[f"{p.parent.name}/{p.name}" for p in ALL_CASES])
def test_case(case: Path) -> None:
    assert {p.name for p in case.iterdir()} <= CASE_FILES, f"unexpected files in {case}"
    config = yamlio.load((case / "config.yaml").read_text())
    items = yamlio.load_all((case / "input.yaml").read_text())
    output, results, code = krm(yamlio.load_all((case / "input.yaml").read_text()), config)

    has_error = any(r["severity"] == "error" for r in results)
    assert code == (1 if has_error else 0)
    check_golden(case / "expected.yaml", yamlio.dump_all(output))
    check_golden(case / "results.yaml", yamlio.dump(results))
    if has_error:
        assert output == items, "a run with errors must leave every resource as it was"
    else:
        version, custom = target(config)
        assert schema_errors(output, version, custom) == []

    again, results_again, code_again = krm(output, config)
    assert yamlio.dump_all(again) == yamlio.dump_all(output), "a second run changed the bytes"
    assert code_again == code
    serious = [r for r in results_again if r["severity"] != "info"]
    assert all(r in results for r in serious), "a second run warned about something new"
