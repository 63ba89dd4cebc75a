"""The YAML layer: libyaml with lean glue, which must read and write what PyYAML's own does."""

import copy

import yaml
from support import example_cases

from krm_fn import yamlio


def test_the_lean_path_reads_and_writes_the_examples_like_pyyaml() -> None:
    for items, config in example_cases():
        text = yaml.dump_all([*items, config], Dumper=yaml.CSafeDumper, sort_keys=False)
        assert yamlio.load_all(text) == list(yaml.load_all(text, Loader=yaml.CSafeLoader))
        written = yamlio.dump_all(items)
        assert list(yaml.load_all(written, Loader=yaml.CSafeLoader)) == items


def test_scalars_resolve_like_kubernetes_tools() -> None:
    doc = yamlio.load("a: yes\nb: 2024-01-01\nc: true\nd: 0x10\ne: 1.5\nf: null\ng: '1'\nh: =\n")
    expected = {"a": "yes", "b": "2024-01-01", "c": True, "d": 16, "e": 1.5, "f": None, "g": "1"}
    assert doc == {**expected, "h": "="}
    assert yamlio.load(yamlio.dump(doc)) == doc


def test_aliases_become_independent_copies_and_merge_keys_work() -> None:
    doc = yamlio.load("base: &b {x: 1, l: [1]}\none: *b\ntwo: {<<: *b, y: 2}\n")
    assert doc == {
        "base": {"x": 1, "l": [1]},
        "one": {"x": 1, "l": [1]},
        "two": {"x": 1, "l": [1], "y": 2},
    }
    doc["one"]["l"].append(2)
    assert doc["base"]["l"] == [1], "editing one copy of an alias leaves the others alone"


def test_a_resource_list_written_entry_by_entry_is_the_same_yaml() -> None:
    items, config = example_cases()[0]
    resource_list = {
        "apiVersion": "config.kubernetes.io/v1",
        "kind": "ResourceList",
        "items": items,
        "functionConfig": config,
        "results": [{"message": "m", "severity": "info"}],
    }
    assert yamlio.dump_resource_list(resource_list) == yamlio.dump(resource_list)
    kept = {**resource_list, "items": [{"data": {"a": "x\n\n"}}, *items]}  # ends its document
    assert yamlio.load(yamlio.dump_resource_list(kept)) == kept
    assert yamlio.dump_resource_list({**resource_list, "items": []}).count("items: []") == 1


def test_clone_is_a_deep_copy() -> None:
    items, _ = example_cases()[0]
    copied = yamlio.clone(items)
    assert copied == copy.deepcopy(items)
    copied[0]["metadata"]["name"] = "changed"
    assert items[0]["metadata"]["name"] != "changed"
