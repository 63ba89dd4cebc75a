"""The webhook's JSON Patch turns the pod as received into the pod as the core returns it.

And the webhook's JSON (jsoncodec.py, orjson) reads and writes values as the standard library does,
types included, whatever their size.

Applied by an independent implementation (the `jsonpatch` library), on hypothesis-generated
pairs of JSON documents, the second a mutation of the first, as the core mutates pods: members
added, removed and replaced, list items inserted, removed and changed anywhere.
"""

import copy
import json
import os
from typing import Any

import jsonpatch
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from krm_fn.webhook.jsoncodec import copy as json_copy
from krm_fn.webhook.jsoncodec import dumps, loads
from krm_fn.webhook.patch import json_patch

RUNS = int(os.environ.get("KRM_FN_PROPERTY_EXAMPLES", "1500"))
KEYS = st.sampled_from(["a", "b", "name", "a/b", "~0", "~1x", "", "é", "0", "-"])
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.sampled_from([0.0, 1.0, 1.5]),
    st.sampled_from(["", "0", "1", "true", "x"]),
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(KEYS, inner, max_size=5),
    max_leaves=25,
)


def typed(value: Any) -> Any:
    """A document where 1, 1.0 and True differ, for comparing exactly."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


@st.composite
def mutated(draw: Any, document: Any) -> Any:
    """The document with a few changes at random places."""
    if isinstance(document, dict) and document and draw(st.booleans()):
        key = draw(st.sampled_from(sorted(document)))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            del document[key]
        elif choice == 1:
            document[key] = draw(DOCUMENTS)
        else:
            document[key] = draw(mutated(document[key]))
        if draw(st.booleans()):
            document[draw(KEYS)] = draw(DOCUMENTS)
        return document
    if isinstance(document, list) and draw(st.booleans()):
        for _ in range(draw(st.integers(1, 3))):
            choice = draw(st.integers(0, 3))
            if choice == 0 or not document:
                document.insert(draw(st.integers(0, len(document))), draw(DOCUMENTS))
            elif choice == 1:
                del document[draw(st.integers(0, len(document) - 1))]
            else:
                index = draw(st.integers(0, len(document) - 1))
                document[index] = draw(mutated(document[index]))
        return document
    return draw(DOCUMENTS) if draw(st.booleans()) else document


@st.composite
def pairs(draw: Any) -> tuple[Any, Any]:
    document = draw(DOCUMENTS.filter(lambda d: isinstance(d, (dict, list))))
    return document, draw(mutated(copy.deepcopy(document)))


def apply(document: Any, patch: bytes) -> Any:
    ops = json.loads(patch)
    return jsonpatch.apply_patch(copy.deepcopy(document), ops) if ops else document


@settings(max_examples=RUNS, deadline=None, suppress_health_check=list(HealthCheck))
@given(pairs())
def test_the_patch_applied_gives_the_second_document_exactly(pair: tuple[Any, Any]) -> None:
    src, dst = pair
    kept = copy.deepcopy(src)
    patch = json_patch(src, dst)
    assert typed(apply(src, patch)) == typed(dst)
    assert typed(src) == typed(kept)  # the received pod is not changed
    if typed(src) == typed(dst):
        assert patch == b"[]"


def test_untouched_members_are_not_in_the_patch() -> None:
    pod = {
        "metadata": {"labels": {"app": "web"}, "annotations": {"a/b": "1"}},
        "spec": {"containers": [{"name": "app", "image": "x", "env": [{"name": "A"}]}]},
    }
    after = copy.deepcopy(pod)
    after["metadata"]["annotations"]["krm-fn.dev/injected"] = "{}"
    after["spec"]["initContainers"] = [{"name": "wait"}]
    after["spec"]["containers"].insert(0, {"name": "proxy"})
    ops = json.loads(json_patch(pod, after))
    assert ops == [
        {"op": "add", "path": "/metadata/annotations/krm-fn.dev~1injected", "value": "{}"},
        {"op": "add", "path": "/spec/containers/0", "value": {"name": "proxy"}},
        {"op": "add", "path": "/spec/initContainers", "value": [{"name": "wait"}]},
    ]


def test_a_value_of_another_json_type_is_replaced() -> None:
    for before, after in [
        (1, True),
        (1, 1.0),
        (0, False),
        ([1], [True]),
        ({"a": 1}, {"a": 1.0}),
        ({"b": 1, "a": True}, {"a": 1, "b": 1}),  # keys in another order
        ({"a": [2**70]}, {"a": [float(2**70)]}),  # beyond what orjson writes
    ]:
        patch = json_patch({"x": before}, {"x": after})
        assert patch != b"[]", (before, after)
        assert typed(apply({"x": before}, patch)) == typed({"x": after})


# Any JSON value the standard library reads and writes: integers of any size, every float it
# writes, any text (escapes, non-ASCII, control characters).
ANY_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
ANY_DOCUMENTS = st.recursive(
    ANY_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=RUNS, deadline=None, suppress_health_check=list(HealthCheck))
@given(ANY_DOCUMENTS, st.booleans())
def test_the_webhook_reads_and_writes_json_as_the_standard_library(doc: Any, ascii: bool) -> None:
    text = json.dumps(doc, ensure_ascii=ascii).encode()
    assert typed(loads(text)) == typed(json.loads(text)) == typed(doc)
    assert typed(json.loads(dumps(doc))) == typed(doc)
    copied = json_copy(doc)
    assert typed(copied) == typed(doc)
    assert not {id(c) for c in containers(copied)} & {id(c) for c in containers(doc)}


def containers(value: Any) -> list[Any]:
    """Every dict and list in a value, itself included."""
    if isinstance(value, dict):
        return [value, *(c for item in value.values() for c in containers(item))]
    if isinstance(value, list):
        return [value, *(c for item in value for c in containers(item))]
    return []


def test_integers_beyond_64_bits_stay_integers() -> None:
    for number in (2**63, -(2**63) - 1, 2**64, 10**30, -(10**30)):
        read = loads(b'{"x":[%d]}' % number)
        assert read == {"x": [number]} and type(read["x"][0]) is int, number
        assert dumps({"x": number}) == b'{"x":%d}' % number
    for constant in (b"NaN", b"-Infinity", b"1e400", b"-1E+999"):  # not JSON, or not a double
        for body in (b'{"x":%s}' % constant, b'{"x":%s,"y":%d}' % (constant, 10**30)):
            with pytest.raises(ValueError):
                loads(body)
    deep: Any = [10**30]
    for _ in range(300):  # deeper than orjson writes
        deep = [deep]
    assert json_copy(deep) == deep and json_copy(deep) is not deep
    assert dumps({1: "a", "b": [2**70]}) == b'{"1":"a","b":[%d]}' % 2**70  # a key not a string
