"""The core every way in shares (krm_fn/engine/core.py): what it checks before and around patterns.

Shapes are checked before any pattern runs, a conflict names both sides, and a bug in a pattern
is an internal error naming it, never the user's mistake, and changes nothing.
"""

from typing import Any

import pytest
from support import errors, shipper, shop

import krm_fn.engine.core
from krm_fn.framework import transform
from krm_fn.manifests import yamlio

POD = "spec.template.spec"


SHOP = "spec.template.spec.containers[name=shop]"


def test_a_bug_in_a_pattern_is_an_internal_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from krm_fn.patterns import sidecar as module

    def broken(spec: Any, pod: Any) -> None:
        raise KeyError("oops")

    monkeypatch.setattr(module, "inject", broken)
    items = [shop()]
    before = yamlio.dump_all(items)
    [error] = errors(krm_fn.engine.core.transform(shipper(), items))
    assert error.message.startswith('Sidecar "log-shipper": internal error (KeyError')
    assert "bug in krm-fn" in error.message and "not shaped" not in error.message
    assert yamlio.dump_all(items) == before
    with pytest.raises(KeyError):  # KRM_FN_DEBUG=1, as in the tests
        debug = krm_fn.engine.core.Options(raise_internal_errors=True)
        krm_fn.engine.core.transform(shipper(), [shop()], debug)
    monkeypatch.setenv("KRM_FN_DEBUG", "1")
    with pytest.raises(KeyError):  # every way in reads it
        transform(shipper(), [shop()])


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("containers", 0, "lifecycle"), [], f"{SHOP}.lifecycle"),
        (("containers", 0, "env"), [None], f"{SHOP}.env[0]"),
        (
            ("containers", 0, "ports", 0, "containerPort"),
            "8080",
            f"{SHOP}.ports[name=http].containerPort",
        ),
        (("terminationGracePeriodSeconds",), "30s", f"{POD}.terminationGracePeriodSeconds"),
    ],
)
def test_shapes_are_checked_before_patterns_run(
    path: tuple[Any, ...], value: Any, field: str
) -> None:
    deployment = shop()
    node: Any = deployment["spec"]["template"]["spec"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    [error] = errors(transform(shipper(), [deployment]))
    assert error.field == field


def test_a_port_conflict_with_a_native_sidecar_names_it_and_the_config() -> None:
    deployment = shop()
    spec = deployment["spec"]["template"]["spec"]
    spec["initContainers"] = [
        {
            "name": "other-sidecar",
            "image": "envoy:1",
            "restartPolicy": "Always",
            "ports": [{"containerPort": 9000}],
        }
    ]
    config = shipper()
    config["spec"]["containers"][0]["ports"] = [{"containerPort": 9000}]
    [error] = errors(transform(config, [deployment]))
    assert error.message.startswith('Sidecar "log-shipper": containers')
    assert error.field in (
        "spec.template.spec.initContainers[name=other-sidecar].ports",
        "spec.template.spec.initContainers[name=access-log].ports",
    )
