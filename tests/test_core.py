"""The core every way in shares (krm_fn/engine/core.py): what it checks before and around patterns.

Shapes are checked before any pattern runs, a conflict names both sides, and a bug in a pattern
is an internal error naming it, never the user's mistake, and changes nothing.
"""

import json
from collections.abc import Iterator
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
        (("containers", 0, "command"), ["sh", 1], f"{SHOP}.command[1]"),
        (
            ("containers", 0, "securityContext"),
            {"seLinuxOptions": {"type": 5}},
            f"{SHOP}.securityContext.seLinuxOptions.type",
        ),
        (("containers", 0, "resources"), {"limits": {"cpu": True}}, f"{SHOP}.resources.limits.cpu"),
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


def _containers_and_lists(node: Any) -> Iterator[int]:
    """The ids of every mapping and list in a tree."""
    if isinstance(node, dict | list):
        yield id(node)
        for value in node.values() if isinstance(node, dict) else node:
            yield from _containers_and_lists(value)


def test_every_pod_gets_injected_items_of_its_own() -> None:
    # the containers a pattern builds share values with its config (no copy per pod): the editor
    # copies what it adds, so that one pod's change (a resources annotation) stays in that pod
    config = shipper()
    before = yamlio.dump(config)
    first, second = shop(), shop()
    second["metadata"]["name"] = "shop-2"
    template = second["spec"]["template"]
    override = {"limits": {"memory": "512Mi"}}
    template["metadata"]["annotations"] = {"krm-fn.dev/resources-access-log": json.dumps(override)}
    assert not errors(transform(config, [first, second]))
    [ours] = first["spec"]["template"]["spec"]["initContainers"]
    [theirs] = template["spec"]["initContainers"]
    assert theirs["resources"]["limits"]["memory"] == "512Mi"
    assert ours["resources"]["limits"]["memory"] != "512Mi"
    assert not set(_containers_and_lists(first)) & set(_containers_and_lists(second))
    assert yamlio.dump(config) == before
    assert "&id" not in yamlio.dump_all([first, second])
