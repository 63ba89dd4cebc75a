"""JSON in and out of the webhook: orjson, and the standard library where the two differ.

orjson (C speed; the `webhook` extra) parses a review in about two fifths of the time the standard
library takes and encodes a patch in a sixth. Where it would not give the same values, the
standard library does the work: an integer literal of 19 digits or more (orjson reads one beyond
64 bits as a float, which would change its type), a value orjson does not encode (an integer
beyond 64 bits, a key that is not a string, nesting deeper than 254).
"""

import json
import math
from typing import Any

import orjson

from krm_fn.manifests.yamlio import clone

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
# Every digit as 0, anything else as a space: a run of digits long enough to be an integer beyond
# 64 bits is then found by a plain search (in a string too: then the standard library parses a
# body orjson could have, never the other way round). A regex scan cost a tenth of an answer.
_DIGITS = bytes(48 if 48 <= b <= 57 else 32 for b in range(256))
_LONG_DIGITS = b"0" * 19


def loads(body: bytes) -> Any:
    """The JSON value of `body`: ValueError when it is not JSON, RecursionError when too deep."""
    if _LONG_DIGITS in body.translate(_DIGITS):
        return json.loads(body, parse_constant=_not_json, parse_float=_finite)
    return orjson.loads(body)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")  # as orjson refuses it


def _finite(text: str) -> float:
    """A number as orjson reads it: one beyond a double's range is refused, not infinity."""
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text} is beyond the range of a double")
    return value


def dumps(value: Any) -> bytes:
    """Compact JSON in UTF-8, as it is (no escapes for what is not ASCII)."""
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError: beyond what orjson encodes
        return _ENCODER.encode(value).encode()


def copy(value: Any) -> Any:
    """A copy of a JSON value that shares no object or list with it, through its JSON text.

    For values `loads` read (no NaN, no infinity: orjson would write them as null).

    A fifth of the instructions of a copy in Python (`clone`), which makes what orjson does not
    write (an integer beyond 64 bits, nesting deeper than 254).
    """
    try:
        return orjson.loads(orjson.dumps(value))
    except TypeError:
        return clone(value)


__all__ = ["copy", "dumps", "loads"]
