"""The YAML layer: libyaml with lean glue, which must read and write what PyYAML's own does."""

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from support import (
    example_cases,
    field_paths,
    replace_at,
)
from test_hostile import krm_fn as hostile

from krm_fn.manifests import blockyaml, yamlio


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


STYLED = """\
plain: {a: 1, b: [x, 'y', "z"]}
quoted: "1"
single: 'on'
block: |
  one
  two
flow: [{name: a, value: "1"}, {name: b}]
nested: {in: {deeper: ["a: b", "#not a comment"]}}
"""


def test_what_is_unchanged_is_written_in_the_style_it_was_read() -> None:
    styles: yamlio.Styles = []
    doc = yamlio.load(STYLED, "t", styles)
    assert yamlio.dump(doc, styles[0]) == STYLED
    doc["flow"].append({"name": "c"})  # a changed collection: block style, its values still quoted
    doc["quoted"] = "2"  # a changed string: quoted only as far as it needs
    written = yamlio.dump(doc, styles[0])
    assert "plain: {a: 1, b: [x, 'y', \"z\"]}\n" in written
    assert 'flow:\n- {name: a, value: "1"}\n- {name: b}\n- name: c\n' in written
    assert "quoted: '2'\n" in written and "single: 'on'\n" in written
    assert yamlio.load(written) == doc


def test_kept_styles_never_change_a_value() -> None:
    """Whatever changes in a styled document, what is written reads back as the new values."""
    hostile = ["", "on", "1", "a: b", "- x", "#c", "{x}", "multi\nline\n", "'", '"', "null", "~"]
    for items, config in example_cases():
        documents = [*items, config]
        sources = [  # leaf collections in flow style; everything in flow; every scalar quoted
            yaml.dump_all(documents, Dumper=yaml.CSafeDumper, default_flow_style=None),
            yaml.dump_all(documents, Dumper=yaml.CSafeDumper, default_flow_style=True),
            yaml.dump_all(documents, Dumper=yaml.CSafeDumper, default_style="'"),
        ]
        for source in sources:
            styles: yamlio.Styles = []
            docs = yamlio.load_all(source, "t", styles)
            for number, (doc, style) in enumerate(zip(docs, styles, strict=True)):
                paths = list(field_paths(doc))
                for index, path in enumerate(paths[:: max(1, len(paths) // 25)]):
                    changed = copy.deepcopy(doc)
                    replace_at(changed, path, hostile[(index + number) % len(hostile)])
                    assert yamlio.load(yamlio.dump(changed, style)) == changed, path
                assert yamlio.load(yamlio.dump(doc, style)) == doc


# strings every YAML writer must think about: words other tools read as another type, YAML's
# indicators, quotes, blanks, line and page breaks, non-ASCII, control characters, long ones
TRICKY = [
    "",
    "y",
    "No",
    "true",
    "null",
    "~",
    "0755",
    "0x1F",
    "1e3",
    "1_000",
    ".5",
    "12:30",
    "2024-01-01",
    "- a",
    "a: b",
    "a:b",
    "#x",
    "a #b",
    "'q'",
    '"',
    "\\",
    "\t",
    " lead",
    "trail ",
    "ü",
    "😀",
    "\x85",
    "\u2028",
    "\ufeff",
    "*a",
    "&a",
    "!t",
    "%x",
    "@x",
    "`x",
    "{",
    "}",
    "[",
    "]",
    ",",
    "?",
    "? x",
    ":",
    "a:",
    "-",
    "---",
    "...",
    "\x00",
    "\x7f",
    "\r",
    "a\nb",
    "a\n",
    "k" * 200,
    "word " * 500,
    "=",
    "<<",
    "\n",
    " a\nb",
    "a\n\nb",
    "a\n\n",
    "a \nb",
    "\ta\nb",
    "a\r\nb",
    "a\x85b",
    "a\n  b\n",
    '#!/bin/sh\nset -eu\nexec "$@"\n',
    "- x\n- y",
    "a\n" * 1500,
    "\u2028",
    "a\u2029b",
    "a\x85\nb",
    "a\rb\n",
]


def trees() -> Any:
    """Plain trees of tricky strings, ints, bools and None (and the odd float)."""
    words = st.sampled_from(TRICKY) | st.text(max_size=12)
    scalars = words | st.integers() | st.booleans() | st.none() | st.just(1.5)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(words, inner, max_size=4),
        max_leaves=30,
    )


@settings(max_examples=1500, deadline=None)
@given(st.lists(trees(), min_size=1, max_size=3))
def test_block_yaml_is_byte_for_byte_what_the_dumper_writes(documents: list[Any]) -> None:
    """The direct writer of plain trees gives libyaml's bytes, or leaves the tree to it."""
    for document in documents:
        assert yamlio.dump(document) == yaml.dump(
            document, Dumper=yamlio.Dumper, sort_keys=False, allow_unicode=True, width=10_000
        )
    assert yamlio.dump_all(documents) == yaml.dump_all(
        documents, Dumper=yamlio.Dumper, sort_keys=False, allow_unicode=True, width=10_000
    )


def test_the_examples_are_written_by_the_direct_writer_as_libyaml_writes_them() -> None:
    writer = blockyaml.BlockWriter(yamlio.libyaml_dump)
    written = total = 0
    for items, config in example_cases():
        for document in [*items, config, {"items": items}]:
            text = writer.write(document)
            written += text is not None
            total += 1
            assert text in (
                None,
                yaml.dump(
                    document,
                    Dumper=yamlio.Dumper,
                    sort_keys=False,
                    allow_unicode=True,
                    width=10_000,
                ),
            )
    assert written > total * 0.8, f"the direct writer took {written} of {total}: not in use"


HEADER = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"


CONFIG = (
    b"functionConfig: {apiVersion: krm-fn.dev/v1alpha1, kind: Sidecar, metadata: {name: s},"
    b" spec: {containers: [{name: tail, image: busybox:1.36}]}}\n"
)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            HEADER
            + CONFIG
            + b"items:\n"
            + b"- {apiVersion: v1, kind: ConfigMap, metadata: {name: c}}\n" * 550_000,
            "more than 2,500,000 YAML nodes",
        ),
        (b"---\na: b\n" * 3_700_000, "more than 2,500,000 YAML nodes"),
        (
            HEADER
            + CONFIG
            + b"items:\n"
            + b"".join(
                b"- {apiVersion: v1, kind: ConfigMap, metadata: {name: c%d}}\n" % i
                for i in range(100_001)
            ),
            "holds 100,001 resources, more than 100,000",
        ),
    ],
    ids=["550,000 items", "32 MiB of one-line documents", "100,001 resources"],
)
def test_inputs_of_too_many_nodes_or_items_are_refused_in_bounded_memory(
    body: bytes, message: str, tmp_path: Path
) -> None:
    stdin = tmp_path / "input.yaml"
    stdin.write_bytes(body)
    plugin = ["plugin", str(tmp_path / "c.yaml")]
    (tmp_path / "c.yaml").write_bytes(CONFIG.split(b": ", 1)[1])
    for args in ([], plugin) if body.startswith(b"---") else ([],):
        done = hostile(stdin, *args)
        assert done.returncode == 1 and message in done.stderr.decode(), done.stderr[-500:]
