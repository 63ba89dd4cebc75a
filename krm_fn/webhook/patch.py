"""A JSON Patch (RFC 6902) from the pod as received to the pod as the core returns it.

Written here rather than by a diff library: krm-fn only adds, removes and replaces, so the patch
is a walk of the two documents that skips what is equal (a C comparison of whole subtrees), and
turns a list that grew or shrank into removals and additions between its common ends. Equal
subtrees are told apart by type (`1 == 1.0 == True` in Python) by their JSON text, in C. Values are
written as they are, never copied. The tests apply the patch with an independent implementation
(the `jsonpatch` library) and the API server applies it in the cluster tests.
"""

from typing import Any

import orjson

from krm_fn.webhook.jsoncodec import dumps


def json_patch(src: Any, dst: Any) -> bytes:
    """The patch that turns src into dst, as compact JSON (`[]` when they are equal)."""
    ops: list[dict[str, Any]] = []
    _diff(src, dst, "", ops)
    return dumps(ops)


def pointer_token(key: str) -> str:
    """A member name as a JSON Pointer token (RFC 6901: `~` is `~0`, `/` is `~1`)."""
    return key.replace("~", "~0").replace("/", "~1")


def _diff(src: Any, dst: Any, path: str, ops: list[dict[str, Any]]) -> None:
    if type(src) is dict and type(dst) is dict:
        for key, value in src.items():
            if key not in dst:
                ops.append({"op": "remove", "path": f"{path}/{pointer_token(key)}"})
            elif not _same(value, dst[key]):
                _diff(value, dst[key], f"{path}/{pointer_token(key)}", ops)
        for key, value in dst.items():
            if key not in src:
                ops.append({"op": "add", "path": f"{path}/{pointer_token(key)}", "value": value})
    elif type(src) is list and type(dst) is list:
        _diff_lists(src, dst, path, ops)
    elif not _same(src, dst):
        ops.append({"op": "replace", "path": path, "value": dst})


def _diff_lists(src: list[Any], dst: list[Any], path: str, ops: list[dict[str, Any]]) -> None:
    """Same-position changes, then removals and additions between the common prefix and suffix."""
    shortest = min(len(src), len(dst))
    start = 0
    while start < shortest and _same(src[start], dst[start]):
        start += 1
    end = 0  # items equal at the end of both, not overlapping the prefix
    while end < shortest - start and _same(src[-1 - end], dst[-1 - end]):
        end += 1
    old, new = src[start : len(src) - end], dst[start : len(dst) - end]
    paired = min(len(old), len(new))
    for offset in range(paired):
        _diff(old[offset], new[offset], f"{path}/{start + offset}", ops)
    for index in reversed(range(start + paired, start + len(old))):
        ops.append({"op": "remove", "path": f"{path}/{index}"})
    for offset in range(paired, len(new)):
        ops.append({"op": "add", "path": f"{path}/{start + offset}", "value": new[offset]})


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same JSON type all the way down (Python's 1 == 1.0 == True)."""
    if a is b:
        return True
    kind = type(a)
    if kind is not type(b) or a != b:
        return False
    if kind is not dict and kind is not list:
        return True
    try:  # the same JSON text is the same types (1, 1.0 and true differ), in C
        if orjson.dumps(a) == orjson.dumps(b):
            return True
    except TypeError:  # beyond what orjson writes (an integer beyond 64 bits)
        pass
    return _same_types(a, b)  # keys in another order, or not written


def _same_types(a: Any, b: Any) -> bool:
    """Whether two equal values have the same types all the way down (one C compare above)."""
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        for key, value in a.items():
            other = b[key]
            if value is not other and not _same_types(value, other):
                return False
    elif type(a) is list:
        for value, other in zip(a, b, strict=True):
            if value is not other and not _same_types(value, other):
                return False
    return True
